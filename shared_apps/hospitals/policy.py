"""A hospital's booking policy: its bounds (checked here, in one place) and the times it implies.

Every reader of the policy goes through this module: the booking and reschedule checks, the free-slot
computation, the cancellation window, the dashboard form and the API. The database holds the same bounds as
check constraints (Hospital.Meta), as a last line.
"""

import datetime as dt

from django.core.exceptions import ValidationError

from shared_apps.hospitals.models import (
    POLICY_HORIZON_DAYS,
    POLICY_MAX_CANCELLATION_HOURS,
    POLICY_MAX_NOTICE_MINUTES,
    POLICY_MAX_REMINDERS,
    POLICY_REMINDER_MINUTES,
    Hospital,
)

POLICY_FIELDS = (
    "min_booking_notice_minutes",
    "cancellation_notice_hours",
    "booking_horizon_days",
    "reminder_offsets_minutes",
    "no_show_limit",
)
POLICY_MAX_NO_SHOW_LIMIT = 100
NO_SHOW_WINDOW_DAYS = 90  # no-shows older than this no longer count against the limit


def policy_of(hospital: Hospital) -> dict:
    """The policy as the API shows it (`policy` of GET /api/hospitals/{id}/)."""
    return {field: getattr(hospital, field) for field in POLICY_FIELDS}


def _bounded(value, low: int, high: int, what: str) -> list[str]:
    if not isinstance(value, int) or isinstance(value, bool):
        return ["Enter a whole number."]
    if not low <= value <= high:
        return [f"{what} must be between {low} and {high}."]
    return []


def policy_clean(data: dict) -> dict:
    """Validate a (partial) policy and return it normalised: reminder offsets sorted, largest first.

    The one place the policy's bounds are checked: notices 0 to 7 days (booking notice in minutes, cancellation
    notice in hours), horizon 1 to 365 days, at most 5 distinct reminder offsets each 5 minutes to 14 days before
    the start, no-show limit 1 to 100. Raises ValidationError keyed by field for every failing field, and for keys
    that are not policy fields.
    """
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key in sorted(set(data) - set(POLICY_FIELDS)):
        errors[key] = ["This field is not part of the policy."]
    checks = {
        "min_booking_notice_minutes": (0, POLICY_MAX_NOTICE_MINUTES, "The booking notice (minutes)"),
        "cancellation_notice_hours": (0, POLICY_MAX_CANCELLATION_HOURS, "The cancellation notice (hours)"),
        "booking_horizon_days": (*POLICY_HORIZON_DAYS, "The booking horizon (days)"),
        "no_show_limit": (1, POLICY_MAX_NO_SHOW_LIMIT, "The no-show limit"),
    }
    for field, (low, high, what) in checks.items():
        if field in data:
            problems = _bounded(data[field], low, high, what)
            if problems:
                errors[field] = problems
            else:
                cleaned[field] = data[field]
    if "reminder_offsets_minutes" in data:
        offsets, problems = data["reminder_offsets_minutes"], []
        if not isinstance(offsets, list | tuple):
            problems.append("Enter a list of minutes.")
        else:
            low, high = POLICY_REMINDER_MINUTES
            if len(offsets) > POLICY_MAX_REMINDERS:
                problems.append(f"At most {POLICY_MAX_REMINDERS} reminders.")
            for offset in offsets:
                problems += [f"{offset}: {p}" for p in _bounded(offset, low, high, "Each reminder (minutes before)")]
            if len(set(offsets)) != len(offsets):
                duplicates = sorted({o for o in offsets if list(offsets).count(o) > 1}, key=str)
                problems.append(f"Each reminder once: {', '.join(str(d) for d in duplicates)} appears twice.")
        if problems:
            errors["reminder_offsets_minutes"] = problems
        else:
            cleaned["reminder_offsets_minutes"] = sorted(offsets, reverse=True)
    if errors:
        raise ValidationError(errors)
    return cleaned


def earliest_bookable(hospital: Hospital, now: dt.datetime) -> dt.datetime:
    """The earliest start a patient may book or reschedule to at `now`: now plus the booking notice."""
    return now + dt.timedelta(minutes=hospital.min_booking_notice_minutes)


def last_bookable_date(hospital: Hospital, today: dt.date) -> dt.date:
    """The last local date a patient may book on, given the hospital's local `today`: today plus the horizon."""
    return today + dt.timedelta(days=hospital.booking_horizon_days)


def cancellation_deadline(hospital: Hospital, starts_at: dt.datetime) -> dt.datetime:
    """Until when (exclusive) the patient may cancel or reschedule an appointment starting at `starts_at`."""
    return starts_at - dt.timedelta(hours=hospital.cancellation_notice_hours)


def no_show_window_start(now: dt.datetime) -> dt.datetime:
    """No-shows of appointments that started at or after this moment count against the limit."""
    return now - dt.timedelta(days=NO_SHOW_WINDOW_DAYS)
