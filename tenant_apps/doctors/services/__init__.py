"""Writes on doctors (doctors.py: the doctor, its login and dated windows), on their schedules (schedule.py:
weekly hours and time off) and on the directory's free-slot facts that follow from them
(facts.py). Callers have entered the hospital's schema (hospital_context).
"""

from tenant_apps.doctors.services.doctors import (
    availability_set,
    availability_window_add,
    availability_window_remove,
    doctor_create,
    doctor_entry_sync,
    doctor_invite,
    doctor_update,
)
from tenant_apps.doctors.services.facts import (
    doctor_facts_refresh,
    doctor_facts_refresh_due,
    doctor_slots_changed,
    hospital_policy_change,
    hospital_slots_changed,
)
from tenant_apps.doctors.services.schedule import MAX_WEEKLY_ROWS, schedule_set, time_off_add, time_off_remove

__all__ = [
    "MAX_WEEKLY_ROWS",
    "availability_set",
    "availability_window_add",
    "availability_window_remove",
    "doctor_create",
    "doctor_facts_refresh",
    "doctor_facts_refresh_due",
    "doctor_slots_changed",
    "doctor_entry_sync",
    "doctor_invite",
    "doctor_update",
    "hospital_policy_change",
    "hospital_slots_changed",
    "schedule_set",
    "time_off_add",
    "time_off_remove",
]
