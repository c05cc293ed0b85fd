"""Webhook endpoints (registered, deleted, re-enabled by the hospital's admin) and the deliveries of events to them.

The outbox: `deliveries_create` writes one delivery per subscribed endpoint in the transaction of the change's event
(`event_record`); after commit a worker sends each (`delivery_send`). A failed attempt is retried with exponential
backoff and jitter by the periodic `deliveries_send_due`, for WEBHOOK_RETRY_HOURS; an endpoint whose attempts have
failed for that long is disabled and its hospital's admins are emailed. Every attempt is logged (models.Attempt).
"""

import json
import logging
import random
import ssl
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from urllib3.util.ssl_match_hostname import CertificateError

from shared_apps.accounts.models import MembershipRole
from shared_apps.audit.services import audit_record
from shared_apps.common.errors import ApplicationError, Conflict
from shared_apps.events.types import APPOINTMENT_EVENTS
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue
from shared_apps.webhooks import transport
from shared_apps.webhooks.addresses import Refused, target_of
from shared_apps.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from shared_apps.webhooks.signing import new_secret, signature_header

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 3600
# A claimed delivery whose worker has not finished by then died mid-send (the task's time limit is shorter).
CLAIM_TIMEOUT_SECONDS = 300
DUE_BATCH = 1000
HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH
LOST_ATTEMPT = "The attempt did not finish: its worker stopped (a crash, or the time limit)."

_CREATE_DELIVERIES = """
    INSERT INTO webhooks_delivery
        (id, endpoint_id, event_id, type, body, status, attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), endpoint.id, %(event_id)s, %(type)s, %(body)s, 'pending', 0, %(now)s, %(now)s
    FROM webhooks_endpoint AS endpoint
    WHERE endpoint.hospital_id = %(hospital_id)s AND endpoint.active AND %(type)s = ANY(endpoint.events)
    FOR SHARE OF endpoint
    RETURNING id
"""


# Endpoints ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def endpoint_create(*, actor, hospital, url: str, events: list[str]) -> Endpoint:
    """Register an endpoint after checking its URL as a delivery would (https, public addresses only). At most
    WEBHOOK_MAX_ENDPOINTS per hospital: two admins adding at once are counted one after the other."""
    events = _subscribed(events)
    try:
        target_of(url)
    except Refused as exc:
        raise ApplicationError(exc.code, str(exc), fields={"url": [str(exc)]}) from None
    Hospital.objects.select_for_update(no_key=True).filter(pk=hospital.pk).first()  # the cap, one at a time
    if Endpoint.objects.filter(hospital=hospital).count() >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise Conflict(
            "too_many_webhooks", f"A hospital can have at most {settings.WEBHOOK_MAX_ENDPOINTS} webhook endpoints."
        )
    endpoint = Endpoint.objects.create(
        hospital=hospital, url=url, events=events, secret=new_secret(), created_by=_user_or_none(actor)
    )
    audit_record(
        actor=actor,
        action="webhook.created",
        entity="webhook",
        entity_id=endpoint.pk,
        hospital=hospital,
        metadata={"url": url, "events": events},
    )
    return endpoint


def _subscribed(events: list[str]) -> list[str]:
    """The events in the live stream's order; ApplicationError `invalid` if none, or one is not an appointment
    event."""
    unknown = sorted(set(events) - set(APPOINTMENT_EVENTS))
    if unknown or not events:
        message = f"Not an appointment event: {', '.join(unknown)}." if unknown else "Choose at least one event."
        raise ApplicationError("invalid", message, fields={"events": [message]})
    return [name for name in APPOINTMENT_EVENTS if name in events]


