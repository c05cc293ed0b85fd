from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from shared_apps.accounts.models import Patient, Role, User
from shared_apps.accounts.tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"


def register(api, **overrides):
    body = {"email": "ada@example.com", "password": PASSWORD, "name": "Ada Lovelace", "phone_number": "+14155550123"}
    return api.post(REGISTER, {**body, **overrides}, format="json")


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_register_creates_a_patient_and_returns_tokens(api):
    response = register(api)

    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {
        "id": body["user"]["id"],
        "email": "ada@example.com",
        "role": "patient",
        "name": "Ada Lovelace",
    }
    user = User.objects.get(email="ada@example.com")
    assert Patient.objects.filter(user=user).exists()
    assert user.password.startswith("argon2")
    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.json() == {
        "id": user.pk,
        "email": "ada@example.com",
        "role": "patient",
        "name": "Ada Lovelace",
        "phone_number": "+14155550123",
        "hospital_id": None,
    }


@pytest.mark.parametrize(
    ("password", "why"),
    [("short1", "too short"), ("password123", "common"), ("1234567890123", "numeric"), ("ada@example.com", "email")],
)
def test_register_refuses_weak_passwords(api, password, why):
    error = assert_error(register(api, password=password), 400, "invalid")
    assert "password" in error["fields"], why
    assert not User.objects.filter(email="ada@example.com").exists()


def test_register_refuses_a_duplicate_email_whatever_its_case(api):
    assert register(api).status_code == 201
    error = assert_error(register(api, email="ADA@Example.com"), 400, "invalid")
    assert "email" in error["fields"]
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_register_lists_each_missing_field(api):
    error = assert_error(api.post(REGISTER, {}, format="json"), 400, "invalid")
    assert set(error["fields"]) == {"email", "password", "name"}


def test_register_refuses_an_invalid_phone_number(api):
    error = assert_error(register(api, phone_number="12"), 400, "invalid")
    assert "phone_number" in error["fields"]


def test_malformed_json_is_a_400(api):
    response = api.generic("POST", REGISTER, '{"email": "x@example.com",', content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_an_oversized_body_is_refused_before_it_is_read(api):
    body = '{"name": "' + "x" * (settings.MAX_REQUEST_BYTES + 10) + '"}'
    response = api.generic("POST", REGISTER, body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_login_returns_tokens_role_and_hospital(api):
    patient = PatientFactory()
    response = api.post(LOGIN, {"email": patient.user.email.upper(), "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": patient.user.pk, "email": patient.user.email, "role": "patient", "hospital_id": None}
    claims = AccessToken(body["access"])
    assert claims["role"] == "patient"
    assert claims["user_id"] == str(patient.user.pk)


def test_login_with_a_wrong_password_is_a_401_and_audited(api):
    patient = PatientFactory()
    response = api.post(LOGIN, {"email": patient.user.email, "password": "nope-nope-nope"}, format="json")
    assert_error(response, 401, "authentication_failed")
    from shared_apps.audit.models import AuditLog

    assert AuditLog.objects.filter(action="auth.login_failed").exists()


def test_login_locks_out_after_repeated_failures_even_with_the_right_password(api):
    patient = PatientFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(LOGIN, {"email": patient.user.email, "password": "wrong-password-1"}, format="json")
    response = api.post(LOGIN, {"email": patient.user.email, "password": PASSWORD}, format="json")
    assert_error(response, 429, "locked_out")


def test_lockout_is_keyed_on_the_client_ip(api):
    patient = PatientFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(
            LOGIN, {"email": patient.user.email, "password": "wrong-password-1"}, format="json", REMOTE_ADDR="10.0.0.1"
        )
    other_ip = api.post(
        LOGIN, {"email": patient.user.email, "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.2"
    )
    assert other_ip.status_code == 200
    # A forged X-Forwarded-For does not move a locked client to a fresh address (no trusted proxy configured).
    forged = api.post(
        LOGIN,
        {"email": patient.user.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert_error(forged, 429, "locked_out")


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api):
    patient = PatientFactory()
    first = api.post(LOGIN, {"email": patient.user.email, "password": PASSWORD}, format="json").json()

    rotated = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]

    assert_error(api.post(REFRESH, {"refresh": first["refresh"]}, format="json"), 401, "authentication_failed")
    assert api.post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json").status_code == 200


def test_logout_blacklists_the_refresh_token(api):
    patient = PatientFactory()
    tokens = api.post(LOGIN, {"email": patient.user.email, "password": PASSWORD}, format="json").json()

    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert_error(api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"), 401, "authentication_failed")


def test_me_patch_changes_the_profile_but_never_the_role(as_user):
    patient = PatientFactory()
    client = as_user(patient.user)

    response = client.patch(ME, {"name": "New Name", "role": "superadmin", "is_staff": True}, format="json")

    assert response.status_code == 200
    patient.user.refresh_from_db()
    assert (patient.user.name, patient.user.role, patient.user.is_staff) == ("New Name", Role.PATIENT, False)


def test_me_without_a_token_is_a_401(api):
    assert_error(api.get(ME), 401, "not_authenticated")


def _bearer(api, token):
    return api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_tampered_token_is_refused(api):
    patient = PatientFactory()
    token = str(AccessToken.for_user(patient.user))
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    assert_error(_bearer(api, tampered), 401, "authentication_failed")


def test_an_alg_none_token_is_refused(api):
    patient = PatientFactory()
    claims = dict(AccessToken.for_user(patient.user).payload)
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert_error(_bearer(api, unsigned), 401, "authentication_failed")


def test_an_expired_token_is_refused(api):
    patient = PatientFactory()
    token = AccessToken.for_user(patient.user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(_bearer(api, str(token)), 401, "authentication_failed")


def test_a_refresh_token_is_not_an_access_token(api):
    patient = PatientFactory()
    assert_error(_bearer(api, str(RefreshToken.for_user(patient.user))), 401, "authentication_failed")


def test_a_deactivated_user_cannot_use_a_valid_token(as_user):
    patient = PatientFactory()
    client = as_user(patient.user)
    User.objects.filter(pk=patient.user.pk).update(is_active=False)
    assert client.get(ME).status_code == 401


def test_an_unknown_api_path_is_a_json_404(api):
    assert_error(api.get("/api/nothing-here/"), 404, "not_found")
