"""Who reads which events: a stream's audience, and the events it has not sent yet."""

from dataclasses import dataclass

from django.db.models import Max, Min, Q

from shared_apps.accounts.access import staff_access
from shared_apps.accounts.models import Role, User
from shared_apps.events import groups
from shared_apps.events.models import Event

READ_BATCH = 200


@dataclass(frozen=True)
class Audience:
    """What one stream may read. A patient: the events about them. A hospital admin: all of their hospital's. A
    doctor: those of their own appointments and slots. Nobody else reads anything."""

    user_id: int
    role: str  # "patient", "hospital_admin" or "doctor"
    hospital_id: int | None = None

    @property
    def rows(self) -> Q:
        if self.role == Role.PATIENT:
            return Q(patient_id=self.user_id)
        if self.role == Role.HOSPITAL_ADMIN:
            return Q(hospital_id=self.hospital_id)
        return Q(hospital_id=self.hospital_id, doctor_user_id=self.user_id)

    @property
    def wake_groups(self) -> list[str]:
        if self.role == Role.PATIENT:
            return [groups.patient(self.user_id)]
        if self.role == Role.HOSPITAL_ADMIN:
            return [groups.hospital(self.hospital_id)]
        return [groups.doctor(self.user_id)]

    @property
    def control_groups(self) -> list[str]:
        if self.hospital_id is None:
            return [groups.user(self.user_id)]
        return [groups.user(self.user_id), groups.staff(self.hospital_id)]


def audience_for(user: User, hospital=None) -> Audience | None:
    """The stream audience of an active user: a patient's own, or a staff member's in their hospital (in
    `hospital`, when given: the dashboard's). None for anyone else (superadmins, staff of another hospital)."""
    if not user.is_active:
        return None
    if user.role == Role.PATIENT and hospital is None:
        return Audience(user_id=user.pk, role=Role.PATIENT)
    access = staff_access(user, hospital)
    if access is None:
        return None
    return Audience(user_id=user.pk, role=access.role, hospital_id=access.hospital.pk)


def events_after(audience: Audience, after: int, limit: int = READ_BATCH) -> list[Event]:
    """The audience's published events with a stream id above `after`, oldest first (at most `limit`)."""
    return list(
        Event.objects.filter(audience.rows, stream_id__gt=after)
        .order_by("stream_id")
        .only("stream_id", "type", "data")[:limit]
    )


def latest_event_id() -> int:
    """The newest published event's stream id (0: none yet): where a new client's stream starts."""
    return Event.objects.aggregate(latest=Max("stream_id"))["latest"] or 0


def events_may_be_gone(after: int) -> bool:
    """Whether events after `after` may have been pruned already (the client was away longer than they are kept):
    the oldest kept stream id is above `after + 1`, or none is kept at all."""
    if after <= 0:
        return False
    oldest = Event.objects.filter(stream_id__isnull=False).aggregate(oldest=Min("stream_id"))["oldest"]
    return oldest is None or oldest > after + 1
