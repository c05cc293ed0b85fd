"""Every state-changing service writes an audit row.

The test finds every public function of every services.py; each is either called here (and must add an audit
row) or exempted below with the reason. A new service that is neither fails `test_every_service_is_accounted_for`.
"""

import datetime as dt
import importlib
import inspect
import itertools
import pkgutil

import pytest

import shared_apps
import tenant_apps
from shared_apps.accounts.services import password_link_path
from shared_apps.accounts.tests.factories import PASSWORD, PatientFactory
from shared_apps.accounts.tokens import tokens_for
from shared_apps.audit.models import AuditLog
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from tenant_apps.appointments.tests.helpers import bookable_doctor, future_day, move_start_to_the_past
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db

EXEMPT = {
    "accounts.password_link_path": "builds a URL; changes nothing",  # pragma: allowlist secret
    "accounts.password_link_user": "reads a user from a link; changes nothing",  # pragma: allowlist secret
    "accounts.staff_user_get_or_create": "step of hospital_approve / doctor_invite, which audit",
    "accounts.membership_create": "step of hospital_approve / doctor_invite, which audit",
    "accounts.membership_set_active": "step of doctor_update, which audits",
    "accounts.password_link_send": "queues an email for a caller that audits",  # pragma: allowlist secret
    "accounts.password_reset_request": "queues the worker task, which audits",  # pragma: allowlist secret
    "accounts.user_sign_ins_end": "step of password_set / user_set_active, which audit",
    "audit.audit_record": "is the audit",
    "directory.doctor_entry_write": "read-model copy written inside doctor services, which audit",
    "directory.doctor_entries_relist": "read-model refresh inside hospital_set_active, which audits",
    "doctors.doctor_entry_sync": "read-model copy inside doctor services (which audit) and rebuild_directory",
    "hospitals.platform_ensure": "one-time platform setup by a management command",
    "notifications.notification_queue": "outbox row for a change that is audited",
    "notifications.notification_claim": "delivery bookkeeping, recorded on the notification row",
    "notifications.notification_deliver": "delivery bookkeeping, recorded on the notification row",
    "notifications.notification_release": "delivery bookkeeping, recorded on the notification row",
    "notifications.notifications_requeue_stale": "re-sends existing outbox rows",
    "appointments.appointment_reminders_queue": "system job; its outbox rows are the record",
    "appointments.patient_bookings_version_key": "names a cache key; changes nothing",
}


def discovered_services() -> set[str]:
    found = set()
    for package in (shared_apps, tenant_apps):
        for app in pkgutil.iter_modules(package.__path__):
            try:
                module = importlib.import_module(f"{package.__name__}.{app.name}.services")
            except ModuleNotFoundError:
                continue
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ == module.__name__ and not name.startswith("_"):
                    found.add(f"{app.name}.{name}")
    return found


def _service(dotted):
    app, name = dotted.split(".")
    package = "tenant_apps" if app in ("doctors", "appointments", "dashboard") else "shared_apps"
    return getattr(importlib.import_module(f"{package}.{app}.services"), name)


def calls(alpha, alpha_admin, superadmin, patient):
    """How to call each auditable service once, with valid arguments."""
    s = _service

    def in_alpha(fn):
        def run():
            with hospital_context(alpha):
                return fn()

        return run

    days = itertools.count(3)

    def booked():
        doctor, day = bookable_doctor(alpha, days=next(days))
        with hospital_context(alpha):
            return s("appointments.appointment_book")(
                actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(9)
            )

    def started():
        appointment = booked()
        move_start_to_the_past(alpha, appointment.pk)
        return appointment

    return {
        "accounts.patient_register": lambda: s("accounts.patient_register")(
            email="new@example.com", password=PASSWORD, name="New"
        ),
        "accounts.user_update_profile": lambda: s("accounts.user_update_profile")(actor=patient, name="Renamed"),
        "accounts.password_reset_send": lambda: s("accounts.password_reset_send")(email=patient.email),
        "accounts.password_set": lambda: s("accounts.password_set")(
            **dict(zip(("uid", "token"), password_link_path(patient).split("/")[3:5], strict=True)),
            password=PASSWORD + "x",
        ),
        "accounts.token_refresh": lambda: s("accounts.token_refresh")(refresh=tokens_for(patient)["refresh"]),
        "accounts.user_set_active": lambda: s("accounts.user_set_active")(
            actor=superadmin, user=PatientFactory().user, active=False
        ),
        "hospitals.hospital_register": lambda: s("hospitals.hospital_register")(
            actor=None,
            name="Audit Care",
            registration_number="AUD-1",
            email="audit@example.com",
            address="1 Road",
            phone_number="+442079460000",
            city="Leeds",
        ),
        "hospitals.hospital_approve": lambda: s("hospitals.hospital_approve")(
            actor=superadmin, hospital=PendingHospitalFactory()
        ),
        "hospitals.hospital_reject": lambda: s("hospitals.hospital_reject")(
            actor=superadmin, hospital=PendingHospitalFactory(), reason="No"
        ),
        "hospitals.hospital_set_active": lambda: s("hospitals.hospital_set_active")(
            actor=superadmin, hospital=alpha, active=False
        ),
        "hospitals.hospital_update_profile": lambda: s("hospitals.hospital_update_profile")(
            actor=alpha_admin, hospital=alpha, city="York"
        ),
        "doctors.doctor_create": lambda: make_doctor(alpha),
        "doctors.doctor_update": in_alpha(
            lambda: s("doctors.doctor_update")(actor=alpha_admin, hospital=alpha, doctor=make_doctor(alpha), fee=5)
        ),
        "doctors.doctor_invite": in_alpha(
            lambda: s("doctors.doctor_invite")(actor=alpha_admin, hospital=alpha, doctor=make_doctor(alpha))
        ),
        "doctors.availability_set": in_alpha(
            lambda: s("doctors.availability_set")(
                actor=alpha_admin,
                hospital=alpha,
                doctor=make_doctor(alpha),
                windows=[
                    {"date": future_day(alpha), "start_time": dt.time(9), "end_time": dt.time(10), "is_available": True}
                ],
            )
        ),
        "appointments.appointment_book": booked,
        "appointments.appointment_cancel": lambda: in_alpha(
            lambda: s("appointments.appointment_cancel")(
                actor=patient, hospital=alpha, appointment=booked(), by_patient=True
            )
        )(),
        "appointments.appointment_complete": lambda: in_alpha(
            lambda: s("appointments.appointment_complete")(actor=alpha_admin, hospital=alpha, appointment=started())
        )(),
    }


def test_every_service_is_accounted_for(alpha, alpha_admin, superadmin, patient):
    known = set(calls(alpha, alpha_admin, superadmin, patient)) | set(EXEMPT)
    assert discovered_services() == known, "call the new service in calls() or exempt it with a reason"


def test_every_auditable_service_writes_an_audit_row(alpha, alpha_admin, superadmin):
    patient = PatientFactory().user
    for dotted, call in calls(alpha, alpha_admin, superadmin, patient).items():
        last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        call()
        assert AuditLog.objects.filter(id__gt=last).exists(), f"{dotted} wrote no audit row"
