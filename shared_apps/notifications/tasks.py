import logging
import random

from celery import shared_task
from django.conf import settings

from shared_apps.notifications.failures import delivery_error_is_permanent
from shared_apps.notifications.services import (
    notification_claim,
    notification_deliver,
    notification_release,
    notifications_requeue_stale,
)

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_ATTEMPTS - 1,
    time_limit=settings.NOTIFICATION_SEND_TIME_LIMIT_SECONDS,  # the claim outlives it (see services._expired_claim)
)
def notification_send(self, notification_id: int) -> None:
    """Send one outbox row (by id). Idempotent: only the delivery that claims the row sends it."""
    notification = notification_claim(notification_id=notification_id)
    if notification is None:
        return
    try:
        notification_deliver(notification=notification)
    except Exception as exc:
        final = notification.attempts >= MAX_ATTEMPTS or delivery_error_is_permanent(exc)
        notification_release(notification=notification, error=f"{type(exc).__name__}: {exc}", final=final)
        logger.warning("Notification %s attempt %s failed: %s", notification_id, notification.attempts, exc)
        if not final:
            countdown = min(600, 2**notification.attempts) + random.uniform(0, 1)  # noqa: S311 - jitter
            raise self.retry(countdown=countdown) from None


@shared_task
def notifications_requeue() -> int:
    return notifications_requeue_stale()
