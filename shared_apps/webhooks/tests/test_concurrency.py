"""Claims and the endpoint cap under real parallel transactions: each worker or admin is a thread with its own
PostgreSQL connection. The claim needs rows both connections see, so it commits its own and removes them after."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from shared_apps.webhooks.services import delivery_claim, endpoint_create

EVENTS = ["appointment.booked"]


def _in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _until_a_connection_waits_for_a_lock() -> None:
    with connection.cursor() as cursor:
        for _ in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no connection waited for a lock")


def test_two_workers_claim_one_delivery_once(django_db_setup, django_db_blocker):
    """The second claimer waits for the first one's row lock, then finds the delivery claimed."""
    from shared_apps.hospitals.models import Hospital
    from shared_apps.webhooks.models import Delivery, Endpoint
    from shared_apps.webhooks.signing import new_secret

    with django_db_blocker.unblock():
        endpoint = Endpoint.objects.create(  # not endpoint_create: its audit row would stay (the log is append-only)
            hospital=Hospital.objects.get(slug="alpha"), url="http://127.0.0.1:9/", events=EVENTS, secret=new_secret()
        )
        delivery = Delivery.objects.create(endpoint=endpoint, event_id=-1, type=EVENTS[0], body="{}")
        try:
            claimed, first_holds, release = {}, threading.Event(), threading.Event()

            def first():
                with transaction.atomic():
                    claimed["first"] = delivery_claim(delivery_id=delivery.pk)
                    first_holds.set()
                    release.wait(timeout=10)

            def second():
                claimed["second"] = delivery_claim(delivery_id=delivery.pk)

            first_worker = _in_thread(first)
            assert first_holds.wait(timeout=10)
            second_worker = _in_thread(second)
            _until_a_connection_waits_for_a_lock()
            release.set()
            first_worker.join(timeout=10)
            second_worker.join(timeout=10)

            assert claimed["first"] is not None
            assert claimed["second"] is None
            delivery.refresh_from_db()
            assert delivery.attempts == 1
        finally:
            Endpoint.objects.filter(pk=endpoint.pk).delete()


@pytest.mark.django_db
def test_two_admins_adding_at_once_are_counted_in_turn(alpha, alpha_admin, settings):
    """The cap is counted under the hospital's lock: while one admin's new endpoint is not committed (here: the
    test's transaction holds it), a second admin's waits instead of counting past it. It gives up after a second
    (lock_timeout) and rolls back, so nothing it could have written stays."""
    settings.WEBHOOK_MAX_ENDPOINTS = 1
    endpoint_create(actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/a", events=EVENTS)
    outcome = {}

    def other_admin():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                endpoint_create(actor=None, hospital=alpha, url="http://127.0.0.1:9/b", events=EVENTS)
                outcome["second"] = "counted past the first and added"
                transaction.set_rollback(True)
        except OperationalError:
            outcome["second"] = "waited for the first"

    _in_thread(other_admin).join(timeout=10)
    assert outcome["second"] == "waited for the first"
