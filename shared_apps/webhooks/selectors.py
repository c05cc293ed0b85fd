"""Reads of a hospital's webhook endpoints and their deliveries (another hospital's do not exist)."""

from django.db.models import QuerySet

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
    """The endpoint's latest deliveries, newest first, each with its attempts (newest first) prefetched."""
    deliveries = list(Delivery.objects.filter(endpoint=endpoint).defer("body")[:limit])
    attempts: dict = {}
    for attempt in Attempt.objects.filter(delivery__in=deliveries):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    for delivery in deliveries:
        delivery.attempts_logged = attempts.get(delivery.pk, [])
    return deliveries
