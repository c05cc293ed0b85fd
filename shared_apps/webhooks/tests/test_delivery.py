"""Deliveries: written with the change, sent after commit, signed, retried, given up, and the SSRF rules again at
delivery time. The receiver is a real HTTP server on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE is on in the tests)."""

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from shared_apps.audit.models import AuditLog
from shared_apps.common.errors import ApplicationError
from shared_apps.notifications.models import Notification
from shared_apps.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from shared_apps.webhooks.services import (
    LOST_ATTEMPT,
    Outcome,
    deliveries_prune,
    deliveries_send_due,
    delivery_claim,
    delivery_post,
    delivery_record,
    delivery_send,
    endpoint_create,
)
from shared_apps.webhooks.tasks import webhook_send
from shared_apps.webhooks.tests.receiver import start_trickler
from tenant_apps.appointments.tests.helpers import book, bookable_doctor

pytestmark = pytest.mark.django_db


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The README's verification snippet, as a hospital's developer would write it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def endpoint_for(hospital, admin, url, events=("appointment.booked", "appointment.cancelled")):
    return endpoint_create(actor=admin, hospital=hospital, url=url, events=list(events))


def booked(as_user, patient, hospital, time="09:00"):
    doctor, day = bookable_doctor(hospital)
    response = book(as_user(patient), doctor, day, time)
    assert response.status_code == 201, response.json()
    return response.json()


def only_delivery(endpoint) -> Delivery:
    (delivery,) = Delivery.objects.filter(endpoint=endpoint)
    return delivery


