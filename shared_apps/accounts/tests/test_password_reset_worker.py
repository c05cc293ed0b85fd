"""A password reset request does the same work whether or not the account exists: the request only queues a
task with the typed email; the worker looks the account up, makes the link and queues the email. So the answer
cannot be told apart by its timing (no user lookup, no token, no outbox row in the request)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts import tasks
from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.notifications.models import Notification

pytestmark = pytest.mark.django_db

RESET = "/api/auth/password/reset/"


@pytest.fixture
def queued(monkeypatch):
    """The emails the request queued for the worker (the broker is not needed to see what was sent to it)."""
    sent = []
    monkeypatch.setattr(tasks.password_reset_send, "delay", lambda email: sent.append(email))
    return sent


def request_reset(api, email, capture):
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = api.post(RESET, {"email": email})
    return response, [q["sql"] for q in queries.captured_queries]


def test_known_and_unknown_emails_take_the_same_path(api, queued, django_capture_on_commit_callbacks):
    user = PatientFactory().user
    request_reset(api, "warm-up@example.com", django_capture_on_commit_callbacks)  # the platform's row is cached
    known, known_sql = request_reset(api, user.email.upper(), django_capture_on_commit_callbacks)
    unknown, unknown_sql = request_reset(api, "nobody@example.com", django_capture_on_commit_callbacks)

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    assert queued == ["warm-up@example.com", user.email.upper(), "nobody@example.com"]
    assert known_sql == unknown_sql
    assert not [sql for sql in known_sql if "accounts_user" in sql or "notifications_" in sql]
    assert not Notification.objects.filter(template="password_reset").exists()


def test_the_worker_sends_the_link_to_an_existing_account_only():
    user = PatientFactory().user
    tasks.password_reset_send.apply(args=[f" {user.email.upper()} "])
    tasks.password_reset_send.apply(args=["nobody@example.com"])

    notification = Notification.objects.get(template="password_reset")
    assert notification.recipient == user.email
    assert AuditLog.objects.filter(action="user.password_reset_requested", entity_id=str(user.pk)).count() == 1


def test_the_dashboard_form_queues_the_same_task(queued, alpha_admin, django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        response = Client(HTTP_HOST="alpha.localhost").post("/password-reset/", {"email": alpha_admin.email})
    assert response.status_code == 302
    assert queued == [alpha_admin.email]
