"""Writes on doctors and their availability. Callers have entered the hospital's schema (hospital_context)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_apps.accounts.models import HospitalMembership, MembershipRole, Role, User
from shared_apps.accounts.services import (
    membership_create,
    membership_set_active,
    password_link_send,
    staff_user_get_or_create,
)
from shared_apps.audit.services import audit_record
from shared_apps.common.cache_versions import doctor_version_key
from shared_apps.common.errors import Conflict
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.common.updates import model_update
from shared_apps.directory.services import doctor_entry_write
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import last_bookable_date
from tenant_apps.doctors.models import Doctor, DoctorAvailability, DoctorStatus
from tenant_apps.doctors.selectors import doctor_lock_for_update
from tenant_apps.doctors.services.facts import doctor_slots_changed
from tenant_apps.waitlist.backfill import waitlist_slots_changed

EDITABLE_FIELDS = ("name", "email", "specialization", "fee", "slot_minutes", "status")


def _email_taken(email: str, exclude=None) -> bool:
    doctors = Doctor.objects.filter(email__lower=email.lower())
    if exclude is not None:
        doctors = doctors.exclude(pk=exclude.pk)
    return doctors.exists()


def _save_with_directory(doctor: Doctor, hospital: Hospital) -> None:
    try:
        with transaction.atomic():
            doctor.save()
    except IntegrityError as exc:  # a concurrent write took the same email
        raise ValidationError({"email": ["A doctor with this email already exists in this hospital."]}) from exc
    doctor_entry_sync(doctor=doctor, hospital=hospital)


def doctor_entry_sync(*, doctor: Doctor, hospital: Hospital) -> None:
    """Copy a doctor to their public directory row (the caller's transaction); also used by rebuild_directory."""
    doctor_entry_write(
        doctor_id=doctor.pk,
        hospital=hospital,
        name=doctor.name,
        specialization=doctor.specialization,
        fee=doctor.fee,
        slot_minutes=doctor.slot_minutes,
        status=doctor.status,
    )


@transaction.atomic
def doctor_create(
    *,
    actor: User,
    hospital: Hospital,
    name: str,
    email: str,
    specialization: str,
    fee: Decimal,
    slot_minutes: int = 30,
    invite: bool = False,
) -> Doctor:
    """Add a doctor to the hospital and to the public directory, in one transaction.

    Raises ValidationError (400) for an email already used by a doctor of this hospital (case-insensitive) or
    invalid values. Side effects: audit entry; with `invite`, the doctor's login and a set-password email.
    """
    email = email.strip().lower()
    if _email_taken(email):
        raise ValidationError({"email": ["A doctor with this email already exists in this hospital."]})
    doctor = Doctor(
        name=name.strip(), email=email, specialization=specialization.strip(), fee=fee, slot_minutes=slot_minutes
    )
    doctor.full_clean()
    _save_with_directory(doctor, hospital)
    doctor_slots_changed(hospital=hospital, doctor=doctor)
    audit_record(actor=actor, action="doctor.created", entity="doctor", entity_id=doctor.pk, hospital=hospital)
    if invite:
        doctor_invite(actor=actor, hospital=hospital, doctor=doctor)
    return doctor


@transaction.atomic
def doctor_update(*, actor: User, hospital: Hospital, doctor: Doctor, **changes) -> Doctor:
    """Change a doctor's details or status (deactivate with status="inactive"; doctors are never deleted).

    Deactivating a doctor also suspends their login's membership of the hospital; reactivating restores it.

    Raises ValidationError (400) for invalid values, a field other than EDITABLE_FIELDS, or an email taken by
    another doctor of this hospital. Side effects: directory row updated in the same transaction; audit entry.
    """
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        if _email_taken(changes["email"], exclude=doctor):
            raise ValidationError({"email": ["A doctor with this email already exists in this hospital."]})
    try:
        with transaction.atomic():
            model_update(instance=doctor, fields=EDITABLE_FIELDS, data=changes)
    except IntegrityError as exc:  # a concurrent write took the same email
        raise ValidationError({"email": ["A doctor with this email already exists in this hospital."]}) from exc
    doctor_entry_sync(doctor=doctor, hospital=hospital)
    if {"status", "slot_minutes"} & set(changes):  # the doctor's slots changed: offers to make or withdraw
        doctor_slots_changed(hospital=hospital, doctor=doctor)
        waitlist_slots_changed(hospital=hospital, doctor=doctor)
    else:
        bump_after_commit(doctor_version_key(doctor.pk))
    if "status" in changes and doctor.user_id:
        membership_set_active(user=doctor.user, hospital=hospital, active=doctor.is_active)
    action = "doctor.deactivated" if changes.get("status") == DoctorStatus.INACTIVE else "doctor.updated"
    audit_record(
        actor=actor,
        action=action,
        entity="doctor",
        entity_id=doctor.pk,
        hospital=hospital,
        metadata={"fields": sorted(changes)},
    )
    return doctor


@transaction.atomic
def doctor_invite(*, actor: User, hospital: Hospital, doctor: Doctor) -> Doctor:
    """Give the doctor a login (role doctor, membership of this hospital) and email a set-password link.

    Inviting again re-sends the link. An account belongs to one hospital's staff: raises Conflict("email_taken",
    409) when another hospital holds the email (an active or a suspended membership; the message names none),
    and Conflict("email_in_use", 409) when it belongs to another kind of account.
    Side effects: audit entry; invitation email after commit.
    """
    if _staff_elsewhere(email=doctor.email, hospital=hospital):
        raise Conflict(
            "email_taken", "This email belongs to another hospital's staff.", fields={"email": [doctor.email]}
        )
    user = doctor.user or staff_user_get_or_create(email=doctor.email, name=doctor.name, role=Role.DOCTOR)
    if not user.memberships.filter(hospital=hospital, is_active=True).exists():
        membership_create(user=user, hospital=hospital, role=MembershipRole.DOCTOR)
    if doctor.user_id != user.pk:
        doctor.user = user
        doctor.save(update_fields=["user"])
    password_link_send(user=user, template="doctor_invited", hospital=hospital)
    audit_record(actor=actor, action="doctor.invited", entity="doctor", entity_id=doctor.pk, hospital=hospital)
    return doctor


def _staff_elsewhere(*, email: str, hospital: Hospital) -> bool:
    """Whether a membership of another hospital, active or suspended, holds this email's account."""
    memberships = HospitalMembership.objects.filter(user__email__lower=email.strip().lower())
    return memberships.exclude(hospital=hospital).exists()


def _window_errors(windows: list[dict], today: dt.date, hospital: Hospital) -> list[str]:
    horizon = last_bookable_date(hospital, today)
    errors = []
    for n, window in enumerate(windows, start=1):
        label = f"Window {n} ({window['date']} {window['start_time']:%H:%M}–{window['end_time']:%H:%M})"
        if window["start_time"] >= window["end_time"]:
            errors.append(f"{label}: the start must be before the end.")
        if window["date"] < today:
            errors.append(f"{label}: the date is in the past.")
        if window["date"] > horizon:
            errors.append(f"{label}: the date is more than {hospital.booking_horizon_days} days ahead.")
    valid = sorted(
        (w for w in windows if w["start_time"] < w["end_time"]),
        key=lambda w: (w["is_available"], w["date"], w["start_time"]),
    )
    for previous, current in zip(valid, valid[1:], strict=False):
        same_kind_and_day = (previous["is_available"], previous["date"]) == (current["is_available"], current["date"])
        if same_kind_and_day and current["start_time"] < previous["end_time"]:
            errors.append(
                f"Windows on {current['date']} overlap ({previous['start_time']:%H:%M}–{previous['end_time']:%H:%M} "
                f"and {current['start_time']:%H:%M}–{current['end_time']:%H:%M})."
            )
    return errors


@transaction.atomic
def availability_set(
    *, actor: User, hospital: Hospital, doctor: Doctor, windows: list[dict], clear_dates: list[dt.date] = ()
) -> list[DoctorAvailability]:
    """Replace the windows of every date in `windows` (and empty each of `clear_dates`), in one transaction.

    Each window: date, start_time, end_time (hospital local time), is_available (False blocks time, e.g. leave).
    Raises ValidationError (400) for start ≥ end, a past date, a date beyond the booking horizon, or windows of
    the same kind that overlap; the database's exclusion constraint backs the last rule.
    Side effects: audit entry.
    """
    today = timezone.now().astimezone(hospital.zone).date()
    errors = _window_errors(windows, today, hospital) + [
        f"{day}: the date is in the past." for day in clear_dates if day < today
    ]
    if errors:
        raise ValidationError({"windows": errors})
    dates = {w["date"] for w in windows} | set(clear_dates)
    doctor_lock_for_update(doctor=doctor)
    DoctorAvailability.objects.filter(doctor=doctor, date__in=dates).delete()
    rows = [
        DoctorAvailability(
            doctor=doctor,
            date=w["date"],
            start_time=w["start_time"],
            end_time=w["end_time"],
            is_available=w["is_available"],
        )
        for w in windows
    ]
    try:
        with transaction.atomic():
            created = DoctorAvailability.objects.bulk_create(rows)
    except IntegrityError as exc:  # a concurrent change wrote overlapping windows first
        raise Conflict("availability_conflict", "The schedule changed meanwhile; reload and try again.") from exc
    doctor_slots_changed(hospital=hospital, doctor=doctor, dates=dates)
    waitlist_slots_changed(hospital=hospital, doctor=doctor)
    audit_record(
        actor=actor,
        action="availability.set",
        entity="doctor",
        entity_id=doctor.pk,
        hospital=hospital,
        metadata={"dates": sorted(str(d) for d in dates)},
    )
    return sorted(created, key=lambda w: (w.date, w.start_time))


def _windows_of(doctor: Doctor, day: dt.date, without: DoctorAvailability | None = None) -> list[dict]:
    return [
        {"date": w.date, "start_time": w.start_time, "end_time": w.end_time, "is_available": w.is_available}
        for w in DoctorAvailability.objects.filter(doctor=doctor, date=day).order_by("start_time")
        if without is None or w.pk != without.pk
    ]


def availability_window_add(*, actor: User, hospital: Hospital, doctor: Doctor, window: dict) -> None:
    """Add one window to its date: the date's current windows plus this one go to `availability_set`, which
    replaces whole dates. Raises and records what availability_set does.
    """
    windows = [*_windows_of(doctor, window["date"]), window]
    availability_set(actor=actor, hospital=hospital, doctor=doctor, windows=windows)


def availability_window_remove(*, actor: User, hospital: Hospital, doctor: Doctor, window: DoctorAvailability) -> None:
    """Remove one window: its date goes back to `availability_set` without it (an emptied date is cleared).
    Raises and records what availability_set does.
    """
    windows = _windows_of(doctor, window.date, without=window)
    availability_set(actor=actor, hospital=hospital, doctor=doctor, windows=windows, clear_dates=[window.date])
