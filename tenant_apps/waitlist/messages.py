"""The waitlist offer notice (email and SMS): which slot, until when, and a link that opens the entry in the app."""

from django.conf import settings

from shared_apps.common.links import platform_url
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.registry import register
from tenant_apps.waitlist.models import WaitlistEntry, WaitlistStatus


def waitlist_entry_url(*, entry_id) -> str:
    """Where the patient answers an offer: the app's waitlist entry (PATIENT_APP_URL), or the platform."""
    base = settings.PATIENT_APP_URL.rstrip("/") if settings.PATIENT_APP_URL else platform_url("").rstrip("/")
    return f"{base}/waitlist/{entry_id}/"


@register("waitlist_offered")
def offer_message(context: dict) -> dict | None:
    """None when the offer is no longer open by the time the message goes out (accepted, declined, lapsed)."""
    hospital = Hospital.objects.filter(pk=context["hospital_id"]).first()
    if hospital is None:
        return None
    with hospital_context(hospital):
        entry = WaitlistEntry.objects.select_related("doctor", "patient", "hold").filter(pk=context["entry_id"]).first()
        if entry is None or entry.status != WaitlistStatus.OFFERED or entry.hold is None:
            return None
        hold = entry.hold
    return {
        "hospital": hospital,
        "for_doctor": False,
        "doctor_name": entry.doctor.name,
        "patient_name": entry.patient.name or entry.patient.email,
        "date": hold.appointment_date,
        "time": hold.appointment_time.strftime("%H:%M"),
        "timezone": hospital.timezone,
        "expires_at": entry.offer_expires_at.astimezone(hospital.zone).strftime("%H:%M"),
        "minutes": settings.WAITLIST_OFFER_MINUTES,
        "link": waitlist_entry_url(entry_id=entry.pk),
    }


UPDATE_EVENTS = ("joined", "declined", "offer_expired", "expired", "left", "removed")


@register("waitlist_update")
def update_message(context: dict) -> dict | None:
    """The patient's entry changed: joined, declined, an offer lapsed, ended, left or removed by the hospital."""
    hospital = Hospital.objects.filter(pk=context["hospital_id"]).first()
    if hospital is None or context.get("event") not in UPDATE_EVENTS:
        return None
    with hospital_context(hospital):
        entry = WaitlistEntry.objects.select_related("doctor", "patient").filter(pk=context["entry_id"]).first()
        if entry is None:
            return None
    return {
        "hospital": hospital,
        "for_doctor": False,
        "event": context["event"],
        "doctor_name": entry.doctor.name,
        "patient_name": entry.patient.name or entry.patient.email,
        "date_from": entry.date_from,
        "date_to": entry.date_to,
        "link": waitlist_entry_url(entry_id=entry.pk),
    }
