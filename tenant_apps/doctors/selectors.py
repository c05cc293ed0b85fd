import datetime as dt

from django.db.models import QuerySet

from shared_apps.accounts.models import MembershipRole, User
from shared_apps.accounts.selectors import membership_for
from shared_apps.common.errors import NotFound
from shared_apps.directory.selectors import doctor_entry_get
from shared_apps.hospitals.models import Hospital
from tenant_apps.doctors.models import Doctor, DoctorAvailability


def hospital_managed_by(user: User) -> Hospital | None:
    """The hospital `user` administers (an active hospital admin membership), or None."""
    membership = membership_for(user)
    if membership is None or membership.role != MembershipRole.HOSPITAL_ADMIN:
        return None
    return membership.hospital


def hospital_of_doctor_for_staff(*, user: User, doctor_id) -> Hospital:
    """The hospital of `doctor_id` if `user` works there (admin or doctor); NotFound otherwise, as if missing.

    Read in the public schema (directory + membership); the caller then enters the hospital's schema.
    """
    entry = doctor_entry_get(doctor_id=doctor_id)
    membership = membership_for(user)
    if entry is None or membership is None or membership.hospital_id != entry.hospital_id:
        raise NotFound()
    return membership.hospital


def doctor_get_for_staff(*, user: User, doctor_id, hospital: Hospital, manage: bool) -> Doctor:
    """In the hospital's schema: the doctor, if `user` is its hospital's admin, or (unless `manage`) the doctor
    themself. NotFound for anyone else.
    """
    doctor = Doctor.objects.filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound()
    membership = membership_for(user)
    is_admin = (
        membership is not None
        and membership.hospital_id == hospital.pk
        and (membership.role == MembershipRole.HOSPITAL_ADMIN)
    )
    if is_admin or (not manage and doctor.user_id is not None and doctor.user_id == user.pk):
        return doctor
    raise NotFound()


def doctor_list(*, status: str = "") -> QuerySet[Doctor]:
    doctors = Doctor.objects.all()
    if status:
        doctors = doctors.filter(status=status)
    return doctors.order_by("name", "id")


def availability_windows(*, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> QuerySet[DoctorAvailability]:
    return DoctorAvailability.objects.filter(doctor=doctor, date__gte=date_from, date__lte=date_to).order_by(
        "date", "start_time", "is_available"
    )
