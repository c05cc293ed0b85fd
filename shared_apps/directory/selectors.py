import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, Upper

from shared_apps.directory.models import DoctorDay, DoctorEntry

# `?ordering=` of the directory: each ends on the primary key, so pages never repeat or skip a doctor.
DIRECTORY_ORDERINGS = {
    "next_available": (F("next_available_at").asc(nulls_last=True), "doctor_id"),
    "name": ("name", "doctor_id"),
    "fee": ("fee", "doctor_id"),
    "-fee": ("-fee", "-doctor_id"),  # the fee index read backwards
}


# What a directory row shows (tenant_apps.doctors.apis.directory_row): the page reads these columns only, not the
# hospital's whole row (its policy, address, contact, …).
DIRECTORY_COLUMNS = (
    "doctor_id",
    "hospital_id",
    "name",
    "specialization",
    "fee",
    "slot_minutes",
    "status",
    "next_available_date",
    "next_available_time",
    "next_available_at",
    "hospital__id",
    "hospital__name",
    "hospital__city",
    "hospital__logo",
    "hospital__timezone",
)


def doctor_directory_list(
    *,
    hospital_id: int | None = None,
    specialization: str = "",
    city: str = "",
    q: str = "",
    available_on: dt.date | None = None,
    ordering: str = "",
) -> QuerySet[DoctorEntry]:
    """Active doctors of approved, active hospitals with their hospitals, in one query; by name unless `ordering`
    (a key of DIRECTORY_ORDERINGS) says otherwise; `available_on`: only those with a free slot that local date.

    Filters on the entry and its free-slot facts alone (`listed`, partial indexes, DoctorDay's unique index).
    """
    entries = DoctorEntry.objects.filter(listed=True).select_related("hospital").only(*DIRECTORY_COLUMNS)
    if available_on is not None:
        entries = entries.filter(Exists(DoctorDay.objects.filter(doctor_id=OuterRef("doctor_id"), date=available_on)))
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
        if not ordering:
            return entries.order_by(Lower("name"), "doctor_id")
    return entries.order_by(*DIRECTORY_ORDERINGS[ordering or "name"])


def doctor_entry_get(*, doctor_id) -> DoctorEntry | None:
    """The directory row of a doctor in any state (None if unknown); callers decide what the user may see."""
    return DoctorEntry.objects.select_related("hospital").filter(doctor_id=doctor_id).first()


def doctor_entry_get_public(*, doctor_id) -> DoctorEntry | None:
    return DoctorEntry.objects.filter(listed=True, doctor_id=doctor_id).select_related("hospital").first()


def doctors_next_available(*, doctor_ids) -> dict:
    """{doctor_id: (local date, local time)} of the first free slot of each of these doctors that has one."""
    rows = DoctorEntry.objects.filter(doctor_id__in=doctor_ids, next_available_at__isnull=False)
    return {
        doctor_id: (date, time)
        for doctor_id, date, time in rows.values_list("doctor_id", "next_available_date", "next_available_time")
    }
