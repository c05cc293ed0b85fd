"""The directory's free-slot facts (shared_apps.directory.models.DoctorDay and DoctorEntry.next_available_*), kept
exact in the transaction of every write that moves a doctor's free slots, and advanced as time passes.

Every such write calls `doctor_slots_changed` once, with the local dates it touched (None: all of them). It locks
the doctor's directory row, recomputes those dates with the one slot computation (doctor_free_slots) and writes
the facts. The lock makes two bookings of one doctor recompute one after the other, the second seeing the first's
committed row, so the facts never lag a commit.

Facts also go stale by themselves: the first free slot comes inside the booking notice, and at local midnight a
new day enters the horizon. `facts_refresh_at` on the entry says when; `doctor_facts_refresh_due` (every minute)
reads the due entries by index and recomputes only today, the first free slot's day and the new days. Its work
grows with the number of doctors whose facts expired, never with the number of hospitals.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.common.cache_versions import doctor_version_key
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.directory.cache import free_slots_changed
from shared_apps.directory.models import DoctorDay, DoctorEntry
from shared_apps.directory.services import doctor_entry_lock, doctor_facts_clear, doctor_facts_write
from shared_apps.events.services import event_record
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import last_bookable_date
from shared_apps.hospitals.services import hospital_update_policy
from shared_apps.hospitals.tenancy import for_each_hospital
from tenant_apps.doctors.models import Doctor, DoctorStatus
from tenant_apps.doctors.selectors import doctor_free_slots
from tenant_apps.doctors.slots import dates_between

logger = logging.getLogger(__name__)

REFRESH_BATCH = 2000  # due doctors per run of the periodic refresh; the rest wait a minute
SLOT_POLICY = ("min_booking_notice_minutes", "booking_horizon_days")


def doctor_slots_changed(*, hospital: Hospital, doctor: Doctor, dates: Iterable[dt.date] | None = None) -> None:
    """After a write that moved the doctor's free slots on `dates` (local dates; None: any date): recompute their
    directory facts in this transaction. Side effects: the doctor's availability and the directory caches are
    invalidated after commit; a `slots.changed` event (dates null: any date) goes to the hospital's admins and the
    doctor.
    """
    dates = None if dates is None else sorted(set(dates))
    doctor_facts_refresh(hospital=hospital, doctor=doctor, dates=dates)
    bump_after_commit(doctor_version_key(doctor.pk))
    free_slots_changed()
    event_record(
        type="slots.changed",
        hospital_id=hospital.pk,
        doctor_user_id=doctor.user_id,
        data={"doctor_id": str(doctor.pk), "dates": None if dates is None else [d.isoformat() for d in dates]},
    )


def doctor_facts_refresh(*, hospital: Hospital, doctor: Doctor, dates: Iterable[dt.date] | None = None) -> None:
    """Recompute the doctor's facts on `dates` (None: from today to the horizon), under the directory row's lock,
    and on the days the horizon gained since they were last written: whichever write comes first after midnight
    (a booking may lock the doctor before the periodic refresh, which then skips them) writes `facts_until`, so it
    must also fill the days up to it.
    """
    facts_until = doctor_entry_lock(doctor_id=doctor.pk)
    if doctor.status != DoctorStatus.ACTIVE:
        doctor_facts_clear(doctor_id=doctor.pk)
        return
    now = timezone.now()
    local_now = now.astimezone(hospital.zone)
    today = local_now.date()
    last = last_bookable_date(hospital, today)
    if dates is None or facts_until is None:
        wanted = None
    else:
        gained = dates_between(max(facts_until, today) + dt.timedelta(days=1), last)
        wanted = sorted({d for d in [*dates, *gained] if today <= d <= last})
    spans = [(today, last)] if wanted is None else _spans(wanted)
    days = []
    for first, final in spans:
        days += _day_facts(doctor, doctor_free_slots(hospital=hospital, doctor=doctor, date_from=first, date_to=final))
    doctor_facts_write(
        doctor_id=doctor.pk,
        days=days,
        spans=spans,
        today=today,
        facts_until=last,
        notice=dt.timedelta(minutes=hospital.min_booking_notice_minutes),
        next_midnight=_next_midnight(local_now, hospital),
    )


def _spans(dates: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted dates as runs of consecutive days: each run is read in one go."""
    spans: list[tuple[dt.date, dt.date]] = []
    for date in dates:
        if spans and date == spans[-1][1] + dt.timedelta(days=1):
            spans[-1] = (spans[-1][0], date)
        else:
            spans.append((date, date))
    return spans


