"""Every operation of the public API × every role, against hospital A's objects.

EXPECTED holds one row per operation, OPERATION_COUNT of them: an endpoint added without its row fails
`test_every_operation_has_a_row` (against the OpenAPI schema) and `test_the_matrix_has_a_row_for_every_routed_operation`
(against the URL conf, which also sees a view left out of the schema). Each cell runs in a savepoint that is rolled
back, so cells do not interact.
"""

import datetime as dt
import re
import uuid

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from shared_apps.accounts.services import password_link_path
from shared_apps.accounts.tests.factories import PASSWORD, PatientFactory, SuperadminFactory
from shared_apps.accounts.tokens import tokens_for
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from shared_apps.webhooks.services import endpoint_create
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past
from tenant_apps.doctors.services import time_off_add
from tenant_apps.doctors.tests.test_doctors_api import _invited
from tenant_apps.waitlist.tests.helpers import join, match

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "patient", "doctor", "admin_a", "admin_b", "superadmin"]


def row(anonymous, patient, doctor, admin_a, admin_b, superadmin):
    return dict(zip(ROLES, (anonymous, patient, doctor, admin_a, admin_b, superadmin), strict=True))


EVERYONE = {
    200: row(200, 200, 200, 200, 200, 200),
    201: row(201, 201, 201, 201, 201, 201),
    202: row(202, 202, 202, 202, 202, 202),
    204: row(204, 204, 204, 204, 204, 204),
}
SIGNED_IN = row(401, 200, 200, 200, 200, 200)
SUPERADMIN_ONLY = row(401, 403, 403, 403, 403, 200)
AUDIT_READERS = row(401, 403, 403, 200, 200, 200)
PATIENT_ONLY = row(401, 200, 403, 403, 403, 403)
APPOINTMENT_PARTIES = row(401, 200, 200, 200, 404, 404)

EXPECTED = {
    ("GET", "/api/ping/"): EVERYONE[200],
    ("POST", "/api/auth/register/"): EVERYONE[201],
    ("POST", "/api/auth/login/"): EVERYONE[200],
    ("POST", "/api/auth/refresh/"): EVERYONE[200],
    ("POST", "/api/auth/logout/"): EVERYONE[204],
    ("GET", "/api/auth/me/"): SIGNED_IN,
    ("PATCH", "/api/auth/me/"): SIGNED_IN,
    ("POST", "/api/auth/password/reset/"): EVERYONE[202],
    ("POST", "/api/auth/password/set/"): EVERYONE[204],
    ("POST", "/api/hospitals/register/"): EVERYONE[201],
    ("GET", "/api/hospitals/"): EVERYONE[200],
    ("GET", "/api/hospitals/{hospital_id}/"): EVERYONE[200],
    ("GET", "/api/admin/hospitals/pending/"): SUPERADMIN_ONLY,
    ("POST", "/api/admin/hospitals/{hospital_id}/approve/"): SUPERADMIN_ONLY,
    ("POST", "/api/admin/hospitals/{hospital_id}/reject/"): SUPERADMIN_ONLY,
    ("GET", "/api/admin/audit-logs/"): AUDIT_READERS,
    ("GET", "/api/admin/notifications/"): AUDIT_READERS,
    ("GET", "/api/doctors/"): EVERYONE[200],
    ("POST", "/api/doctors/"): row(401, 403, 403, 201, 201, 403),
    ("GET", "/api/doctors/{doctor_id}/"): EVERYONE[200],
    ("PATCH", "/api/doctors/{doctor_id}/"): row(401, 403, 404, 200, 404, 403),
    ("POST", "/api/doctors/{doctor_id}/invite/"): row(401, 403, 404, 200, 404, 403),
    ("GET", "/api/doctors/{doctor_id}/availability/"): EVERYONE[200],
    ("POST", "/api/doctors/{doctor_id}/availability/set/"): row(401, 403, 200, 200, 404, 403),
    ("GET", "/api/doctors/{doctor_id}/schedule/"): row(401, 403, 200, 200, 404, 403),
    ("PUT", "/api/doctors/{doctor_id}/schedule/"): row(401, 403, 200, 200, 404, 403),
    ("POST", "/api/doctors/{doctor_id}/time-off/"): row(401, 403, 201, 201, 404, 403),
    ("DELETE", "/api/doctors/{doctor_id}/time-off/{time_off_id}/"): row(401, 403, 204, 204, 404, 403),
    ("POST", "/api/appointments/book/"): row(401, 201, 403, 403, 403, 403),
    ("GET", "/api/appointments/user/"): PATIENT_ONLY,
    ("GET", "/api/appointments/hospital/"): row(401, 403, 200, 200, 200, 403),
    ("GET", "/api/appointments/{appointment_id}/"): APPOINTMENT_PARTIES,
    ("POST", "/api/appointments/{appointment_id}/cancel/"): APPOINTMENT_PARTIES,
    # the started appointment belongs to another patient: to "patient" it does not exist
    ("POST", "/api/appointments/{appointment_id}/complete/"): row(401, 404, 200, 200, 404, 404),
    ("POST", "/api/appointments/{appointment_id}/no-show/"): row(401, 404, 200, 200, 404, 404),
    ("POST", "/api/appointments/{appointment_id}/reschedule/"): APPOINTMENT_PARTIES,
    ("GET", "/api/appointments/{appointment_id}/ics/"): APPOINTMENT_PARTIES,
    ("POST", "/api/waitlist/"): row(401, 201, 403, 403, 403, 403),
    ("GET", "/api/waitlist/"): PATIENT_ONLY,
    # Served live over ASGI (shared_apps/events/streams.py, tested in shared_apps/events/tests/test_streams.py);
    # the test client reaches the view that answers where no ASGI server runs: the same audience rule.
    ("GET", "/api/events/"): row(401, 200, 200, 200, 200, 403),
    ("DELETE", "/api/waitlist/{entry_id}/"): row(401, 204, 403, 403, 403, 403),
    ("POST", "/api/waitlist/{entry_id}/accept/"): row(401, 201, 403, 403, 403, 403),
    ("POST", "/api/waitlist/{entry_id}/decline/"): PATIENT_ONLY,
    # hospital A's endpoint; admin_b's own list and endpoints are hospital B's
    ("POST", "/api/webhooks/"): row(401, 403, 403, 201, 201, 403),
    ("GET", "/api/webhooks/"): row(401, 403, 403, 200, 200, 403),
    ("GET", "/api/webhooks/{webhook_id}/"): row(401, 403, 404, 200, 404, 403),
    ("DELETE", "/api/webhooks/{webhook_id}/"): row(401, 403, 404, 204, 404, 403),
}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator(urlconf="config.urls_public").get_schema(request=None, public=True)
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def test_every_operation_has_a_row():
    assert schema_operations() == set(EXPECTED), "add the new endpoint's row to EXPECTED"


