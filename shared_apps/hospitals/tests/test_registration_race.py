"""A registration that loses a race (the same number, email or subdomain committed by another applicant between
the service's checks and its insert) is a 400 on the field that clashed.

The competitor commits from a connection of its own at exactly that moment (right after the model's full_clean,
the service's last check), so PostgreSQL's unique constraint, not the service's pre-check, refuses the insert.
"""

import psycopg
import pytest
from django.db import connection

from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.services import hospital_register

pytestmark = pytest.mark.django_db

APPLICATION = {
    "name": "Race Clinic",
    "registration_number": "RACE-1",
    "email": "race@example.com",
    "address": "1 Track Road",
    "phone_number": "+442079460123",
    "city": "Leeds",
    "timezone": "Europe/London",
}
COMPETITOR = {"registration_number": "OTHER-1", "email": "other@example.com", "slug": "other-clinic"}


@pytest.fixture
def other_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other:
        inserted = []
        yield other, inserted
        if inserted:
            other.execute("DELETE FROM public.hospitals_hospital WHERE id = ANY(%s)", [inserted])


@pytest.fixture
def competitor_commits_after_the_checks(monkeypatch, other_connection):
    """competitor(**fields): once the service's checks pass, another connection commits a hospital with these."""
    other, inserted = other_connection

    def arm(**fields):
        row = {**COMPETITOR, **fields}
        original = Hospital.full_clean

        def full_clean_then_lose_the_race(self, *args, **kwargs):
            original(self, *args, **kwargs)
            monkeypatch.setattr(Hospital, "full_clean", original)  # once
            (pk,) = other.execute(
                """
                INSERT INTO public.hospitals_hospital (schema_name, name, slug, registration_number, email, logo,
                    address, phone_number, city, timezone, brand_color, status, rejection_reason, is_active,
                    created_at, min_booking_notice_minutes, cancellation_notice_hours, booking_horizon_days,
                    reminder_offsets_minutes, no_show_limit)
                VALUES (%(schema)s, 'Competitor', %(slug)s, %(registration_number)s, %(email)s, '', '-',
                    '+442079460000', 'Leeds', 'UTC', '', 'pending', '', true, now(), 60, 4, 90, '{1440,120}', 3)
                RETURNING id
                """,
                {"schema": Hospital.schema_name_for(row["slug"]), **row},
            ).fetchone()
            inserted.append(pk)

        monkeypatch.setattr(Hospital, "full_clean", full_clean_then_lose_the_race)

    return arm


@pytest.mark.parametrize(
    ("clash", "field"),
    [
        ({"registration_number": "race-1"}, "registration_number"),
        ({"email": "RACE@example.com"}, "email"),
        ({"slug": "race-clinic"}, "subdomain"),  # refused by django-tenants' schema-name check in save()
        ({"slug": "race-clinic", "schema": "h_elsewhere"}, "subdomain"),  # by the slug's unique constraint
    ],
)
def test_a_lost_race_blames_the_field_that_clashed(competitor_commits_after_the_checks, clash, field):
    from django.core.exceptions import ValidationError

    competitor_commits_after_the_checks(**clash)
    with pytest.raises(ValidationError) as caught:
        hospital_register(actor=None, **APPLICATION, subdomain="race-clinic")
    assert set(caught.value.message_dict) == {field}


def test_a_lost_race_over_http_is_a_400_on_that_field(api, competitor_commits_after_the_checks):
    competitor_commits_after_the_checks(email="race@example.com")
    response = api.post("/api/hospitals/register/", APPLICATION, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], set(error["fields"])) == ("invalid", {"email"})
