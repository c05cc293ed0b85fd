"""A delivery through the real path (committed data, not a test transaction): written with its event, queued
after commit on the real Redis broker, sent by a real Celery worker process to a real receiver, which verifies the
signature."""

import json

from shared_apps.notifications.tests.test_worker_e2e import _wait_for, celery_worker
from shared_apps.webhooks.tests.test_delivery import verify


def test_an_event_is_delivered_by_the_worker_after_commit(django_db_setup, django_db_blocker, receiver, tmp_path):
    from django.db import transaction

    from config.celery import app
    from shared_apps.events.models import Event
    from shared_apps.events.services import event_record
    from shared_apps.hospitals.models import Hospital
    from shared_apps.webhooks.models import Delivery, Endpoint
    from shared_apps.webhooks.signing import new_secret

    app.control.purge()
    with django_db_blocker.unblock():
        alpha = Hospital.objects.get(slug="alpha")
        endpoint = Endpoint.objects.create(  # not endpoint_create: its audit row would stay (the log is append-only)
            hospital=alpha, url=receiver.url(), events=["appointment.cancelled"], secret=new_secret()
        )
        try:
            with celery_worker(tmp_path / "worker.log"):
                with transaction.atomic():
                    event = event_record(
                        type="appointment.cancelled", hospital_id=alpha.pk, data={"id": "e2e", "status": "cancelled"}
                    )
                    assert Delivery.objects.filter(endpoint=endpoint).count() == 1
                assert _wait_for(lambda: receiver.requests), (tmp_path / "worker.log").read_text()
                delivered = _wait_for(lambda: Delivery.objects.filter(endpoint=endpoint, status="succeeded").first())
            (request,) = receiver.requests
            assert verify(endpoint.secret, request.headers["X-RHMS-Signature"], request.body)
            assert json.loads(request.body)["id"] == str(event.seq)
            assert delivered is not None
            assert delivered.attempts == 1
        finally:
            Endpoint.objects.filter(pk=endpoint.pk).delete()
            Event.objects.filter(data__id="e2e").delete()
