"""A hospital's booking policy: shown in the API, validated in one place (policy_clean), edited in the dashboard."""

import pytest
from django.core.exceptions import ValidationError

from shared_apps.audit.models import AuditLog
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import policy_clean
from shared_apps.hospitals.services import hospital_update_policy
from tenant_apps.dashboard.tests.conftest import client_for
from tenant_apps.dashboard.tests.test_mutations import profile_form

pytestmark = pytest.mark.django_db


def test_the_hospital_detail_shows_its_policy_with_the_contract_defaults(api, alpha):
    body = api.get(f"/api/hospitals/{alpha.pk}/").json()
    assert body["policy"] == {
        "min_booking_notice_minutes": 60,
        "cancellation_notice_hours": 4,
        "booking_horizon_days": 90,
        "reminder_offsets_minutes": [1440, 120],
        "no_show_limit": 3,
    }


def test_the_policy_follows_a_change(api, alpha, alpha_admin):
    hospital_update_policy(actor=alpha_admin, hospital=alpha, cancellation_notice_hours=24, booking_horizon_days=30)
    policy = api.get(f"/api/hospitals/{alpha.pk}/").json()["policy"]
    assert (policy["cancellation_notice_hours"], policy["booking_horizon_days"]) == (24, 30)


@pytest.mark.parametrize(
    ("field", "valid", "invalid"),
    [
        ("min_booking_notice_minutes", [0, 7 * 24 * 60], [-1, 7 * 24 * 60 + 1]),
        ("cancellation_notice_hours", [0, 7 * 24], [-1, 7 * 24 + 1]),
        ("booking_horizon_days", [1, 365], [0, 366]),
        ("no_show_limit", [1, 100], [0, 101]),
    ],
)
def test_each_bound_is_inclusive_and_one_past_it_is_refused(field, valid, invalid):
    for value in valid:
        assert policy_clean({field: value}) == {field: value}
    for value in invalid:
        with pytest.raises(ValidationError) as caught:
            policy_clean({field: value})
        assert list(caught.value.message_dict) == [field], value


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        ([4], "between 5 and 20160"),
        ([20161], "between 5 and 20160"),
        ([1440, 1440], "Each reminder once: 1440 appears twice."),
        ([10, 20, 30, 40, 50, 60], "At most 5 reminders."),
        (["60"], "Enter a whole number."),
    ],
)
def test_reminder_offsets_are_bounded_distinct_and_at_most_five(offsets, message):
    with pytest.raises(ValidationError) as caught:
        policy_clean({"reminder_offsets_minutes": offsets})
    assert message in " ".join(caught.value.message_dict["reminder_offsets_minutes"])


def test_reminder_offsets_at_the_bounds_are_kept_largest_first():
    cleaned = policy_clean({"reminder_offsets_minutes": [5, 20160, 60, 1440, 120]})
    assert cleaned == {"reminder_offsets_minutes": [20160, 1440, 120, 60, 5]}
    assert policy_clean({"reminder_offsets_minutes": []}) == {"reminder_offsets_minutes": []}


def test_an_unknown_key_is_refused():
    with pytest.raises(ValidationError) as caught:
        policy_clean({"name": "x"})
    assert list(caught.value.message_dict) == ["name"]


def test_the_service_validates_saves_and_audits_the_change(alpha, alpha_admin):
    with pytest.raises(ValidationError):
        hospital_update_policy(actor=alpha_admin, hospital=alpha, booking_horizon_days=0, no_show_limit=5)
    assert Hospital.objects.get(pk=alpha.pk).no_show_limit == 3  # nothing saved

    hospital_update_policy(actor=alpha_admin, hospital=alpha, no_show_limit=5, reminder_offsets_minutes=[60, 1440])

    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.no_show_limit, hospital.reminder_offsets_minutes) == (5, [1440, 60])
    row = AuditLog.objects.get(hospital=alpha, action="hospital.policy_updated")
    assert row.metadata == {"no_show_limit": "3 → 5", "reminder_offsets_minutes": "[1440, 120] → [1440, 60]"}


# Dashboard -------------------------------------------------------------------------------------------------------


def test_the_admin_edits_the_policy_in_the_profile_page(alpha, alpha_admin):
    client = client_for(alpha_admin)
    page = client.get("/profile/").content.decode()
    assert '<label for="id_cancellation_notice_hours">Cancellation notice (hours)</label>' in page
    assert 'value="1440, 120"' in page

    response = client.post(
        "/profile/", profile_form(alpha, cancellation_notice_hours="24", reminder_offsets_minutes="60, 2880")
    )

    assert response.status_code == 302
    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.cancellation_notice_hours, hospital.reminder_offsets_minutes) == (24, [2880, 60])
    assert 'value="2880, 60"' in client.get("/profile/").content.decode()  # shown sorted
    assert AuditLog.objects.filter(hospital=alpha, action="hospital.policy_updated").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"booking_horizon_days": "366"}, "booking_horizon_days", "between 1 and 365"),
        ({"min_booking_notice_minutes": "10081"}, "min_booking_notice_minutes", "between 0 and 10080"),
        ({"reminder_offsets_minutes": "60, 60"}, "reminder_offsets_minutes", "60 appears twice"),
        ({"reminder_offsets_minutes": "1, 2, x"}, "reminder_offsets_minutes", "whole numbers of minutes"),
    ],
)
def test_a_refused_policy_is_an_error_tied_to_its_field_and_nothing_is_saved(
    alpha, alpha_admin, changes, field, message
):
    response = client_for(alpha_admin).post("/profile/", profile_form(alpha, city="Changed", **changes))

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # Django ties the error to its input: aria-describedby names the error list's id, aria-invalid marks it.
    assert f'id="id_{field}_error"' in html
    assert f'aria-invalid="true" aria-describedby="id_{field}_helptext id_{field}_error"' in html
    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.city, hospital.booking_horizon_days, hospital.reminder_offsets_minutes) == (
        alpha.city,
        90,
        [1440, 120],
    )
    assert not AuditLog.objects.filter(
        hospital=alpha, action__in=["hospital.profile_updated", "hospital.policy_updated"]
    ).exists()


def test_policy_errors_show_together_with_the_profiles_own(alpha, alpha_admin):
    """The form runs the same validator as the service, so one submission lists every problem."""
    form = profile_form(alpha, phone_number="12", booking_horizon_days="0")
    html = client_for(alpha_admin).post("/profile/", form).content.decode()
    assert "Enter a valid phone number" in html
    assert "between 1 and 365" in html
