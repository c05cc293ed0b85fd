"""Rebuild the public doctor directory from the hospitals' schemas, repairing and reporting any drift."""

from dataclasses import dataclass, field

from django.db import transaction

from shared_apps.directory.models import DoctorEntry, doctor_is_listed
from shared_apps.hospitals.tenancy import for_each_hospital
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.services import doctor_entry_sync

COMPARED = ("name", "specialization", "fee", "slot_minutes", "status")


@dataclass
class DirectoryDrift:
    hospitals: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.orphaned)


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
        entry = entries.get(doctor_id)
        if entry is None:
            drift.missing.append(str(doctor_id))
        elif (
            any(getattr(entry, f) != getattr(doctor, f) for f in COMPARED)
            or entry.city != hospital.city
            or entry.listed != doctor_is_listed(status=doctor.status, hospital=hospital)
        ):
            drift.stale.append(str(doctor_id))
        else:
            continue
        doctor_entry_sync(doctor=doctor, hospital=hospital)
    orphans = [doctor_id for doctor_id in entries if doctor_id not in doctors]
    drift.orphaned.extend(str(doctor_id) for doctor_id in orphans)
    DoctorEntry.objects.filter(doctor_id__in=orphans).delete()