@transaction.atomic
def endpoint_delete(*, actor, hospital, endpoint: Endpoint) -> None:
    """Remove the endpoint with its deliveries and their attempts (a delivery in flight finds nothing to record).
    The endpoint is locked first, as a recording worker locks it before its delivery (no deadlock), and a change
    writing deliveries for it waits (FOR SHARE in _CREATE_DELIVERIES), then finds it gone."""
    Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    audit_record(
        actor=actor,
        action="webhook.deleted",
        entity="webhook",
        entity_id=endpoint.pk,
        hospital=hospital,
        metadata={"url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def endpoint_enable(*, actor, hospital, endpoint: Endpoint) -> Endpoint:
    """Turn a disabled endpoint back on: new events are delivered again (those given up while it was off are not).
    Enabling one that is on changes nothing and audits nothing."""
    turned_on = Endpoint.objects.filter(pk=endpoint.pk, active=False).update(
        active=True, failing_since=None, disabled_at=None
    )
    endpoint.refresh_from_db()
    if not turned_on:
        return endpoint
    audit_record(actor=actor, action="webhook.enabled", entity="webhook", entity_id=endpoint.pk, hospital=hospital)
    return endpoint


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# Deliveries ------------------------------------------------------------------------------------------------------


def delivery_body(*, event) -> str:
    """The JSON every endpoint receives for an event: `{id, type, created_at, data}`."""
    body = {
        "id": str(event.seq),
        "type": event.type,
        "created_at": event.created_at.isoformat(timespec="seconds"),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def deliveries_create(*, event) -> list:
    """One delivery of `event` per active endpoint of its hospital subscribed to its type, in the caller's
    transaction (one statement); each is sent after commit. Only appointment events go to webhooks."""
    if event.type not in APPOINTMENT_EVENTS:
        return []
    params = {
        "event_id": event.seq,
        "type": event.type,
        "body": delivery_body(event=event),
        "now": timezone.now(),
        "hospital_id": event.hospital_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_DELIVERIES, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(delivery_ids) -> None:
    from shared_apps.webhooks.tasks import webhook_send

    for delivery_id in delivery_ids:
        try:
            webhook_send.apply_async(args=[str(delivery_id)])
        except Exception:
            logger.warning("Could not queue webhook delivery %s; the periodic job sends it", delivery_id)
            return


def delivery_claim(*, delivery_id, now=None) -> Delivery | None:
    """Claim a due delivery of an active endpoint; None if it is not due or another worker has it.

    One conditional UPDATE whose conditions are all on the delivery's own row: a second claimer that waited for the
    first one's row lock re-checks them on the row the first one wrote (PostgreSQL re-evaluates the WHERE clause of
    the updated row, not a join's or an `id IN (SELECT …)`'s), so it finds the delivery claimed and sends nothing."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(_due(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint__hospital").get(pk=delivery_id)


def _due(now) -> Q:
    """Pending, its next attempt reached, its endpoint on. Conditions on the delivery's row only (a subquery, not a
    join), for the claim's sake (delivery_claim)."""
    active = Endpoint.objects.filter(active=True).values("pk")
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint_id__in=active)


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    response_code: int | None = None
    error: str = ""


def delivery_send(*, delivery_id, now=None) -> Delivery | None:
    """Claim the delivery, make one attempt and record it. None when there was nothing to send."""
    delivery = delivery_claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return None
    started = time.monotonic()
    outcome = delivery_post(delivery)
    duration_ms = int((time.monotonic() - started) * 1000)
    return delivery_record(delivery=delivery, outcome=outcome, duration_ms=duration_ms, now=now)


def delivery_post(delivery: Delivery) -> Outcome:
    """One signed POST of a claimed delivery, the URL checked again first (DNS may now answer a private address).
    Touches no database: deliveries are attempted in parallel by as many workers as there are."""
    body = delivery.body.encode()
    headers = {
        "X-RHMS-Event": delivery.type,
        "X-RHMS-Delivery": str(delivery.pk),
        "X-RHMS-Signature": signature_header(secret=delivery.endpoint.secret, timestamp=int(time.time()), body=body),
    }
    try:
        target = target_of(delivery.endpoint.url)
        answer = transport.post(target, body=body, headers=headers)
    except Refused as exc:
        return Outcome(succeeded=False, error=f"Refused: {exc}"[:200])
    except Exception as exc:
        return Outcome(succeeded=False, error=_describe(exc))
    if 200 <= answer.status < 300:
        return Outcome(succeeded=True, response_code=answer.status)
    if 300 <= answer.status < 400:
        return Outcome(False, answer.status, "Redirects are not followed: answer 2xx at the registered URL.")
    return Outcome(succeeded=False, response_code=answer.status, error=f"The receiver answered {answer.status}.")


def _describe(exc: Exception) -> str:
    """A failed attempt's reason, for the admin. (urllib3's NewConnectionError is a ConnectTimeoutError: first.)"""
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError):
        return "The connection was refused."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return _tls_failure(exc)
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s."
    return f"{type(exc).__name__}: {exc}"[:200]


def _tls_failure(exc: Exception) -> str:
    """Why TLS failed, as far as the admin can act on it: a certificate for another name, or one not trusted."""
    while exc is not None:
        if isinstance(exc, CertificateError) or getattr(exc, "verify_code", None) == HOSTNAME_MISMATCH:
            return "TLS failed: the certificate is not valid for the URL's host name."
        if isinstance(exc, ssl.SSLCertVerificationError):
            return "TLS failed: the certificate is not trusted (self-signed, expired or an unknown authority)."
        exc = (
            exc.__cause__
            or exc.__context__
            or (exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else None)
        )
    return "TLS failed (the handshake did not complete)."


def delivery_record(
    *, delivery: Delivery, outcome: Outcome, duration_ms: int, now=None, attempted_at=None
) -> Delivery | None:
    """Log the attempt and settle the delivery: delivered, retried later (backoff with jitter) or given up after
    WEBHOOK_RETRY_HOURS. A failure while the endpoint has been failing that long disables it. None (nothing
    written) if the claim is no longer this attempt's: the endpoint was deleted, or the claim was settled as lost."""
    now = now or timezone.now()
    with transaction.atomic():
        # NO KEY UPDATE: recorders of one endpoint take turns; changes inserting deliveries (a key share) do not wait.
        endpoint = Endpoint.objects.select_for_update(no_key=True).filter(pk=delivery.endpoint_id).first()
        if endpoint is None:  # deleted meanwhile, with its deliveries
            return None
        claim = Delivery.objects.select_for_update().filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
        )
        if not claim.exists():
            return None
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=attempted_at or now,
            succeeded=outcome.succeeded,
            response_code=outcome.response_code,
            error=outcome.error,
            duration_ms=duration_ms,
        )
        if outcome.succeeded:
            delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED, now
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            _failed(delivery, endpoint, now)
        delivery.save(update_fields=["status", "delivered_at", "next_attempt_at"])
    return delivery


