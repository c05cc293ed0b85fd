"""End to end through a real Redis broker and a real Celery worker process (not eager mode).

The data is committed (the worker has its own database connection), and the hospital is rejected afterwards
so it shows up in no pending list.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def celery_worker(log: Path, **env_overrides: str) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process (solo pool) on the test database and broker, its output in `log`; stopped on
    exit."""
    from config.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_DEBUG": "true",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **env_overrides,
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_worker(app)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _file_mail(mailbox: Path) -> dict[str, str]:
    return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mailbox)}


@pytest.fixture
def worker(django_db_setup, django_db_blocker, tmp_path):
    from config.celery import app

    mailbox = tmp_path / "mail"
    app.control.purge()  # nothing queued by earlier tests (their rows were rolled back)
    try:
        with celery_worker(tmp_path / "worker.log", **_file_mail(mailbox)):
            yield mailbox
    finally:
        app.control.purge()


def _test_database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _wait_for_worker(app, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not start")


def _wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    return None


def test_a_registration_acknowledgement_goes_out_through_broker_and_worker(worker, django_db_blocker):
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_register, hospital_reject
    from shared_apps.notifications.models import Notification

    slug = f"e2e-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        hospital = hospital_register(
            actor=None,
            name="Worker Test Hospital",
            registration_number=slug,
            email=f"{slug}@example.com",
            address="1 Queue Lane",
            phone_number="+442079460000",
            city="Leeds",
            subdomain=slug,
        )
        try:
            sent = _wait_for(
                lambda: Notification.objects.filter(
                    hospital=hospital, template="hospital_registered", status="sent"
                ).first()
            )
            assert sent is not None, "the worker did not send the acknowledgement"
            files = _wait_for(lambda: list(worker.glob("*.log")))
            messages = [message_from_bytes(f.read_bytes()) for f in files]
            message = next(m for m in messages if m["To"] == f"{slug}@example.com")
            assert "Worker Test Hospital" in message["Subject"]
            assert sent.attempts == 1
        finally:
            hospital_reject(actor=SuperadminFactory(), hospital=hospital, reason="test over")


CLAIM_TIMEOUT_SECONDS = 2  # production: minutes; short here so the claim of the killed worker expires quickly


@pytest.mark.slow
def test_a_send_cut_off_by_a_killed_worker_and_a_lost_broker_message_still_goes_out_once(
    django_db_setup, django_db_blocker, tmp_path, settings
):
    """The worker claims the row (`sending`), blocks inside the SMTP conversation and is SIGKILLed; Redis, which
    keeps nothing on disk, restarts empty (here: FLUSHDB). Only the periodic requeue job can still send it."""
    import redis
    from django.db import transaction
    from django.utils import timezone

    from config.celery import app
    from shared_apps.hospitals.models import Hospital
    from shared_apps.notifications.models import Notification
    from shared_apps.notifications.services import notification_queue, notifications_requeue_stale

    settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS = CLAIM_TIMEOUT_SECONDS
    limits = {
        "NOTIFICATION_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS),
        "NOTIFICATION_SEND_TIME_LIMIT_SECONDS": "1",
    }
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    marker, mailbox, log = tmp_path / "send-started", tmp_path / "mail", tmp_path / "worker.log"
    recipient = f"stranded-{uuid.uuid4().hex[:8]}@example.com"
    app.control.purge()
    with django_db_blocker.unblock():
        blocking = {"EMAIL_BACKEND": "shared_apps.notifications.tests.backends.BlockingEmailBackend"}
        with celery_worker(log, **blocking, BLOCKING_EMAIL_MARKER=str(marker), **limits) as doomed:
            with transaction.atomic():
                notification = notification_queue(
                    channel="email",
                    recipient=recipient,
                    template="hospital_registered",
                    context={"hospital_id": Hospital.objects.get(slug="alpha").pk},
                )
            assert _wait_for(marker.exists), "the worker never started sending"
            doomed.kill()  # SIGKILL: no cleanup, no message handed back to the broker
            doomed.wait(timeout=30)
        notification.refresh_from_db()
        assert notification.status == "sending"
        assert broker.hlen("unacked") == 1  # the task message the broker would have redelivered...
        broker.flushdb()  # ...is lost with the broker's memory

        with celery_worker(log, **_file_mail(mailbox), **limits):
            expiry = notification.claimed_at + timezone.timedelta(seconds=CLAIM_TIMEOUT_SECONDS)
            assert _wait_for(lambda: timezone.now() > expiry)
            assert notifications_requeue_stale() >= 1
            sent = _wait_for(lambda: Notification.objects.filter(pk=notification.pk, status="sent").first())
        assert sent is not None, f"the stranded notification was never sent; worker log:\n{log.read_text()}"
        messages = [message_from_bytes(f.read_bytes()) for f in mailbox.glob("*.log")]
        assert [m["To"] for m in messages].count(recipient) == 1
        assert sent.attempts == 2
