import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone

from shared_apps.common.cache import RedisOutage
from shared_apps.common.links import media_url
from shared_apps.notifications.models import Channel, Notification, NotificationStatus
from shared_apps.notifications.registry import builder_for

logger = logging.getLogger(__name__)
# While the broker is down, queued notifications wait for the requeue job.
BROKER_OUTAGE = RedisOutage("notification queue (queued rows wait for the requeue job)")


def notification_queue(*, channel: str, recipient: str, template: str, context: dict, hospital=None) -> Notification:
    """Write an outbox row in the caller's transaction and send it through Celery once that commits.

    `context` must hold ids only. If the broker is down at commit, the row stays queued for the requeue job.
    """
    notification = Notification.objects.create(
        channel=channel,
        recipient=recipient,
        template=template,
        context=context,
        hospital_id=getattr(hospital, "pk", hospital),
    )
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from shared_apps.notifications.tasks import notification_send

    try:
        notification_send.apply_async(args=[notification_id])
    except Exception as exc:
        BROKER_OUTAGE.failed(exc)  # logged once per outage; the rows stay queued for the requeue job
    else:
        BROKER_OUTAGE.recovered()


def notification_claim(*, notification_id: int) -> Notification | None:
    """Claim a queued row for sending with a conditional update; None if another delivery already has it.

    A redelivered task therefore never sends a second copy. An expired claim is reclaimable (the worker died
    mid-send).
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(status=NotificationStatus.QUEUED) | _expired_claim(now), pk=notification_id
    ).update(status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Notification.objects.get(pk=notification_id)


def _expired_claim(now) -> Q:
    """A `sending` row whose worker would have finished or been stopped by the send time limit by now.

    NOTIFICATION_CLAIM_TIMEOUT_SECONDS exceeds NOTIFICATION_SEND_TIME_LIMIT_SECONDS (a system check), so a live
    send is never taken over.
    """
    expired = now - timezone.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    return Q(status=NotificationStatus.SENDING, claimed_at__lt=expired)


def notification_deliver(*, notification: Notification) -> None:
    """Render and send a claimed notification; marks it sent. Raises whatever the transport raises."""
    context = builder_for(notification.template)(notification.context)
    if context is None:
        _mark(notification, NotificationStatus.SENT, last_error="skipped: no longer applicable")
        return
    if notification.channel == Channel.EMAIL:
        _send_email(notification, context)
    else:
        from shared_apps.notifications.sms import send_sms

        body = _render_text(f"sms/{notification.template}.txt", context).strip()
        send_sms(to=notification.recipient, body=body)
    _mark(notification, NotificationStatus.SENT)


def notification_release(*, notification: Notification, error: str, final: bool) -> None:
    """Record a failed attempt: back to queued for a retry, or failed for good."""
    _mark(notification, NotificationStatus.FAILED if final else NotificationStatus.QUEUED, last_error=error[:2000])


def _mark(notification: Notification, status: str, last_error: str = "") -> None:
    notification.status = status
    notification.last_error = last_error
    fields = ["status", "last_error"]
    if status == NotificationStatus.SENT:
        notification.sent_at = timezone.now()
        fields.append("sent_at")
    notification.save(update_fields=fields)


def _send_email(notification: Notification, context: dict) -> None:
    name = notification.template
    hospital = context.get("hospital")
    context = {"logo_url": media_url(hospital.logo) if hospital else None, **context}
    subject = " ".join(_render_text(f"emails/{name}.subject.txt", context).split())  # one line: no CR, no LF
    text = _render_text(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[notification.recipient])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in context.get("attachments", []):
        message.attach(filename, content, mimetype)
    message.send()


def _render_text(name: str, context: dict) -> str:
    """A plain-text part (subject, text body, SMS) with names as typed: autoescaping is for HTML, and the HTML part
    (render_to_string) keeps it."""
    return engines["django"].engine.get_template(name).render(Context(context, autoescape=False))


def notifications_requeue_stale() -> int:
    """Re-send what the broker may have lost; returns the count.

    Rows still queued past the grace period (the broker was down at commit), and rows whose claim expired: their
    worker died mid-send and the broker, which keeps nothing on disk, may have lost the task message too.
    """
    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER_SECONDS)
    stale = Q(status=NotificationStatus.QUEUED, created_at__lt=cutoff) | _expired_claim(now)
    ids = list(Notification.objects.filter(stale).values_list("pk", flat=True)[:1000])
    for notification_id in ids:
        _enqueue(notification_id)
    return len(ids)
