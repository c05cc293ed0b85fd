"""Channel-layer group names of the live streams: wake-up groups (who may read an event) and control groups
(whose streams end together). One place, used by the publisher and by the streams."""


def patient(user_id: int) -> str:
    return f"events.patient.{user_id}"


def hospital(hospital_id: int) -> str:
    return f"events.hospital.{hospital_id}"


def doctor(user_id: int) -> str:
    return f"events.doctor.{user_id}"


def user(user_id: int) -> str:
    """Control: every stream of this user."""
    return f"events.user.{user_id}"


def staff(hospital_id: int) -> str:
    """Control: every staff stream (admins' and doctors') of this hospital."""
    return f"events.staff.{hospital_id}"


def readers_of(*, hospital_id: int, patient_id: int | None, doctor_user_id: int | None) -> list[str]:
    """The wake-up groups of an event's readers: its hospital's admins, its patient, its doctor."""
    names = [hospital(hospital_id)]
    if patient_id is not None:
        names.append(patient(patient_id))
    if doctor_user_id is not None:
        names.append(doctor(doctor_user_id))
    return names
