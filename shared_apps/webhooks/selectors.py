"""Reads of a hospital's webhook endpoints and their deliveries (another hospital's do not exist)."""

from django.db.models import Prefetch, QuerySet

from shared_apps.webhooks.models import Attempt, Delivery, Endpoint


def endpoint_list(*, hospital) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(hospital=hospital)


def endpoint_get(*, hospital, endpoint_id) -> Endpoint | None:
    return Endpoint.objects.filter(hospital=hospital, pk=endpoint_id).first()


def endpoint_row(endpoint: Endpoint) -> dict:
    """An endpoint as the API shows it in lists and details: never its secret."""
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "created_at": endpoint.created_at,
    }


def delivery_list(*, endpoint: Endpoint, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, each with its attempts (newest first) as `attempts_logged`."""
    attempts = Prefetch("attempt_log", queryset=Attempt.objects.all(), to_attr="attempts_logged")
    return list(Delivery.objects.filter(endpoint=endpoint).defer("body").prefetch_related(attempts)[:limit])