@pytest.fixture
def world(alpha, beta, patient, alpha_admin, beta_admin):
    """Hospital A's objects and a client per role."""
    patient.set_password(PASSWORD)
    patient.save(update_fields=["password"])
    doctor, day = bookable_doctor(alpha)
    doctor_user = _invited(alpha, doctor)
    upcoming = book(_client(patient), doctor, day, "09:00").json()
    started = book(_client(PatientFactory().user), doctor, day, "10:00").json()
    move_start_to_the_past(alpha, started["id"])
    with hospital_context(alpha):
        time_off, _ = time_off_add(
            actor=alpha_admin,
            hospital=alpha,
            doctor=doctor,
            start_date=day + dt.timedelta(days=2),
            end_date=day + dt.timedelta(days=2),
        )
    # the patient's waitlist entry for another doctor, holding an offer (a slot of that doctor is free)
    other_doctor, other_day = bookable_doctor(alpha, days=5)
    entry = join(alpha, patient, other_doctor, other_day)
    match(alpha, other_doctor)
    webhook = endpoint_create(
        actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/hook", events=["appointment.booked"]
    )
    clients = {
        "anonymous": APIClient(),
        "patient": _client(patient),
        "doctor": _client(doctor_user),
        "admin_a": _client(alpha_admin),
        "admin_b": _client(beta_admin),
        "superadmin": _client(SuperadminFactory()),
    }
    return {
        "alpha": alpha,
        "patient": patient,
        "doctor": doctor,
        "day": day,
        "time_off_id": time_off.pk,
        "entry_id": entry.pk,
        "webhook_id": webhook.pk,
        "upcoming": upcoming,
        "started": started,
        "clients": clients,
        "started_owner_token": None,
    }


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client


