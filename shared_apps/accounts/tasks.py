from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from shared_apps.accounts.models import IdempotencyKey


@shared_task(ignore_result=True)
def idempotency_keys_purge() -> int:
    """Periodic (beat): forget Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(ignore_result=True)
def password_reset_send(email: str) -> None:
    """Look the account up and email its set-password link (queued by password_reset_request).

    Takes the typed email, the one thing the request knows: the lookup happens here so that the request does the
    same work whether or not an account has it.
    """
    from shared_apps.accounts.services import password_reset_send as send

    send(email=email)
