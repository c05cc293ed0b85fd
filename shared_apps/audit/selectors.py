from django.db.models import QuerySet

from shared_apps.accounts.access import staff_access
from shared_apps.accounts.models import User
from shared_apps.audit.models import AuditLog


def audit_log_list(*, user: User) -> QuerySet[AuditLog]:
    """Audit rows `user` may read: all for a superadmin, their hospital's for the admin of an active hospital
    (the staff-access rule, as for notifications), none otherwise.
    """
    rows = AuditLog.objects.select_related("user", "hospital")
    if user.is_superadmin:
        return rows
    access = staff_access(user)
    if access is None or not access.is_admin:
        return rows.none()
    return rows.filter(hospital_id=access.hospital.pk)