def _request(world, method, path):
    """Concrete URL and a valid body for one operation, built fresh for each cell."""
    unique = uuid.uuid4().hex[:8]
    params = {
        "hospital_id": world["alpha"].pk,
        "doctor_id": world["doctor"].pk,
        "time_off_id": world["time_off_id"],
        "entry_id": world["entry_id"],
        "webhook_id": world["webhook_id"],
        "appointment_id": world["started"]["id"]
        if path.endswith(("/complete/", "/no-show/"))
        else world["upcoming"]["id"],
    }
    if "/admin/hospitals/{hospital_id}/" in path:
        params["hospital_id"] = PendingHospitalFactory().pk
    url = path.format(**params)
    bodies = {
        "/api/auth/register/": {"email": f"{unique}@example.com", "password": PASSWORD, "name": "New Patient"},
        "/api/auth/login/": {"email": world["patient"].email, "password": PASSWORD},
        "/api/auth/refresh/": {"refresh": tokens_for(world["patient"])["refresh"]},
        "/api/auth/logout/": {"refresh": tokens_for(world["patient"])["refresh"]},
        "/api/auth/me/": {"name": "Renamed"},
        "/api/auth/password/reset/": {"email": world["patient"].email},
        "/api/auth/password/set/": dict(
            zip(("uid", "token"), password_link_path(PatientFactory().user).split("/")[3:5], strict=True),
            password=PASSWORD,
        ),
        "/api/hospitals/register/": {
            "name": f"Matrix {unique}",
            "registration_number": unique,
            "email": f"{unique}@h.example.com",
            "address": "1 Road",
            "phone_number": "+442079460000",
            "city": "Leeds",
        },
        "/api/admin/hospitals/{hospital_id}/reject/": {"reason": "Not eligible"},
        "/api/doctors/": {"name": "Dr New", "email": f"{unique}@d.example.com", "specialization": "GP", "fee": "10.00"},
        "/api/doctors/{doctor_id}/": {"fee": "99.00"},
        "/api/doctors/{doctor_id}/availability/set/": {
            "windows": [{"date": str(world["day"]), "start_time": "09:00", "end_time": "12:00", "is_available": True}]
        },
        "/api/doctors/{doctor_id}/schedule/": {
            "weekly_hours": [{"weekday": 0, "start_time": "09:00", "end_time": "12:00"}]
        },
        "/api/doctors/{doctor_id}/time-off/": {
            "start_date": str(world["day"] + dt.timedelta(days=1)),
            "end_date": str(world["day"] + dt.timedelta(days=1)),
        },
        "/api/appointments/book/": {"doctor_id": str(world["doctor"].pk), "date": str(world["day"]), "time": "11:00"},
        "/api/appointments/{appointment_id}/reschedule/": {"date": str(world["day"]), "time": "11:00"},
        "/api/webhooks/": {"url": "http://127.0.0.1:9/new", "events": ["appointment.cancelled"]},
        "/api/waitlist/": {
            "doctor_id": str(world["doctor"].pk),
            "date_from": str(world["day"]),
            "date_to": str(world["day"]),
        },
    }
    return url, bodies.get(path)


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix(world, role):
    failures = []
    for (method, path), expected in sorted(EXPECTED.items()):
        with transaction.atomic():
            url, body = _request(world, method, path)
            client = world["clients"][role]
            response = client.generic(method, url, data=_json(body), content_type="application/json")
            if response.status_code != expected[role]:
                failures.append(f"{method} {path} as {role}: {response.status_code}, expected {expected[role]}")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def _json(body) -> str:
    import json

    return json.dumps(body) if body is not None else ""


# The public API's operations, counted by hand: adding or removing one changes this number on purpose.
OPERATION_COUNT = 47
NOT_OPERATIONS = {"/api/schema/", "/api/docs/"}  # the API's description, not part of it


def urlconf_operations() -> set[tuple[str, str]]:
    """Every (method, path) that the public URL conf routes under /api/, read from the resolver (not from the
    schema, which skips a view excluded from it)."""
    found = set()
    for path, view in _routes(get_resolver("config.urls_public").url_patterns):
        if not path.startswith("/api/") or path in NOT_OPERATIONS:
            continue
        view_class = getattr(view, "view_class", None) or view.cls
        for method in view_class.http_method_names:
            if method not in ("head", "options") and hasattr(view_class, method):
                found.add((method.upper(), path))
    return found


def _routes(patterns, prefix="/"):
    for pattern in patterns:
        path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, path)
        else:
            yield path, pattern.callback


def test_the_matrix_has_a_row_for_every_routed_operation():
    assert urlconf_operations() == set(EXPECTED), "add the new endpoint's row to EXPECTED"
    assert len(EXPECTED) == OPERATION_COUNT