def _day_facts(doctor: Doctor, slots) -> list[DoctorDay]:
    by_date: dict[dt.date, list] = {}
    for slot in slots:
        by_date.setdefault(slot.date, []).append(slot)
    return [
        DoctorDay(
            doctor_id=doctor.pk,
            date=date,
            free_slots=len(free),
            first_free_time=free[0].time,
            first_free_at=free[0].starts_at,
        )
        for date, free in by_date.items()
    ]


def _next_midnight(local_now: dt.datetime, hospital: Hospital) -> dt.datetime:
    tomorrow = local_now.date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(), tzinfo=hospital.zone)


def hospital_slots_changed(*, hospital: Hospital) -> None:
    """Every doctor's free slots moved (the hospital's booking notice or horizon changed): recompute all."""
    for doctor in Doctor.objects.order_by("pk"):  # one lock order for the directory rows
        doctor_slots_changed(hospital=hospital, doctor=doctor)


@transaction.atomic
def hospital_policy_change(*, actor: User, hospital: Hospital, **policy) -> Hospital:
    """Change the hospital's policy (hospital_update_policy) and, when the booking notice or horizon changed,
    recompute every doctor's free-slot facts in the same transaction. Raises what hospital_update_policy raises.
    """
    before = {field: getattr(hospital, field) for field in SLOT_POLICY}
    hospital = hospital_update_policy(actor=actor, hospital=hospital, **policy)
    if any(getattr(hospital, field) != value for field, value in before.items()):
        hospital_slots_changed(hospital=hospital)
    return hospital


def doctor_facts_refresh_due(*, limit: int = REFRESH_BATCH) -> int:
    """The periodic refresh: recompute the facts that went stale by themselves (facts_refresh_at passed), the
    oldest first, at most `limit` doctors per run; a hospital that fails is logged and retried next run.
    Returns how many doctors were refreshed.
    """
    now = timezone.now()
    due = DoctorEntry.objects.filter(facts_refresh_at__lte=now).order_by("facts_refresh_at")
    by_hospital: dict[int, list] = {}
    for hospital_id, doctor_id in due.values_list("hospital_id", "doctor_id")[:limit]:
        by_hospital.setdefault(hospital_id, []).append(doctor_id)
    refreshed = 0
    if not by_hospital:
        return refreshed
    for hospital in for_each_hospital(Hospital.objects.filter(pk__in=by_hospital)):
        try:
            refreshed += _refresh_hospital(hospital, by_hospital[hospital.pk], now)
        except Exception:
            logger.exception("Free-slot facts of hospital %s were not refreshed", hospital.pk)
    return refreshed


@transaction.atomic
def _refresh_hospital(hospital: Hospital, doctor_ids: list, now: dt.datetime) -> int:
    # SKIP LOCKED: a run that overlaps another, or a booking recomputing a doctor, leaves that doctor to them.
    entries = list(
        DoctorEntry.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(doctor_id__in=doctor_ids, facts_refresh_at__lte=now)
        .order_by("doctor_id")
    )
    doctors = Doctor.objects.in_bulk([entry.doctor_id for entry in entries])
    today = now.astimezone(hospital.zone).date()
    for entry in entries:
        doctor = doctors.get(entry.doctor_id)
        if doctor is None:  # not in this schema any more; rebuild_directory removes the row
            DoctorEntry.objects.filter(pk=entry.pk).update(facts_refresh_at=None)
            continue
        doctor_slots_changed(hospital=hospital, doctor=doctor, dates=_stale_dates(entry, today))
    return len(entries)


def _stale_dates(entry: DoctorEntry, today: dt.date) -> list[dt.date]:
    """What time passing changed: today, and the day of the first free slot, which entered the booking notice (a
    notice of a day or more puts it on a later day). doctor_facts_refresh adds the days the horizon gained."""
    return [today] if entry.next_available_date is None else [today, entry.next_available_date]
