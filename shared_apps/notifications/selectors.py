from django.db.models import QuerySet

from shared_apps.accounts.models import MembershipRole, User
from shared_apps.accounts.selectors import membership_for
from shared_apps.notifications.models import Notification


def notification_list_for(*, user: User) -> QuerySet[Notification]:
    """Every notification for a superadmin; their hospital's for a hospital admin; none for anyone else."""
    notifications = Notification.objects.order_by("-created_at", "-id")
    if user.is_superadmin:
        return notifications
    membership = membership_for(user)
    if membership is None or membership.role != MembershipRole.HOSPITAL_ADMIN:
        return notifications.none()
    return notifications.filter(hospital_id=membership.hospital_id)
