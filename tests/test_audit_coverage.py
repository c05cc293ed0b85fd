"""Every state-changing service writes an audit row.

The test finds every public function of every services.py; each is either called here (and must add an audit
row with its own action, counted from after its fixtures are built) or exempted below with the reason. A new
service that is neither fails `test_every_service_is_accounted_for`.
"""

import datetime as dt
import importlib
import inspect
import itertools
import pkgutil
from collections.abc import Callable

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
    "directory.booking_entry_create": "read-model copy written inside appointment_book, which audits",
    "directory.booking_entry_move": "read-model copy written inside the reschedule service, which audits",
    "doctors.availability_window_add": "rebuilds one date for availability_set, which audits",
    "doctors.availability_window_remove": "rebuilds one date for availability_set, which audits",
    "doctors.doctor_entry_sync": "read-model copy inside doctor services (which audit) and rebuild_directory",
    "hospitals.platform_ensure": "one-time platform setup by a management command",
    "notifications.notification_queue": "outbox row for a change that is audited",
    "events.event_record": "live-update log row for a change that is audited, in its transaction",
    "events.events_publish": "numbers and publishes existing event rows (after commit, or the periodic sweep)",
    "events.events_publish_quietly": "events_publish after a commit",
    "events.events_prune": "retention of the event log (periodic)",
    "events.streams_close_after_commit": "ends open streams after an audited change of access (deactivation)",
    "notifications.notification_claim": "delivery bookkeeping, recorded on the notification row",
    "notifications.notification_deliver": "delivery bookkeeping, recorded on the notification row",
    "notifications.notification_release": "delivery bookkeeping, recorded on the notification row",
    "notifications.notifications_requeue_stale": "re-sends existing outbox rows",
    "appointments.appointment_cancel_for_time_off": "calls appointment_cancel, which audits (inside time_off_add)",
    "waitlist.waitlist_sweep": "system job: runs waitlist_match for each doctor, which audits",
    "directory.doctor_entry_lock": "a row lock before the free-slot facts are recomputed; changes nothing",
    "directory.doctor_facts_write": "read-model facts written inside the services that move slots, which audit",
    "directory.doctor_facts_clear": "read-model facts cleared inside doctor_update, which audits",
    "doctors.doctor_slots_changed": "read-model facts and caches, inside the services that move slots, which audit",
    "doctors.doctor_facts_refresh": "read-model facts, inside doctor_slots_changed and rebuild_directory",
    "doctors.hospital_slots_changed": "read-model facts, inside hospital_policy_change, which audits",
    "doctors.doctor_facts_refresh_due": "system job: recomputes read-model facts that time made stale",
    "webhooks.delivery_body": "builds a delivery's JSON; changes nothing",
    "webhooks.deliveries_create": "outbox rows for an event of a change that is audited, in its transaction",
    "webhooks.delivery_claim": "delivery bookkeeping, recorded on the delivery row",
    "webhooks.delivery_send": "one attempt, logged as a webhook Attempt row (a disabling audits, in _disable)",
    "webhooks.delivery_post": "one HTTP POST; touches no database",
    "webhooks.delivery_record": "logs an Attempt row; a day of failures audits webhook.disabled",
    "webhooks.deliveries_send_due": "system job: re-sends due deliveries",
    "webhooks.deliveries_settle_lost": "system job: logs a lost attempt as an Attempt row (a disabling audits)",
    "webhooks.deliveries_prune": "system job: removes finished deliveries past their retention",
    "webhooks.retry_delay": "computes a delay; changes nothing",
}


def discovered_services() -> set[str]:
    """Public functions defined in each app's services.py, or in the modules of its services package."""
    found = set()
    for package in (shared_apps, tenant_apps):
        for app in pkgutil.iter_modules(package.__path__):
            try:
                services = importlib.import_module(f"{package.__name__}.{app.name}.services")
            except ModuleNotFoundError:
                continue
            for module in _modules_of(services):
                for name, function in inspect.getmembers(module, inspect.isfunction):
                    if function.__module__ == module.__name__ and not name.startswith("_"):
                        found.add(f"{app.name}.{name}")
    return found


def _modules_of(services):
    if not hasattr(services, "__path__"):
        return [services]
    return [importlib.import_module(f"{services.__name__}.{m.name}") for m in pkgutil.iter_modules(services.__path__)]


def _service(dotted):
    app, name = dotted.split(".")
    package = "tenant_apps" if app in ("doctors", "appointments", "dashboard", "waitlist") else "shared_apps"
    return getattr(importlib.import_module(f"{package}.{app}.services"), name)


