"""Every dashboard URL × every role, on hospital A's subdomain, against hospital A's objects.

Outcomes: "login" (redirected to sign-in), "hidden" (404, as if nothing were there) or "ok" (2xx or 3xx: the page,
or the mutation done). Every mutation is sent a valid request, so a refusal (4xx) is never mistaken for access.
A route without a row in EXPECTED fails `test_every_route_has_a_row`.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from shared_apps.accounts.tests.factories import PatientFactory, SuperadminFactory
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.webhooks.services import endpoint_create
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past
from tenant_apps.doctors.models import DoctorAvailability
from tenant_apps.doctors.services import time_off_add
from tenant_apps.doctors.tests.test_doctors_api import _invited
from tenant_apps.waitlist.tests.helpers import join

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"
ROLES = ["anonymous", "patient", "doctor", "admin_a", "admin_b", "superadmin"]
NOT_DASHBOARD = {"healthz", "media"}


def row(anonymous, patient, doctor, admin_a, admin_b, superadmin):
    return dict(zip(ROLES, (anonymous, patient, doctor, admin_a, admin_b, superadmin), strict=True))


PUBLIC = row("ok", "ok", "ok", "ok", "ok", "ok")
STAFF = row("login", "hidden", "ok", "ok", "hidden", "hidden")
ADMIN = row("login", "hidden", "hidden", "ok", "hidden", "hidden")

# (method, route name) → expected outcome per role
EXPECTED = {
    ("GET", "dashboard:sign-in"): PUBLIC,
    ("GET", "dashboard:password-reset"): PUBLIC,
    ("POST", "dashboard:sign-out"): row("login", "login", "login", "login", "login", "login"),  # back to sign-in
    ("GET", "dashboard:overview"): STAFF,
    ("GET", "dashboard:doctors"): ADMIN,
    ("GET", "dashboard:doctor-add"): ADMIN,
    ("GET", "dashboard:doctor-edit"): ADMIN,
    ("POST", "dashboard:doctor-deactivate"): ADMIN,
    ("POST", "dashboard:doctor-activate"): ADMIN,
    ("POST", "dashboard:doctor-invite"): ADMIN,
    ("GET", "dashboard:availability"): STAFF,
    ("GET", "dashboard:availability-week"): STAFF,
    ("POST", "dashboard:availability-add"): STAFF,
    ("POST", "dashboard:availability-remove"): STAFF,
    ("GET", "dashboard:weekly-hours"): STAFF,
    ("POST", "dashboard:weekly-hours"): STAFF,
    ("GET", "dashboard:time-off"): STAFF,
    ("POST", "dashboard:time-off-add"): STAFF,
    ("POST", "dashboard:time-off-remove"): STAFF,
    ("GET", "dashboard:appointments"): STAFF,
    ("GET", "dashboard:appointment"): STAFF,
    ("POST", "dashboard:appointment-cancel"): STAFF,
    ("POST", "dashboard:appointment-complete"): STAFF,
    ("POST", "dashboard:appointment-no-show"): STAFF,
    ("GET", "dashboard:waitlist"): ADMIN,
    ("POST", "dashboard:waitlist-remove"): ADMIN,
    ("GET", "dashboard:profile"): ADMIN,
    ("GET", "dashboard:activity"): ADMIN,
    ("GET", "dashboard:notifications"): ADMIN,
    ("GET", "dashboard:webhooks"): ADMIN,
    ("POST", "dashboard:webhooks"): ADMIN,
    ("GET", "dashboard:webhook"): ADMIN,
    ("GET", "dashboard:webhook-delete"): ADMIN,
    ("POST", "dashboard:webhook-delete"): ADMIN,
    ("POST", "dashboard:webhook-enable"): ADMIN,
}


WEEKLY_HOURS_GRID = {
    "hours-TOTAL_FORMS": "1",
    "hours-INITIAL_FORMS": "0",
    "hours-0-weekday": "0",
    "hours-0-start_time": "09:00",
    "hours-0-end_time": "12:00",
    "save": "1",
}


def route_names(patterns=None, namespace="") -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver("config.urls_tenants").url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in NOT_DASHBOARD:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_has_a_row():
    assert route_names() == {name for _, name in EXPECTED}, "add the new dashboard route's row to EXPECTED"


@pytest.fixture
def world(alpha, alpha_admin, beta_admin, as_user):
    doctor, day = bookable_doctor(alpha)
    doctor_user = _invited(alpha, doctor)
    appointment = book(as_user(PatientFactory().user), doctor, day, "09:00").json()
    move_start_to_the_past(alpha, appointment["id"])  # so that staff may complete it as well as cancel it
    users = {
        "patient": PatientFactory().user,
        "doctor": doctor_user,
        "admin_a": alpha_admin,
        "admin_b": beta_admin,
        "superadmin": SuperadminFactory(),
    }
    entry = join(alpha, users["patient"], doctor, day)
    with hospital_context(alpha):
        window_id = DoctorAvailability.objects.filter(doctor=doctor).values_list("pk", flat=True).first()
        later = day + dt.timedelta(days=7)
        time_off, _ = time_off_add(actor=alpha_admin, hospital=alpha, doctor=doctor, start_date=later, end_date=later)
    webhook = endpoint_create(
        actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/", events=["appointment.booked"]
    )
    kwargs = {
        "doctor_id": doctor.pk,
        "appointment_id": appointment["id"],
        "time_off_id": time_off.pk,
        "entry_id": entry.pk,
        "webhook_id": webhook.pk,
    }
    return {"users": users, "kwargs": kwargs, "day": day, "window_id": window_id}


def _url(name, kwargs):
    pattern_kwargs = get_resolver("config.urls_tenants").reverse_dict
    candidates = (
        {},
        {"doctor_id": kwargs["doctor_id"]},
        {"appointment_id": kwargs["appointment_id"]},
        {"doctor_id": kwargs["doctor_id"], "time_off_id": kwargs["time_off_id"]},
        {"entry_id": kwargs["entry_id"]},
        {"webhook_id": kwargs["webhook_id"]},
    )
    for candidate in candidates:
        try:
            return reverse(name, urlconf="config.urls_tenants", kwargs=candidate)
        except Exception:  # noqa: BLE001, S112 - try the next shape of arguments
            continue
    raise AssertionError(f"cannot build {name} ({pattern_kwargs and 'no matching kwargs'})")


def _outcome(response) -> str:
    if response.status_code == 404:
        return "hidden"
    if response.status_code == 302 and "/sign-in/" in response["Location"]:
        return "login"
    if response.status_code < 400:
        return "ok"
    return f"refused ({response.status_code})"


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_matrix(world, role):
    failures = []
    for (method, name), expected in sorted(EXPECTED.items()):
        with transaction.atomic():
            client = Client()
            if role != "anonymous":
                client.force_login(world["users"][role])
            url = _url(name, world["kwargs"])
            body = (
                {"window_id": world["window_id"]}
                if name.endswith("-remove")
                else {
                    "date": str(world["day"]),
                    "start_time": "13:00",
                    "end_time": "14:00",
                    "kind": "available",
                    "reason": "Matrix",
                    # time off (13:00–14:00 of that day) and one row of weekly hours
                    "start_date": str(world["day"]),
                    "end_date": str(world["day"]),
                    **WEEKLY_HOURS_GRID,
                    # a webhook endpoint
                    "url": "http://127.0.0.1:9/matrix",
                    "events": ["appointment.booked"],
                }
            )
            response = client.get(url, HTTP_HOST=HOST) if method == "GET" else client.post(url, body, HTTP_HOST=HOST)
            if _outcome(response) != expected[role]:
                failures.append(
                    f"{method} {name} as {role}: {response.status_code} → {_outcome(response)}, "
                    f"expected {expected[role]}"
                )
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)
