from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Upper

from shared_apps.directory.models import DoctorEntry


def doctor_directory_list(
    *, hospital_id: int | None = None, specialization: str = "", city: str = "", q: str = ""
) -> QuerySet[DoctorEntry]:
    """Active doctors of approved, active hospitals, by name; their hospitals come in one more query.

    Filters on the entry alone (`listed`, partial indexes), so counting the matches needs no join.
    """
    entries = DoctorEntry.objects.filter(listed=True).prefetch_related("hospital")
    if hospital_id is not None:
        entries = entries.filter(hospital_id=hospital_id)
    if specialization:
        entries = entries.annotate(specialization_upper=Upper("specialization")).filter(
            specialization_upper=specialization.upper()
        )
    if city:
        entries = entries.annotate(city_upper=Upper("city")).filter(city_upper=city.upper())
    if q:
        # Case-insensitive order for searches. It also keeps the planner off the name-ordered index walk, which it
        # favours for LIMIT 20 but which must read every row anyway for the count; the trigram indexes win.
        entries = entries.filter(Q(name__icontains=q) | Q(specialization__icontains=q))
        return entries.order_by(Lower("name"), "doctor_id")
    return entries.order_by("name", "doctor_id")


def doctor_entry_get(*, doctor_id) -> DoctorEntry | None:
    """The directory row of a doctor in any state (None if unknown); callers decide what the user may see."""
    return DoctorEntry.objects.select_related("hospital").filter(doctor_id=doctor_id).first()


def doctor_entry_get_public(*, doctor_id) -> DoctorEntry | None:
    return DoctorEntry.objects.filter(listed=True, doctor_id=doctor_id).select_related("hospital").first()
