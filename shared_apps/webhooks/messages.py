"""Message builders for webhook emails (see shared_apps/notifications/registry.py)."""

from shared_apps.common.links import subdomain_url
from shared_apps.notifications.registry import register
from shared_apps.webhooks.models import Endpoint


@register("webhook_disabled")
def webhook_disabled_context(context: dict) -> dict | None:
    """None when the endpoint was deleted or turned back on before the email went out."""
    endpoint = Endpoint.objects.select_related("hospital").filter(pk=context["endpoint_id"], active=False).first()
    if endpoint is None:
        return None
    hospital = endpoint.hospital
    return {
        "hospital": hospital,
        "endpoint": endpoint,
        "link": subdomain_url(hospital.slug, f"/webhooks/{endpoint.pk}/"),
    }