def test_a_real_receiver_verifies_the_signature(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url("/hooks/rhms?source=test"))
    appointment = booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)

    sent = delivery_send(delivery_id=delivery.pk)

    assert sent.status == DeliveryStatus.SUCCEEDED
    assert sent.delivered_at is not None
    (request,) = receiver.requests
    assert request.path == "/hooks/rhms?source=test"
    assert verify(endpoint.secret, request.headers["X-RHMS-Signature"], request.body)
    assert not verify("whsec_someone-else", request.headers["X-RHMS-Signature"], request.body)
    assert not verify(endpoint.secret, request.headers["X-RHMS-Signature"], request.body + b" ")
    assert request.headers["X-RHMS-Event"] == "appointment.booked"
    assert request.headers["X-RHMS-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["type"] == "appointment.booked"
    assert body["id"] == str(delivery.event_id)
    assert body["data"]["id"] == appointment["id"]
    assert body["data"]["status"] == "booked"
    (attempt,) = Attempt.objects.filter(delivery=delivery)
    assert attempt.succeeded
    assert attempt.response_code == 200
    assert attempt.number == 1


def test_only_subscribed_active_endpoints_of_the_hospital_get_it(
    as_user, alpha, beta, alpha_admin, beta_admin, patient
):
    wanted = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/b", events=["appointment.cancelled"])
    disabled = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/c")
    Endpoint.objects.filter(pk=disabled.pk).update(active=False)
    endpoint_for(beta, beta_admin, "http://127.0.0.1:9/d")

    booked(as_user, patient, alpha)

    assert list(Delivery.objects.values_list("endpoint_id", "type")) == [(wanted.pk, "appointment.booked")]


def test_sent_after_commit_one_task_per_delivery(
    as_user, alpha, alpha_admin, patient, django_capture_on_commit_callbacks
):
    first = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    second = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/b")
    with mock.patch.object(webhook_send, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            booked(as_user, patient, alpha)
        assert not queued.called  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    deliveries = {str(only_delivery(first).pk), str(only_delivery(second).pk)}
    assert {call.kwargs["args"][0] for call in queued.call_args_list} == deliveries


def test_a_rolled_back_change_writes_no_delivery(
    as_user, alpha, alpha_admin, patient, django_capture_on_commit_callbacks
):
    endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    with (
        mock.patch.object(webhook_send, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        booked(as_user, patient, alpha)
        assert Delivery.objects.count() == 1
        transaction.set_rollback(True)
    assert Delivery.objects.count() == 0
    assert not queued.called


def test_a_receiver_that_fails_then_recovers(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    receiver.answers = [500]

    failed = delivery_send(delivery_id=delivery.pk)
    assert failed.status == DeliveryStatus.PENDING
    assert failed.next_attempt_at > timezone.now()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert endpoint.active
    assert delivery_send(delivery_id=delivery.pk) is None  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    later = failed.next_attempt_at + dt.timedelta(seconds=1)
    with mock.patch.object(webhook_send, "apply_async") as queued:
        assert deliveries_send_due(now=later) == 1
    queued.assert_called_once_with(args=[str(delivery.pk)])
    recovered = delivery_send(delivery_id=delivery.pk, now=later)

    assert recovered.status == DeliveryStatus.SUCCEEDED
    assert [(a.number, a.succeeded, a.response_code) for a in Attempt.objects.order_by("number")] == [
        (1, False, 500),
        (2, True, 200),
    ]
    assert receiver.requests[0].headers["X-RHMS-Delivery"] == receiver.requests[1].headers["X-RHMS-Delivery"]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_retries_back_off_with_jitter(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    receiver.answers = [503] * 4
    now, waits = timezone.now(), []
    for _ in range(4):
        sent = delivery_send(delivery_id=delivery.pk, now=now)
        waits.append((sent.next_attempt_at - now).total_seconds())
        now = sent.next_attempt_at
    assert waits != [60.0, 120.0, 240.0, 480.0]  # jittered
    for number, wait in enumerate(waits, start=1):
        assert 0.8 * 60 * 2 ** (number - 1) <= wait <= 1.2 * 60 * 2 ** (number - 1)


def test_a_redirect_is_not_followed(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url("/hook"))
    booked(as_user, patient, alpha)
    receiver.answers = [302]
    receiver.redirect_to = receiver.url("/followed")  # where a client that follows would go next (as 169.254…)

    sent = delivery_send(delivery_id=only_delivery(endpoint).pk)

    assert [request.path for request in receiver.requests] == ["/hook"]
    assert sent.status == DeliveryStatus.PENDING
    (attempt,) = Attempt.objects.all()
    assert attempt.response_code == 302
    assert not attempt.succeeded
    assert "Redirects are not followed" in attempt.error


def test_dns_answering_a_private_address_at_delivery_is_refused(
    as_user, alpha, alpha_admin, patient, settings, public_dns
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    public_dns["hooks.example.com"] = "2606:4700::6810:84e5"
    endpoint = endpoint_for(alpha, alpha_admin, "https://hooks.example.com/in")
    booked(as_user, patient, alpha)
    public_dns["hooks.example.com"] = "10.0.0.7"  # the DNS record changed after registration

    with mock.patch("shared_apps.webhooks.transport._post_to") as connect:
        sent = delivery_send(delivery_id=only_delivery(endpoint).pk)

    assert not connect.called
    assert sent.status == DeliveryStatus.PENDING
    (attempt,) = Attempt.objects.all()
    assert attempt.response_code is None
    assert attempt.error == (
        "Refused: hooks.example.com resolves to an address that is not public: webhooks go to the internet only."
    )


def test_a_slow_receiver_does_not_hold_up_the_others(as_user, alpha, alpha_admin, patient, settings, receiver):
    from shared_apps.webhooks.tests.receiver import start_receiver

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    fast, fast_server = start_receiver()
    try:
        slow_endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
        fast_endpoint = endpoint_for(alpha, alpha_admin, fast.url())
        booked(as_user, patient, alpha)
        receiver.hold = threading.Event()  # the slow receiver answers nothing until released
        slow = delivery_claim(delivery_id=only_delivery(slow_endpoint).pk)
        outcomes = {}
        slow_attempt = threading.Thread(target=lambda: outcomes.update(slow=delivery_post(slow)))
        slow_attempt.start()
        while not receiver.requests:  # the slow POST has reached its receiver and waits there
            time.sleep(0.01)

        delivered = delivery_send(delivery_id=only_delivery(fast_endpoint).pk)

        assert delivered.status == DeliveryStatus.SUCCEEDED
        assert slow_attempt.is_alive()
        assert len(fast.requests) == 1
        slow_attempt.join(timeout=10)
        assert not outcomes["slow"].succeeded
        assert outcomes["slow"].error == "No answer within 0.5 s."
    finally:
        fast_server.shutdown()
        fast_server.server_close()


def test_a_delivery_is_claimed_once(as_user, alpha, alpha_admin, patient):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    assert delivery_claim(delivery_id=delivery.pk) is not None
    assert delivery_claim(delivery_id=delivery.pk) is None  # a redelivered task sends nothing
    expired = timezone.now() + dt.timedelta(minutes=6)
    assert delivery_claim(delivery_id=delivery.pk, now=expired) is None  # a lost claim is settled first (below)


def test_an_attempt_whose_worker_was_lost_is_logged_and_retried(as_user, alpha, alpha_admin, patient):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    assert delivery_claim(delivery_id=delivery.pk) is not None  # and then its worker dies
    later = timezone.now() + dt.timedelta(minutes=6)

    with mock.patch.object(webhook_send, "apply_async") as queued:
        assert deliveries_send_due(now=later) == 0  # settled as a failure: retried after its backoff, not now
    assert not queued.called

    (attempt,) = Attempt.objects.all()
    assert (attempt.number, attempt.succeeded, attempt.error) == (1, False, LOST_ATTEMPT)
    assert attempt.duration_ms >= 6 * 60 * 1000
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at > later
    endpoint.refresh_from_db()
    assert endpoint.failing_since == later


def test_a_lost_attempt_counts_towards_giving_up_and_disabling(as_user, alpha, alpha_admin, patient):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - dt.timedelta(hours=24))
    delivery_claim(delivery_id=delivery.pk)

    deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=6))

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert Notification.objects.filter(template="webhook_disabled").count() == 1


def test_two_failures_in_flight_disable_the_endpoint_once(as_user, alpha, alpha_admin, patient):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    booked(as_user, patient, alpha, "09:00")
    booked(as_user, patient, alpha, "10:00")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - dt.timedelta(hours=24))
    in_flight = [delivery_claim(delivery_id=delivery.pk) for delivery in Delivery.objects.filter(endpoint=endpoint)]
    failure = Outcome(succeeded=False, response_code=500, error="The receiver answered 500.")

    for delivery in in_flight:
        delivery_record(delivery=delivery, outcome=failure, duration_ms=1)

    assert Notification.objects.filter(template="webhook_disabled").count() == 1
    assert AuditLog.objects.filter(action="webhook.disabled", entity_id=str(endpoint.pk)).count() == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert Attempt.objects.count() == 2


def test_a_late_worker_records_nothing_over_a_settled_claim(as_user, alpha, alpha_admin, patient):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a")
    booked(as_user, patient, alpha)
    claimed = delivery_claim(delivery_id=only_delivery(endpoint).pk)
    deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=6))  # settled as lost

    late = delivery_record(delivery=claimed, outcome=Outcome(succeeded=True, response_code=200), duration_ms=1)

    assert late is None
    assert Attempt.objects.count() == 1
    assert only_delivery(endpoint).status == DeliveryStatus.PENDING


def test_a_receiver_that_trickles_its_answer_is_cut_off(as_user, alpha, alpha_admin, patient, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    trickler = start_trickler(lines=15, every=0.2)  # a header line every 0.2 s, 3 s in all, then 200
    try:
        endpoint = endpoint_for(alpha, alpha_admin, f"http://127.0.0.1:{trickler.port}/hook")
        booked(as_user, patient, alpha)
        sent = delivery_send(delivery_id=only_delivery(endpoint).pk)
    finally:
        trickler.listener.close()
    assert sent.status == DeliveryStatus.PENDING
    assert Attempt.objects.get().error == "No answer within 0.5 s."


def test_a_receiver_that_trickles_its_body_is_cut_off(as_user, alpha, alpha_admin, patient, settings):
    """Its 200 has arrived, so the attempt succeeded; the rest of the answer is not waited for."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    trickler = start_trickler(lines=30, every=0.2, in_body=True)  # a byte every 0.2 s for 6 s, no length
    try:
        endpoint = endpoint_for(alpha, alpha_admin, f"http://127.0.0.1:{trickler.port}/hook")
        booked(as_user, patient, alpha)
        sent = delivery_send(delivery_id=only_delivery(endpoint).pk)
        assert trickler.done.wait(timeout=10)
    finally:
        trickler.listener.close()
    assert sent.status == DeliveryStatus.SUCCEEDED
    assert not trickler.sent_everything  # the connection was shut while it was still sending


def test_every_checked_address_is_tried_in_turn(as_user, alpha, alpha_admin, patient, receiver, public_dns):
    public_dns["hooks.example.test"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on the first
    endpoint = endpoint_for(alpha, alpha_admin, f"http://hooks.example.test:{receiver.port}/hook")
    booked(as_user, patient, alpha)

    sent = delivery_send(delivery_id=only_delivery(endpoint).pk)

    assert sent.status == DeliveryStatus.SUCCEEDED, Attempt.objects.get().error
    (request,) = receiver.requests
    assert request.headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_an_endpoint_with_no_known_event_is_refused_by_the_service(alpha, alpha_admin):
    with pytest.raises(ApplicationError) as refused:
        endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/a", events=["appointment.exploded"])
    assert (refused.value.code, list(refused.value.fields)) == ("invalid", ["events"])
    assert not Endpoint.objects.exists()


def test_finished_deliveries_are_pruned_after_the_retention(as_user, alpha, alpha_admin, patient, receiver, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
    booked(as_user, patient, alpha, "09:00")
    booked(as_user, patient, alpha, "10:00")
    old, waiting = Delivery.objects.filter(endpoint=endpoint).order_by("created_at")
    delivery_send(delivery_id=old.pk)
    month_ago = timezone.now() - dt.timedelta(days=31)
    Delivery.objects.filter(endpoint=endpoint).update(created_at=month_ago)

    assert deliveries_prune() == 1

    assert list(Delivery.objects.values_list("pk", flat=True)) == [waiting.pk]  # not finished: kept
    assert not Attempt.objects.exists()


def test_given_up_after_a_day(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
    booked(as_user, patient, alpha)
    delivery = only_delivery(endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1))
    receiver.answers = [500]

    sent = delivery_send(delivery_id=delivery.pk)

    assert sent.status == DeliveryStatus.FAILED
    endpoint.refresh_from_db()
    assert endpoint.active  # it failed only now: not yet a day of failures
    with mock.patch.object(webhook_send, "apply_async") as queued:
        assert deliveries_send_due(now=timezone.now() + dt.timedelta(days=2)) == 0
    assert not queued.called


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_admin_told(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, receiver.url())
    booked(as_user, patient, alpha, "09:00")
    booked(as_user, patient, alpha, "10:00")
    first, waiting = Delivery.objects.filter(endpoint=endpoint).order_by("created_at")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - dt.timedelta(hours=24))
    receiver.answers = [500]

    delivery_send(delivery_id=first.pk)

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    (email,) = Notification.objects.filter(template="webhook_disabled")
    assert email.recipient == alpha_admin.email
    assert email.context == {"endpoint_id": str(endpoint.pk)}
    assert AuditLog.objects.filter(action="webhook.disabled", entity_id=str(endpoint.pk), user=None).exists()
    assert delivery_claim(delivery_id=waiting.pk) is None  # nothing more goes to it
    booked(as_user, patient, alpha, "11:00")
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2  # and no new deliveries are written


def test_a_receiver_that_is_not_listening(as_user, alpha, alpha_admin, patient, receiver):
    endpoint = endpoint_for(alpha, alpha_admin, "http://127.0.0.1:9/closed")  # the discard port: nothing listens
    booked(as_user, patient, alpha)
    sent = delivery_send(delivery_id=only_delivery(endpoint).pk)
    assert sent.status == DeliveryStatus.PENDING
    assert Attempt.objects.get().error == "The connection was refused."


def test_the_timeout_must_fit_inside_the_send_time_limit(settings):
    from shared_apps.webhooks.checks import attempt_fits_the_time_limit

    assert attempt_fits_the_time_limit() == []
    settings.WEBHOOK_TIMEOUT_SECONDS = 31
    assert [error.id for error in attempt_fits_the_time_limit()] == ["webhooks.E001"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 0
    assert [error.id for error in attempt_fits_the_time_limit()] == ["webhooks.E001"]
