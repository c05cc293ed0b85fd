"""End to end through a real Redis broker and a real Celery worker process (not eager mode).

The data is committed (the worker has its own database connection), and the hospital is rejected afterwards
so it shows up in no pending list.
"""

import os
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(django_db_setup, django_db_blocker, tmp_path):
    from config.celery import app

    mailbox = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_DEBUG": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mailbox),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    app.control.purge()  # nothing queued by earlier tests (their rows were rolled back)
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_worker(app)
        yield mailbox
    finally:
        process.terminate()
        process.wait(timeout=30)
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
