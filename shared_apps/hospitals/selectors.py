from django.db.models import QuerySet

from shared_apps.common.errors import NotFound
from shared_apps.hospitals.models import Hospital, HospitalStatus


def hospital_list_public(
    *, q: str = "", city: str = "", name_pattern: str = "", city_pattern: str = ""
) -> QuerySet[Hospital]:
    """Approved, active hospitals for patients, by name; `q` searches the name, `city` matches exactly (any case);
    the patterns are regular expressions matched case-insensitively (the FHIR facade's string search)."""
    hospitals = Hospital.objects.approved()
    if q:
        hospitals = hospitals.filter(name__icontains=q)
    if city:
        hospitals = hospitals.filter(city__iexact=city)
    if name_pattern:
        hospitals = hospitals.filter(name__iregex=name_pattern)
    if city_pattern:
        hospitals = hospitals.filter(city__iregex=city_pattern)
    return hospitals.order_by("name", "pk")


def hospital_get_public(*, hospital_id: int) -> Hospital:
    """An approved, active hospital; NotFound for pending, rejected, deactivated or unknown ones."""
    hospital = Hospital.objects.approved().filter(pk=hospital_id).first()
    if hospital is None:
        raise NotFound()
    return hospital


def hospital_list_pending() -> QuerySet[Hospital]:
    return Hospital.objects.hospitals().filter(status=HospitalStatus.PENDING).order_by("created_at", "pk")


def hospital_get_for_review(*, hospital_id: int) -> Hospital:
    """Any real hospital (for the superadmin's decisions); NotFound for the platform row or unknown ids."""
    hospital = Hospital.objects.hospitals().filter(pk=hospital_id).first()
    if hospital is None:
        raise NotFound()
    return hospital