def cases(alpha, alpha_admin, superadmin, patient) -> dict[str, tuple[str, Callable[[], Callable[[], object]]]]:
    """For each auditable service: the action it must record, and `prepare()`, which builds what the call needs
    (writing audit rows of its own, before the test takes its mark) and returns the call."""
    s = _service

    def in_alpha(fn):
        def run():
            with hospital_context(alpha):
                return fn()

        return run

    def ready(call):
        """Nothing to build first."""
        return lambda: call

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

    def password_set():
        uid, token = password_link_path(patient).split("/")[3:5]
        return lambda: s("accounts.password_set")(uid=uid, token=token, password=PASSWORD + "x")

    def user_deactivate():
        user = PatientFactory().user
        return lambda: s("accounts.user_set_active")(actor=superadmin, user=user, active=False)

    def token_refresh():
        refresh = tokens_for(patient)["refresh"]
        return lambda: s("accounts.token_refresh")(refresh=refresh)

    def pending(service, **kwargs):
        def prepare():
            hospital = PendingHospitalFactory()
            return lambda: s(service)(actor=superadmin, hospital=hospital, **kwargs)

        return prepare

    def with_doctor(service, **kwargs):
        def prepare():
            doctor = make_doctor(alpha)
            return in_alpha(lambda: s(service)(actor=alpha_admin, hospital=alpha, doctor=doctor, **kwargs))

        return prepare

    def book():
        doctor, day = bookable_doctor(alpha, days=next(days))
        return in_alpha(
            lambda: s("appointments.appointment_book")(
                actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(9)
            )
        )

    def cancel():
        appointment = booked()
        return in_alpha(
            lambda: s("appointments.appointment_cancel")(actor=patient, hospital=alpha, appointment=appointment)
        )

    def complete():
        appointment = started()
        return in_alpha(
            lambda: s("appointments.appointment_complete")(actor=alpha_admin, hospital=alpha, appointment=appointment)
        )

    def time_off_remove():
        doctor = make_doctor(alpha)
        with hospital_context(alpha):
            time_off, _ = s("doctors.time_off_add")(
                actor=alpha_admin,
                hospital=alpha,
                doctor=doctor,
                start_date=future_day(alpha),
                end_date=future_day(alpha),
            )
        return in_alpha(
            lambda: s("doctors.time_off_remove")(actor=alpha_admin, hospital=alpha, doctor=doctor, time_off=time_off)
        )

    def reschedule():
        appointment = booked()
        return in_alpha(
            lambda: s("appointments.appointment_reschedule")(
                actor=patient,
                hospital=alpha,
                appointment=appointment,
                date=appointment.appointment_date,
                time=dt.time(10),
            )
        )

    def no_show():
        appointment = started()
        return in_alpha(
            lambda: s("appointments.appointment_mark_no_show")(
                actor=alpha_admin, hospital=alpha, appointment=appointment
            )
        )

    def waiting():
        doctor, day = bookable_doctor(alpha, days=next(days))
        with hospital_context(alpha):
            entry = s("waitlist.waitlist_join")(
                actor=patient, hospital=alpha, doctor=doctor, date_from=day, date_to=day
            )
        return doctor, entry

    def offered():
        doctor, entry = waiting()
        with hospital_context(alpha):
            s("waitlist.waitlist_match")(hospital=alpha, doctor=doctor)
            entry.refresh_from_db()
        return entry

    def on_offer(service, actor=None):
        def prepare():
            entry = offered()
            return in_alpha(lambda: s(service)(actor=actor or patient, hospital=alpha, entry=entry))

        return prepare

    def join():
        doctor, day = bookable_doctor(alpha, days=next(days))
        return in_alpha(
            lambda: s("waitlist.waitlist_join")(
                actor=patient, hospital=alpha, doctor=doctor, date_from=day, date_to=day
            )
        )

    def match():
        doctor, _ = waiting()
        return in_alpha(lambda: s("waitlist.waitlist_match")(hospital=alpha, doctor=doctor))

    def book_held():
        entry = offered()
        return in_alpha(lambda: s("appointments.appointment_book_held")(actor=patient, hospital=alpha, hold=entry.hold))

    def webhook(service):
        def prepare():
            endpoint = s("webhooks.endpoint_create")(
                actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/", events=["appointment.booked"]
            )
            if service == "webhooks.endpoint_enable":
                type(endpoint).objects.filter(pk=endpoint.pk).update(active=False)
            return lambda: s(service)(actor=alpha_admin, hospital=alpha, endpoint=endpoint)

        return prepare

    window = {"date": future_day(alpha), "start_time": dt.time(9), "end_time": dt.time(10), "is_available": True}
    weekly = {"weekday": 0, "start_time": dt.time(9), "end_time": dt.time(12)}
    leave = {"start_date": future_day(alpha), "end_date": future_day(alpha)}
    return {
        "accounts.patient_register": (
            "patient.registered",
            ready(lambda: s("accounts.patient_register")(email="new@example.com", password=PASSWORD, name="New")),
        ),
        "accounts.user_update_profile": (
            "user.profile_updated",
            ready(lambda: s("accounts.user_update_profile")(actor=patient, name="Renamed")),
        ),
        "accounts.password_reset_send": (
            "user.password_reset_requested",
            ready(lambda: s("accounts.password_reset_send")(email=patient.email)),
        ),
        "accounts.password_set": ("user.password_set", password_set),
        "accounts.token_refresh": ("auth.token_refreshed", token_refresh),
        "accounts.user_set_active": ("user.deactivated", user_deactivate),
        "hospitals.hospital_register": (
            "hospital.registered",
            ready(
                lambda: s("hospitals.hospital_register")(
                    actor=None,
                    name="Audit Care",
                    registration_number="AUD-1",
                    email="audit@example.com",
                    address="1 Road",
                    phone_number="+442079460000",
                    city="Leeds",
                )
            ),
        ),
        "hospitals.hospital_approve": ("hospital.approved", pending("hospitals.hospital_approve")),
        "hospitals.hospital_reject": ("hospital.rejected", pending("hospitals.hospital_reject", reason="No")),
        "hospitals.hospital_set_active": (
            "hospital.deactivated",
            ready(lambda: s("hospitals.hospital_set_active")(actor=superadmin, hospital=alpha, active=False)),
        ),
        "hospitals.hospital_update_profile": (
            "hospital.profile_updated",
            ready(lambda: s("hospitals.hospital_update_profile")(actor=alpha_admin, hospital=alpha, city="York")),
        ),
        "hospitals.hospital_update_policy": (
            "hospital.policy_updated",
            ready(lambda: s("hospitals.hospital_update_policy")(actor=alpha_admin, hospital=alpha, no_show_limit=5)),
        ),
        "doctors.hospital_policy_change": (
            "hospital.policy_updated",
            lambda: in_alpha(
                lambda: s("doctors.hospital_policy_change")(actor=alpha_admin, hospital=alpha, booking_horizon_days=30)
            ),
        ),
        "doctors.doctor_create": ("doctor.created", ready(lambda: make_doctor(alpha))),
        "doctors.doctor_update": ("doctor.updated", with_doctor("doctors.doctor_update", fee=5)),
        "doctors.doctor_invite": ("doctor.invited", with_doctor("doctors.doctor_invite")),
        "doctors.availability_set": ("availability.set", with_doctor("doctors.availability_set", windows=[window])),
        "doctors.schedule_set": ("schedule.updated", with_doctor("doctors.schedule_set", weekly_hours=[weekly])),
        "doctors.time_off_add": ("time_off.added", with_doctor("doctors.time_off_add", **leave)),
        "doctors.time_off_remove": ("time_off.removed", time_off_remove),
        "appointments.appointment_book": ("appointment.booked", book),
        "appointments.appointment_cancel": ("appointment.cancelled", cancel),
        "appointments.appointment_complete": ("appointment.completed", complete),
        "appointments.appointment_reschedule": ("appointment.rescheduled", reschedule),
        "appointments.appointment_mark_no_show": ("appointment.no_show", no_show),
        "appointments.appointment_book_held": ("appointment.booked", book_held),
        "waitlist.waitlist_join": ("waitlist.joined", join),
        "waitlist.waitlist_match": ("waitlist.offered", match),
        "waitlist.waitlist_accept": ("waitlist.accepted", on_offer("waitlist.waitlist_accept")),
        "waitlist.waitlist_decline": ("waitlist.declined", on_offer("waitlist.waitlist_decline")),
        "waitlist.waitlist_leave": ("waitlist.left", on_offer("waitlist.waitlist_leave")),
        "waitlist.waitlist_remove": ("waitlist.removed", on_offer("waitlist.waitlist_remove", actor=alpha_admin)),
        "webhooks.endpoint_create": (
            "webhook.created",
            ready(
                lambda: s("webhooks.endpoint_create")(
                    actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/", events=["appointment.booked"]
                )
            ),
        ),
        "webhooks.endpoint_delete": ("webhook.deleted", webhook("webhooks.endpoint_delete")),
        "webhooks.endpoint_enable": ("webhook.enabled", webhook("webhooks.endpoint_enable")),
    }


def test_every_service_is_accounted_for(alpha, alpha_admin, superadmin, patient):
    known = set(cases(alpha, alpha_admin, superadmin, patient)) | set(EXEMPT)
    assert discovered_services() == known, "call the new service in cases() or exempt it with a reason"


def test_every_auditable_service_records_its_own_action(alpha, alpha_admin, superadmin):
    patient = PatientFactory().user
    missing = []
    for dotted, (action, prepare) in cases(alpha, alpha_admin, superadmin, patient).items():
        call = prepare()  # fixtures first: their own audit rows must not count
        last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        call()
        recorded = list(AuditLog.objects.filter(id__gt=last).values_list("action", flat=True))
        if action not in recorded:
            missing.append(f"{dotted} recorded {recorded}, not {action!r}")
    assert not missing, "\n".join(missing)