def _failed(delivery: Delivery, endpoint: Endpoint, now) -> None:
    """Settle a failed attempt (`endpoint` is locked and fresh: two failures at once disable it once)."""
    window = timezone.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    if not endpoint.active:  # disabled while this attempt was in flight
        delivery.status = DeliveryStatus.FAILED
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
    if now - endpoint.failing_since >= window:
        _disable(endpoint, now)
        delivery.status = DeliveryStatus.FAILED
    elif now - delivery.created_at >= window:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + timezone.timedelta(seconds=retry_delay(delivery.attempts))


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: 1, 2, 4 … 60 minutes, each ±20 % at random
    so that deliveries failing together do not come back together."""
    delay = min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def _disable(endpoint: Endpoint, now) -> None:
    """A day of failures: the endpoint stops receiving, its waiting deliveries are given up, its admins emailed.
    Deliveries in flight are given up by their own worker when it records its attempt (_failed)."""
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=now)
    Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(status=DeliveryStatus.FAILED)
    hospital = endpoint.hospital  # one query, once a day at most
    audit_record(
        actor=None,
        action="webhook.disabled",
        entity="webhook",
        entity_id=endpoint.pk,
        hospital=hospital,
        metadata={"url": endpoint.url, "failing_since": endpoint.failing_since.isoformat()},
    )
    admins = hospital.memberships.filter(role=MembershipRole.HOSPITAL_ADMIN, is_active=True, user__is_active=True)
    for email in admins.values_list("user__email", flat=True):
        notification_queue(
            channel=Channel.EMAIL,
            recipient=email,
            template="webhook_disabled",
            context={"endpoint_id": str(endpoint.pk)},
            hospital=hospital,
        )


def deliveries_send_due(*, now=None) -> int:
    """The periodic job: settle the claims whose worker was lost, then queue every delivery whose next attempt is
    due. Returns how many were queued."""
    now = now or timezone.now()
    deliveries_settle_lost(now=now)
    due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:DUE_BATCH])
    _enqueue(ids)
    return len(ids)


def deliveries_settle_lost(*, now=None) -> int:
    """A delivery claimed more than CLAIM_TIMEOUT_SECONDS ago lost its worker (it crashed, or Celery's time limit
    stopped it): its attempt is logged as failed and settled like any failure, so it is retried with backoff,
    given up after WEBHOOK_RETRY_HOURS, and counts towards disabling its endpoint. Returns how many."""
    now = now or timezone.now()
    expired = now - timezone.timedelta(seconds=CLAIM_TIMEOUT_SECONDS)
    lost = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=expired).order_by("claimed_at")
    settled = 0
    for delivery in lost[:DUE_BATCH]:
        duration_ms = int((now - delivery.claimed_at).total_seconds() * 1000)
        outcome = Outcome(succeeded=False, error=LOST_ATTEMPT)
        recorded = delivery_record(
            delivery=delivery, outcome=outcome, duration_ms=duration_ms, now=now, attempted_at=delivery.claimed_at
        )
        settled += recorded is not None
    return settled


def deliveries_prune(*, now=None) -> int:
    """Delete delivered and given-up deliveries (with their attempts) older than WEBHOOK_DELIVERY_RETENTION_DAYS.
    Returns how many deliveries."""
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    finished = Delivery.objects.filter(
        status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED], created_at__lt=cutoff
    )
    deleted = 0
    while batch := list(finished.values_list("pk", flat=True)[:DUE_BATCH]):
        Attempt.objects.filter(delivery_id__in=batch).delete()
        deleted += Delivery.objects.filter(pk__in=batch).delete()[1].get("webhooks.Delivery", 0)
    return deleted
