"""Rebuild the public doctor directory from the hospitals' schemas, repairing and reporting any drift: the rows
themselves and their free-slot facts (next_available, DoctorDay)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from shared_apps.directory.models import DoctorDay, DoctorEntry, doctor_is_listed
from shared_apps.hospitals.tenancy import for_each_hospital
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.services import doctor_entry_sync
from tenant_apps.doctors.services.facts import doctor_facts_refresh

COMPARED = ("name", "specialization", "fee", "slot_minutes", "status")


@dataclass
class DirectoryDrift:
    hospitals: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # doctors whose free-slot facts differed from their schedule

    @property
    def repaired(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.orphaned) + len(self.facts)


def directory_rebuild() -> DirectoryDrift:
    """Compare every approved hospital's doctors with their directory rows; insert, update or delete to match.

    O(hospitals): a maintenance command, never a request. Each hospital is repaired in its own transaction.
    """
    drift = DirectoryDrift()
    for hospital in for_each_hospital():
        drift.hospitals += 1
        with transaction.atomic():
            _repair_hospital(hospital, drift)
    return drift


def _repair_hospital(hospital, drift: DirectoryDrift) -> None:
    doctors = {doctor.pk: doctor for doctor in Doctor.objects.all()}
    entries = {entry.doctor_id: entry for entry in DoctorEntry.objects.filter(hospital=hospital)}
    for doctor_id, doctor in doctors.items():
        problem = _entry_drift(entries.get(doctor_id), doctor, hospital)
        if problem is not None:
            getattr(drift, problem).append(str(doctor_id))
            doctor_entry_sync(doctor=doctor, hospital=hospital)
        _repair_facts(hospital, doctor, drift)
    orphans = [doctor_id for doctor_id in entries if doctor_id not in doctors]
    drift.orphaned.extend(str(doctor_id) for doctor_id in orphans)
    DoctorEntry.objects.filter(doctor_id__in=orphans).delete()


def _entry_drift(entry: DoctorEntry | None, doctor: Doctor, hospital) -> str | None:
    """ "missing", "stale" (a copied field differs) or None when the entry matches the doctor."""
    if entry is None:
        return "missing"
    if (
        any(getattr(entry, f) != getattr(doctor, f) for f in COMPARED)
        or entry.city != hospital.city
        or entry.listed != doctor_is_listed(status=doctor.status, hospital=hospital)
    ):
        return "stale"
    return None


def _repair_facts(hospital, doctor: Doctor, drift: DirectoryDrift) -> None:
    """Recompute the doctor's free-slot facts from their schedule; drift if they differ from what was stored."""
    before = _facts(hospital, doctor.pk)
    doctor_facts_refresh(hospital=hospital, doctor=doctor)
    if _facts(hospital, doctor.pk) != before:
        drift.facts.append(str(doctor.pk))


def _facts(hospital, doctor_id) -> tuple:
    """The facts a patient can see from today on (older days are the periodic refresh's to drop, not drift)."""
    today = timezone.now().astimezone(hospital.zone).date()
    days = DoctorDay.objects.filter(doctor_id=doctor_id, date__gte=today).order_by("date")
    entry = DoctorEntry.objects.filter(doctor_id=doctor_id).values_list("next_available_at", flat=True).first()
    return entry, list(days.values_list("date", "free_slots", "first_free_time", "first_free_at"))
