"""Setting a password or deactivating an account ends every sign-in held before: refresh tokens and sessions."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from shared_apps.accounts.services import password_link_path
from shared_apps.accounts.tests.factories import PASSWORD, PatientFactory
from shared_apps.audit.models import AuditLog

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
NEW = "Brand-new-passphrase-77"


def sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk))


def signed_in_everywhere(api, user):
    """Two API sign-ins (refresh tokens) and a dashboard session for `user`, all working."""
    refreshes = [api.post(LOGIN, {"email": user.email, "password": PASSWORD}).json()["refresh"] for _ in range(2)]
    dashboard = Client(HTTP_HOST="alpha.localhost")
    dashboard.force_login(user)
    assert dashboard.get("/").status_code == 200
    assert sessions_of(user) == 1
    return refreshes, dashboard


def assert_signed_out(api, user, refreshes, dashboard):
    for refresh in refreshes:
        response = api.post(REFRESH, {"refresh": refresh})
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "authentication_failed"
    assert sessions_of(user) == 0
    response = dashboard.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.fixture
def admin_with_password(alpha_admin):
    alpha_admin.set_password(PASSWORD)
    alpha_admin.save(update_fields=["password"])
    return alpha_admin


def test_setting_a_password_from_a_link_ends_every_earlier_sign_in(api, admin_with_password):
    user = admin_with_password
    refreshes, dashboard = signed_in_everywhere(api, user)
    _, _, _, uid, token, _ = password_link_path(user).split("/")

    assert api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": NEW}).status_code == 204

    assert_signed_out(api, user, refreshes, dashboard)
    fresh = api.post(LOGIN, {"email": user.email, "password": NEW})
    assert fresh.status_code == 200
    assert api.post(REFRESH, {"refresh": fresh.json()["refresh"]}).status_code == 200


def test_another_users_sign_ins_survive(api, admin_with_password):
    other = PatientFactory().user
    other_refresh = api.post(LOGIN, {"email": other.email, "password": PASSWORD}).json()["refresh"]
    _, _, _, uid, token, _ = password_link_path(admin_with_password).split("/")
    api.post("/api/auth/password/set/", {"uid": uid, "token": token, "password": NEW})
    assert api.post(REFRESH, {"refresh": other_refresh}).status_code == 200


def test_deactivating_a_user_in_the_admin_ends_their_sign_ins(api, admin_with_password, superadmin):
    user = admin_with_password
    refreshes, dashboard = signed_in_everywhere(api, user)
    admin = Client()
    admin.force_login(superadmin)

    response = admin.post(
        "/admin/accounts/user/", {"action": "deactivate_selected", "_selected_action": [user.pk]}, follow=True
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    assert AuditLog.objects.filter(action="user.deactivated", entity_id=str(user.pk)).exists()
    assert_signed_out(api, user, refreshes, dashboard)


def test_the_admin_change_form_cannot_flip_is_active_around_the_service(admin_with_password, superadmin):
    admin = Client()
    admin.force_login(superadmin)
    page = admin.get(f"/admin/accounts/user/{admin_with_password.pk}/change/").content.decode()
    assert 'name="is_active"' not in page
