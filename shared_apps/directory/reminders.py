"""Reminders per offset of the hospital's policy (issue 14, part B).

Placeholder on the `lifecycle` branch: the `reminders` branch provides the real module with these two functions
and these signatures; the lead takes that one at merge. Here both do nothing, so the lifecycle services can call
them where the contract says (a reschedule re-arms, a no-show disarms).
"""

import datetime as dt

from shared_apps.hospitals.models import Hospital


def reminders_arm(*, hospital: Hospital, appointment_id, starts_at: dt.datetime) -> None:
    """Schedule one reminder per offset of `hospital`'s policy before `starts_at`. No-op on this branch."""


def reminders_disarm(*, appointment_id) -> None:
    """Drop the reminders of an appointment that are not sent yet. No-op on this branch."""
