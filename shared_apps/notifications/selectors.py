from django.db.models import QuerySet

from shared_apps.accounts.access import staff_access
from shared_apps.accounts.models import User
from shared_apps.notifications.models import Notification


def notification_list_for(*, user: User) -> QuerySet[Notification]:
    """Every notification for a superadmin; their hospital's for a hospital admin; none for anyone else."""
    notifications = Notification.objects.order_by("-created_at", "-id")
    if user.is_superadmin:
        return notifications
    access = staff_access(user)
    if access is None or not access.is_admin:
        return notifications.none()
    return notifications.filter(hospital_id=access.hospital.pk)
