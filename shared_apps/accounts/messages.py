"""Message builders for account emails (see shared_apps/notifications/registry.py)."""

from shared_apps.accounts.models import User
from shared_apps.accounts.services import password_link_path
from shared_apps.common.links import platform_url
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.registry import register


def _password_link_context(context: dict) -> dict | None:
    user = User.objects.filter(pk=context["user_id"], is_active=True).first()
    if user is None:
        return None
    hospital = Hospital.objects.filter(pk=context.get("hospital_id")).first() if context.get("hospital_id") else None
    return {"user": user, "hospital": hospital, "link": platform_url(password_link_path(user))}


register("password_reset")(_password_link_context)
register("hospital_approved")(_password_link_context)
register("doctor_invited")(_password_link_context)
