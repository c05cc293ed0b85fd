from django.db.models import Q, QuerySet

from shared_apps.directory.models import DoctorEntry
from shared_apps.hospitals.models import HospitalStatus

ACTIVE = "active"


def doctor_directory_list(
    *, hospital_id: int | None = None, specialization: str = "", city: str = "", q: str = ""
) -> QuerySet[DoctorEntry]:
    """Active doctors of approved, active hospitals, by name. One query whatever the page size."""
    entries = DoctorEntry.objects.filter(
        status=ACTIVE, hospital__status=HospitalStatus.APPROVED, hospital__is_active=True
    ).select_related("hospital")
    if hospital_id is not None:
        entries = entries.filter(hospital_id=hospital_id)
    if specialization:
        entries = entries.filter(specialization__iexact=specialization)
    if city:
        entries = entries.filter(city__iexact=city)
    if q:
        entries = entries.filter(Q(name__icontains=q) | Q(specialization__icontains=q))
    return entries.order_by("name", "doctor_id")


def doctor_entry_get(*, doctor_id) -> DoctorEntry | None:
    """The directory row of a doctor in any state (None if unknown); callers decide what the user may see."""
    return DoctorEntry.objects.select_related("hospital").filter(doctor_id=doctor_id).first()


def doctor_entry_get_public(*, doctor_id) -> DoctorEntry | None:
    return doctor_directory_list().filter(doctor_id=doctor_id).first()
