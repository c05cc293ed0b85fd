"""Message builders for hospital lifecycle emails (see shared_apps/notifications/registry.py)."""

from shared_apps.common.links import platform_url
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.registry import register


@register("hospital_registered")
@register("hospital_rejected")
def hospital_context(context: dict) -> dict | None:
    hospital = Hospital.objects.filter(pk=context["hospital_id"]).first()
    return {"hospital": hospital} if hospital else None


@register("hospital_pending_review")
def pending_review_context(context: dict) -> dict | None:
    hospital = Hospital.objects.filter(pk=context["hospital_id"]).first()
    if hospital is None:
        return None
    return {"hospital": hospital, "link": platform_url(f"/admin/hospitals/hospital/{hospital.pk}/change/")}
