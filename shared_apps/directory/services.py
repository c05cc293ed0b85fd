from shared_apps.directory.cache import catalog_changed
from shared_apps.directory.models import DoctorEntry


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
        },
    )
    catalog_changed()
    return entry
