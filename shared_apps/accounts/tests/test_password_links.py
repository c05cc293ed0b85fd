import pytest
from django.core import mail

from shared_apps.accounts.services import password_link_path
from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.notifications.models import Notification
from shared_apps.notifications.tasks import notification_send

pytestmark = pytest.mark.django_db

NEW = "Brand-new-passphrase-77"


def uid_token(user):
    _, _, _, uid, token, _ = password_link_path(user).split("/")
    return uid, token


def test_the_api_sets_a_password_once(api):
    user = PatientFactory().user
    uid, token = uid_token(user)

    assert api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": NEW}).status_code == 204
    again = api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": NEW + "x"})

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_link"
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_the_api_refuses_weak_passwords_and_forged_links(api):
    user = PatientFactory().user
    uid, token = uid_token(user)
    weak = api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": "123"})
    assert weak.status_code == 400
    assert "password" in weak.json()["error"]["fields"]
    forged = api.post("/api/auth/password/set/", {"uid": "Zm9v", "token": "abc-def", "password": NEW})
    assert forged.json()["error"]["code"] == "invalid_link"


def test_links_expire(api, settings):
    user = PatientFactory().user
    uid, token = uid_token(user)
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": NEW}).status_code == 400


def test_reset_answers_the_same_whether_or_not_the_account_exists(api, monkeypatch, django_capture_on_commit_callbacks):
    from shared_apps.accounts.tasks import password_reset_send

    monkeypatch.setattr(password_reset_send, "delay", lambda email: password_reset_send.apply(args=[email]))
    user = PatientFactory().user
    with django_capture_on_commit_callbacks(execute=True):
        known = api.post("/api/auth/password/reset/", {"email": user.email.upper()})
        unknown = api.post("/api/auth/password/reset/", {"email": "nobody@example.com"})

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    notification = Notification.objects.get(template="password_reset")
    assert notification.recipient == user.email
    notification_send.apply(args=[notification.pk])
    assert "/accounts/set-password/" in mail.outbox[-1].body
