"""Reminders per offset (Version 2 contract, "Lifecycle and hospital policy").

One `Reminder` row per offset of the hospital's `reminder_offsets_minutes` and booked appointment, armed in the
transaction that books (or moves) it and deleted in the one that cancels, completes, marks a no-show or moves it.
The periodic job (`reminders_queue_due`, every minute by beat) finds what has come due with one indexed query
over the public schema, whatever the number of hospitals, and claims each reminder by a conditional update in the
transaction that writes its outbox rows: two schedulers, a retried job or a worker killed mid-run queue each
reminder once. Delivery is then the outbox's business (shared_apps/notifications).

Decisions:
- An offset whose time has already passed when the appointment is booked is not armed (booked 3 hours ahead:
  the 2-hour reminder only). The booking confirmation is the message for that moment.
- When the job finds several reminders of one appointment due at once (it was not running for a while), it
  queues the latest one only (the smallest offset) and records the others as `superseded`; a reminder found
  after the appointment started is recorded as `started` and queues nothing.
- A hospital that changes its offsets re-arms its upcoming booked appointments (`reminders_rearm_hospital`):
  new offsets apply to them too, removed ones are disarmed, reminders already queued stay as they are.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shared_apps.directory.models import BookingEntry, Reminder
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue

TEMPLATE = "appointment_reminder"
BATCH = 500
BOOKED = "booked"  # tenant_apps.appointments.models.AppointmentStatus.BOOKED (shared apps do not import tenant ones)


def _armed(*, hospital, appointment_id, starts_at, now) -> list[Reminder]:
    return [
        Reminder(booking_id=appointment_id, hospital=hospital, offset_minutes=offset, due_at=due_at)
        for offset in sorted(set(hospital.reminder_offsets_minutes or []))
        if (due_at := starts_at - dt.timedelta(minutes=offset)) > now
    ]


def reminders_arm(*, hospital, appointment_id, starts_at: dt.datetime) -> int:
    """Arm one reminder per offset of the hospital's policy still ahead of now; returns how many it armed.

    Call in the transaction that writes the appointment's BookingEntry row (booking, reschedule), after it.
    An offset already armed for this appointment is left as it is (the unique constraint; nothing raises).
    """
    reminders = _armed(hospital=hospital, appointment_id=appointment_id, starts_at=starts_at, now=timezone.now())
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
    return len(reminders)


def reminders_disarm(*, appointment_id) -> int:
    """Delete every reminder of an appointment (cancellation, completion, no-show, and before a reschedule
    re-arms); returns how many rows went.

    A reminder already queued but not yet sent is then skipped at send time: its message builder finds its
    Reminder row gone (see `reminder_is_armed`).
    """
    deleted, _ = Reminder.objects.filter(booking_id=appointment_id).delete()
    return deleted


def reminders_rearm_hospital(*, hospital) -> int:
    """Apply a hospital's new `reminder_offsets_minutes` to its upcoming booked appointments; returns how many
    reminders it armed.

    Unqueued reminders of removed offsets are disarmed; new offsets are armed where still ahead; reminders already
    queued are kept. Call in the transaction that saves the policy.
    """
    offsets = list(hospital.reminder_offsets_minutes or [])
    Reminder.objects.filter(hospital=hospital, queued_at__isnull=True).exclude(offset_minutes__in=offsets).delete()
    now, armed = timezone.now(), 0
    upcoming = BookingEntry.objects.filter(hospital=hospital, status=BOOKED, starts_at__gt=now)
    for appointment_id, starts_at in upcoming.values_list("appointment_id", "starts_at").iterator():
        reminders = _armed(hospital=hospital, appointment_id=appointment_id, starts_at=starts_at, now=now)
        armed += len(Reminder.objects.bulk_create(reminders, ignore_conflicts=True))
    return armed


def reminder_is_armed(reminder_id) -> bool:
    """Whether a queued reminder still stands (not disarmed since by a cancellation, no-show or reschedule)."""
    return Reminder.objects.filter(pk=reminder_id).exists()


def reminders_due_query(*, now: dt.datetime, limit: int = BATCH):
    """The periodic job's one query: unclaimed reminders due by `now`, oldest first, with the booking and the
    patient (joined by primary key). Served by the partial index dir_reminder_due_idx (scripts/bench reminders)."""
    return (
        Reminder.objects.filter(queued_at__isnull=True, due_at__lte=now)
        .select_related("booking__patient")
        .order_by("due_at")[:limit]
    )


def reminders_due(*, now: dt.datetime, limit: int = BATCH) -> list[Reminder]:
    """reminders_due_query, evaluated."""
    return list(reminders_due_query(now=now, limit=limit))


def reminders_queue_due() -> int:
    """Queue every reminder that has come due (patient email, and SMS with a phone number); returns how many
    reminders it queued (not counting those it skipped).

    Safe to run concurrently and repeatedly: each reminder is claimed once (see `_reminder_claim`).
    Side effects: outbox rows, sent after commit; claimed reminders get `queued_at`.
    """
    now, queued = timezone.now(), 0
    while True:
        due = reminders_due(now=now)
        superseding = _smallest_due_offsets(due)
        for reminder in due:
            queued += _reminder_claim(reminder=reminder, now=now, skip=_skip_reason(reminder, now, superseding))
        if len(due) < BATCH:
            return queued


def _smallest_due_offsets(due: list[Reminder]) -> dict:
    smallest = {}
    for reminder in due:
        smallest[reminder.booking_id] = min(reminder.offset_minutes, smallest.get(reminder.booking_id, 1 << 31))
    return smallest


def _skip_reason(reminder: Reminder, now: dt.datetime, smallest: dict) -> str:
    if reminder.booking.status != BOOKED:
        return "not_booked"
    if reminder.booking.starts_at <= now:
        return "started"
    if reminder.offset_minutes > smallest[reminder.booking_id]:
        return "superseded"
    return ""


@transaction.atomic
def _reminder_claim(*, reminder: Reminder, now: dt.datetime, skip: str) -> bool:
    """Claim one reminder and, unless skipped, write its outbox rows in the same transaction; False when another
    run claimed it first or when it is skipped."""
    claimed = Reminder.objects.filter(pk=reminder.pk, queued_at__isnull=True).update(queued_at=now, skipped=skip)
    if not claimed or skip:
        return False
    patient = reminder.booking.patient
    recipients = [(Channel.EMAIL, patient.email)]
    if patient.phone_number:
        recipients.append((Channel.SMS, str(patient.phone_number)))
    for channel, address in recipients:
        notification_queue(
            channel=channel,
            recipient=address,
            template=TEMPLATE,
            context={
                "appointment_id": str(reminder.booking_id),
                "hospital_id": reminder.hospital_id,
                "audience": "patient",
                "reminder_id": reminder.pk,
            },
            hospital=reminder.hospital_id,
        )
    return True
