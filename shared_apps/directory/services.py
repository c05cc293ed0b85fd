from shared_apps.directory.cache import catalog_changed
from shared_apps.directory.models import DoctorEntry, DoctorStatus, doctor_is_listed, hospital_is_open


def doctor_entry_write(
    *, doctor_id, hospital, name: str, specialization: str, fee, slot_minutes: int, status: str
) -> DoctorEntry:
    """Insert or update the directory row of one doctor, in the caller's (tenant) transaction.

    Side effects: the catalogue cache is invalidated after commit.
    """
    entry, _ = DoctorEntry.objects.update_or_create(
        doctor_id=doctor_id,
        defaults={
            "hospital": hospital,
            "name": name,
            "specialization": specialization,
            "fee": fee,
            "slot_minutes": slot_minutes,
            "status": status,
            "city": hospital.city,
            "listed": doctor_is_listed(status=status, hospital=hospital),
        },
    )
    catalog_changed()
    return entry


def doctor_entries_relist(*, hospital) -> int:
    """Recompute `listed` for every doctor of a hospital after its status or activity changed."""
    from django.db.models import Case, Value, When

    visible = hospital_is_open(hospital)
    return DoctorEntry.objects.filter(hospital=hospital).update(
        listed=Case(When(status=DoctorStatus.ACTIVE, then=Value(visible)), default=Value(False))
    )
