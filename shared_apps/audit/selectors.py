from django.db.models import QuerySet

from shared_apps.accounts.models import MembershipRole, User
from shared_apps.audit.models import AuditLog


def audit_log_list(*, user: User) -> QuerySet[AuditLog]:
    """Audit rows `user` may read: all for a superadmin, their hospital's for a hospital admin, none otherwise."""
    rows = AuditLog.objects.select_related("user", "hospital")
    if user.is_superadmin:
        return rows
    membership = user.memberships.filter(is_active=True, role=MembershipRole.HOSPITAL_ADMIN).first()
    if membership is None:
        return rows.none()
    return rows.filter(hospital_id=membership.hospital_id)
