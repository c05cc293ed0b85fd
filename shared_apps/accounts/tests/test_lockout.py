"""Failed sign-ins lock the account as it is normalized (trimmed, lower case), whatever letter case was typed."""

import pytest
from django.conf import settings
from django.test import Client

from shared_apps.accounts.tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


def spellings(email: str) -> list[str]:
    """The same account typed differently: one spelling per failed attempt, cycling."""
    local, domain = email.split("@")
    return [email, email.upper(), f"{local.capitalize()}@{domain.upper()}", f"  {email.swapcase()} "]


def test_api_failures_in_any_letter_case_count_against_one_account(api):
    email = PatientFactory().user.email
    typed = spellings(email)
    statuses = [
        api.post(LOGIN, {"email": typed[attempt % len(typed)], "password": "wrong-password-1"}).status_code
        for attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the failure that reaches the limit locks

    for spelling in [email, email.upper(), email.title()]:
        response = api.post(LOGIN, {"email": spelling, "password": PASSWORD})
        assert response.status_code == 429, spelling
        assert response.json()["error"]["code"] == "locked_out"


def test_api_lockout_by_lower_case_blocks_the_upper_case_spelling(api):
    email = PatientFactory().user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(LOGIN, {"email": email, "password": "wrong-password-1"})  # pragma: allowlist secret
    response = api.post(LOGIN, {"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"


def test_dashboard_failures_in_any_letter_case_count_against_one_account(alpha_admin):
    alpha_admin.set_password(PASSWORD)
    alpha_admin.save(update_fields=["password"])
    client = Client(HTTP_HOST="alpha.localhost")
    typed = spellings(alpha_admin.email)
    statuses = [
        client.post("/sign-in/", {"username": typed[attempt % len(typed)], "password": "wrong-password-1"}).status_code
        for attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the form again, then the lockout page

    locked = client.post("/sign-in/", {"username": alpha_admin.email.upper(), "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_in_another_case_still_signs_in_below_the_limit(api):
    email = PatientFactory().user.email
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api.post(LOGIN, {"email": email.upper(), "password": "wrong-password-1"})
    assert api.post(LOGIN, {"email": email.capitalize(), "password": PASSWORD}).status_code == 200
