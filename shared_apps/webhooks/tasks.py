from celery import shared_task

from shared_apps.webhooks.services import CLAIM_TIMEOUT_SECONDS, deliveries_prune, deliveries_send_due, delivery_send

# A send is stopped well before its claim expires, so a live send is never taken over.
SEND_TIME_LIMIT_SECONDS = CLAIM_TIMEOUT_SECONDS // 5


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=SEND_TIME_LIMIT_SECONDS)
def webhook_send(delivery_id: str) -> None:
    """One attempt at one delivery (by id). Idempotent: only the worker that claims the delivery sends it; a
    failure is recorded and retried by webhooks_send_due, never by Celery."""
    delivery_send(delivery_id=delivery_id)


@shared_task
def webhooks_send_due() -> int:
    return deliveries_send_due()


@shared_task
def webhooks_prune_old() -> int:
    return deliveries_prune()
