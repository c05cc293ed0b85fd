"""Reminders per offset: armed at booking, fired once each at its time, disarmed and re-armed with the lifecycle."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from shared_apps.directory.models import BookingEntry, Reminder
from shared_apps.directory.reminders import (
    reminders_arm,
    reminders_disarm,
    reminders_queue_due,
    reminders_rearm_hospital,
)
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from shared_apps.notifications.tasks import notification_send
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past

pytestmark = pytest.mark.django_db
REAL_NOW = timezone.now


@pytest.fixture
def clock():
    """clock.at(moment) freezes django.utils.timezone.now (what the services read) at `moment`."""

    class Clock:
        def __init__(self):
            self.now = REAL_NOW()

        def at(self, moment):
            self.now = moment

    frozen = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: frozen.now):
        yield frozen


@pytest.fixture
def booked(as_user, alpha, patient):
    """A booked appointment 3 days ahead, for a patient with a phone (each reminder: email + SMS)."""
    patient.phone_number = "+442079460111"
    patient.save(update_fields=["phone_number"])
    doctor, day = bookable_doctor(alpha, name="Dr Remind")
    response = book(as_user(patient), doctor, day, "09:00", reason="Private symptoms")
    assert response.status_code == 201, response.content
    return BookingEntry.objects.get(appointment_id=response.json()["id"])


def reminders_sent(entry) -> list[tuple[str, int]]:
    """(channel, reminder_id) of every reminder message queued for the appointment."""
    rows = Notification.objects.filter(template="appointment_reminder", context__appointment_id=str(entry.pk))
    return sorted((n.channel, n.context["reminder_id"]) for n in rows)


def offset_of(reminder_id) -> int:
    return Reminder.objects.get(pk=reminder_id).offset_minutes


def test_booking_arms_one_reminder_per_offset_of_the_hospitals_policy(booked):
    armed = {r.offset_minutes: r.due_at for r in Reminder.objects.filter(booking=booked)}
    assert armed == {
        1440: booked.starts_at - dt.timedelta(hours=24),
        120: booked.starts_at - dt.timedelta(hours=2),
    }


def test_each_offset_fires_once_at_its_time_and_not_before(booked, clock):
    day_before, two_hours_before = (
        booked.starts_at - dt.timedelta(minutes=1440),
        booked.starts_at - dt.timedelta(minutes=120),
    )
    clock.at(day_before - dt.timedelta(seconds=1))
    assert reminders_queue_due() == 0
    clock.at(day_before)
    assert reminders_queue_due() == 1
    assert reminders_queue_due() == 0
    clock.at(two_hours_before - dt.timedelta(seconds=1))
    assert reminders_queue_due() == 0
    assert [offset_of(r) for _, r in reminders_sent(booked)] == [1440, 1440]
    clock.at(two_hours_before)
    assert reminders_queue_due() == 1
    clock.at(booked.starts_at + dt.timedelta(hours=1))
    assert reminders_queue_due() == 0

    sent = reminders_sent(booked)
    assert sorted((channel, offset_of(r)) for channel, r in sent) == [
        ("email", 120),
        ("email", 1440),
        ("sms", 120),
        ("sms", 1440),
    ]


def test_a_reminder_message_has_the_minimum_and_never_the_reason(booked, clock, patient):
    clock.at(booked.starts_at - dt.timedelta(minutes=120))
    reminders_queue_due()
    mail.outbox.clear()
    for notification in Notification.objects.filter(template="appointment_reminder"):
        assert set(notification.context) == {"appointment_id", "hospital_id", "audience", "reminder_id"}
        notification_send.apply(args=[notification.pk])
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "reminder" in message.subject.lower()
    assert "Dr Remind" in message.body
    assert "Private symptoms" not in message.body


def test_an_offset_already_past_at_booking_is_not_armed(alpha, booked):
    reminders_disarm(appointment_id=booked.pk)
    assert reminders_arm(hospital=alpha, appointment_id=booked.pk, starts_at=timezone.now() + dt.timedelta(hours=3))
    assert list(Reminder.objects.filter(booking=booked).values_list("offset_minutes", flat=True)) == [120]


def test_arming_twice_arms_each_offset_once(alpha, booked):
    reminders_arm(hospital=alpha, appointment_id=booked.pk, starts_at=booked.starts_at)
    assert Reminder.objects.filter(booking=booked).count() == 2


def test_cancellation_disarms_the_reminders(as_user, booked, patient, clock):
    as_user(patient).post(f"/api/appointments/{booked.pk}/cancel/")
    assert not Reminder.objects.filter(booking=booked).exists()
    clock.at(booked.starts_at - dt.timedelta(minutes=120))
    assert reminders_queue_due() == 0
    assert reminders_sent(booked) == []


def test_completion_disarms_the_reminders(as_user, alpha, alpha_admin, booked):
    move_start_to_the_past(alpha, booked.pk)
    response = as_user(alpha_admin).post(f"/api/appointments/{booked.pk}/complete/")
    assert response.status_code == 200, response.content
    assert not Reminder.objects.filter(booking=booked).exists()


def _reschedule_like_the_service(*, hospital, entry, starts_at):
    """What the reschedule service does to reminders (disarm, move the directory row, arm for the new time)."""
    reminders_disarm(appointment_id=entry.pk)
    BookingEntry.objects.filter(pk=entry.pk).update(starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=30))
    with hospital_context(hospital):
        Appointment.objects.filter(pk=entry.pk).update(
            starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=30)
        )
    reminders_arm(hospital=hospital, appointment_id=entry.pk, starts_at=starts_at)


def test_a_reschedule_rearms_the_reminders_for_the_new_time(alpha, booked, clock):
    clock.at(booked.starts_at - dt.timedelta(minutes=1440))
    assert reminders_queue_due() == 1  # the day-before reminder of the old time, not yet delivered
    old_messages = list(Notification.objects.filter(template="appointment_reminder", status="queued"))
    new_start = booked.starts_at + dt.timedelta(days=2)

    _reschedule_like_the_service(hospital=alpha, entry=booked, starts_at=new_start)

    armed = {r.offset_minutes: r.due_at for r in Reminder.objects.filter(booking=booked)}
    assert armed == {1440: new_start - dt.timedelta(hours=24), 120: new_start - dt.timedelta(hours=2)}
    mail.outbox.clear()
    for notification in old_messages:  # queued for the old time: skipped at send time
        notification_send.apply(args=[notification.pk])
    assert mail.outbox == []
    assert {n.last_error for n in Notification.objects.filter(pk__in=[n.pk for n in old_messages])} == {
        "skipped: no longer applicable"
    }
    clock.at(booked.starts_at - dt.timedelta(minutes=120))  # the old time's 2-hour mark: nothing
    assert reminders_queue_due() == 0
    clock.at(new_start - dt.timedelta(minutes=1440))
    assert reminders_queue_due() == 1
    clock.at(new_start - dt.timedelta(minutes=120))
    assert reminders_queue_due() == 1


def test_reminders_found_late_send_only_the_latest_and_nothing_after_the_start(booked, clock):
    clock.at(booked.starts_at - dt.timedelta(minutes=60))  # the job was down: both offsets are due
    assert reminders_queue_due() == 1
    assert {offset_of(r) for _, r in reminders_sent(booked)} == {120}
    skipped = dict(Reminder.objects.filter(booking=booked).values_list("offset_minutes", "skipped"))
    assert skipped == {1440: "superseded", 120: ""}


def test_a_reminder_found_after_the_start_queues_nothing(booked, clock):
    clock.at(booked.starts_at + dt.timedelta(minutes=1))
    assert reminders_queue_due() == 0
    assert set(Reminder.objects.filter(booking=booked).values_list("skipped", flat=True)) == {"started"}
    assert reminders_sent(booked) == []


def test_a_policy_change_rearms_upcoming_appointments_and_keeps_what_was_queued(alpha, booked, clock):
    clock.at(booked.starts_at - dt.timedelta(minutes=1440))
    reminders_queue_due()  # the 1440 reminder is queued
    alpha.reminder_offsets_minutes = [600, 30]
    alpha.save(update_fields=["reminder_offsets_minutes"])

    assert reminders_rearm_hospital(hospital=alpha) == 2

    rows = {r.offset_minutes: r.queued_at for r in Reminder.objects.filter(booking=booked)}
    assert sorted(rows) == [30, 600, 1440]
    assert (rows[30], rows[600], rows[1440] is not None) == (None, None, True)
    clock.at(booked.starts_at - dt.timedelta(minutes=600))
    assert reminders_queue_due() == 1


def test_a_job_that_dies_mid_run_queues_the_rest_next_time_and_nothing_twice(as_user, alpha, booked, clock):
    from shared_apps.directory import reminders

    response = book(as_user(booked.patient), booked.doctor, booked.appointment_date, "09:30")
    second = BookingEntry.objects.get(appointment_id=response.json()["id"])
    clock.at(second.starts_at - dt.timedelta(minutes=120))  # both appointments' 2-hour reminders are due
    real_queue, calls = reminders.notification_queue, []

    def dies_on_the_third_message(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:  # the first reminder's email and SMS are written; the worker dies in the second's
            raise SystemExit("worker killed")
        return real_queue(**kwargs)

    with (
        mock.patch.object(reminders, "notification_queue", side_effect=dies_on_the_third_message),
        pytest.raises(SystemExit),
    ):
        reminders_queue_due()
    # The dead reminder's claim rolled back with its half-written outbox rows; the first one's committed.
    assert Reminder.objects.filter(offset_minutes=120, queued_at__isnull=False).count() == 1
    assert reminders_queue_due() == 1
    for entry in (booked, second):
        assert sorted(channel for channel, _ in reminders_sent(entry)) == ["email", "sms"]


def test_task_runs_the_job(booked, clock):
    from tenant_apps.appointments.tasks import appointment_reminders

    clock.at(booked.starts_at - dt.timedelta(minutes=1440))
    assert appointment_reminders.apply().get() == 1


def test_two_runs_holding_the_same_due_list_claim_each_reminder_once(booked, clock):
    from shared_apps.directory.reminders import _reminder_claim, reminders_due

    clock.at(booked.starts_at - dt.timedelta(minutes=120))
    first_run, second_run = reminders_due(now=clock.now), reminders_due(now=clock.now)  # both read before claiming
    claims = [
        _reminder_claim(reminder=reminder, now=clock.now, skip="")
        for pair in zip(first_run, second_run, strict=True)
        for reminder in pair
    ]
    assert claims.count(True) == 2  # the two offsets, once each
    assert sorted(channel for channel, _ in reminders_sent(booked)) == ["email", "email", "sms", "sms"]
