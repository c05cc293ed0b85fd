"""Phone numbers are E.164 where the data lives (django-phonenumber-field on User and Hospital), and every way in
(API serializers, the registration and profile forms) parses them the same way."""

import pytest
from django.core.exceptions import ValidationError

from shared_apps.accounts.models import User
from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.hospitals.models import Hospital

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"


@pytest.mark.parametrize("model", [User, Hospital])
def test_the_models_refuse_a_number_that_is_not_a_phone_number(model):
    field = model._meta.get_field("phone_number")
    with pytest.raises(ValidationError):
        field.clean("12", None)
    assert str(field.clean("+44 20 7946 0123", None)) == "+442079460123"


def test_the_api_stores_and_answers_e164(as_user):
    user = PatientFactory().user
    response = as_user(user).patch(ME, {"phone_number": "+44 (20) 7946-0123"})
    assert response.status_code == 200, response.content
    assert response.json()["phone_number"] == "+442079460123"
    user.refresh_from_db()
    assert str(user.phone_number) == "+442079460123"
    assert User.objects.filter(pk=user.pk, phone_number="+442079460123").exists()


def test_an_empty_number_clears_it(as_user):
    user = PatientFactory().user
    as_user(user).patch(ME, {"phone_number": "+442079460123"})
    response = as_user(user).patch(ME, {"phone_number": ""})
    assert response.json()["phone_number"] == ""


@pytest.mark.parametrize("bad", ["12", "not a phone", "+999 123", "+44 20 7946 012345678"])
def test_a_bad_number_is_a_400_on_phone_number(as_user, bad):
    response = as_user(PatientFactory().user).patch(ME, {"phone_number": bad})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", ["phone_number"])


def test_the_default_region_reads_national_numbers(as_user, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "GB"
    response = as_user(PatientFactory().user).patch(ME, {"phone_number": "020 7946 0123"})
    assert response.json()["phone_number"] == "+442079460123"


def test_without_a_default_region_a_national_number_is_refused(as_user, settings):
    settings.PHONENUMBER_DEFAULT_REGION = None
    assert as_user(PatientFactory().user).patch(ME, {"phone_number": "020 7946 0123"}).status_code == 400


def test_the_hospital_list_answers_e164_strings(api, alpha):
    row = next(r for r in api.get("/api/hospitals/").json()["results"] if r["id"] == alpha.pk)
    assert row["phone_number"] == "+442079460000"
    assert api.get(f"/api/hospitals/{alpha.pk}/").json()["phone_number"] == "+442079460000"


def test_the_registration_form_stores_e164(client):
    from shared_apps.hospitals.tests.test_registration import application

    response = client.post("/register/", application(phone_number="+44 20 7946 0123"))
    assert response.status_code == 201
    assert str(Hospital.objects.get(registration_number="SM-2026-001").phone_number) == "+442079460123"
