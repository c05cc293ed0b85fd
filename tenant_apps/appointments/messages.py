"""Builders for appointment emails and SMS: name, hospital, date and time, a link; never the reason for the visit."""

from django.conf import settings

from shared_apps.common.links import platform_url, subdomain_url
from shared_apps.directory.reminders import reminder_is_armed
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.registry import register
from tenant_apps.appointments.calendar import appointment_ics
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_next_free_slots


def appointment_message(context: dict, *, only_if_booked: bool = False) -> dict | None:
    hospital = Hospital.objects.filter(pk=context["hospital_id"]).first()
    if hospital is None:
        return None
    with hospital_context(hospital):
        appointment = (
            Appointment.objects.select_related("doctor", "patient").filter(pk=context["appointment_id"]).first()
        )
        if appointment is None or (only_if_booked and appointment.status != AppointmentStatus.BOOKED):
            return None
        ics = appointment_ics(appointment=appointment, hospital=hospital)
    for_doctor = context.get("audience") == "doctor"
    return {
        "hospital": hospital,
        "for_doctor": for_doctor,
        "doctor_id": appointment.doctor_id,
        "doctor_name": appointment.doctor.name,
        "patient_name": appointment.patient.name or appointment.patient.email,
        "date": appointment.appointment_date,
        "time": appointment.appointment_time.strftime("%H:%M"),
        "timezone": hospital.timezone,
        "link": subdomain_url(hospital.slug, "/appointments/")
        if for_doctor
        else settings.PATIENT_APP_URL or platform_url("/"),
        "attachments": [("appointment.ics", ics, "text/calendar")],
        "from_date": appointment.rescheduled_from_date,
        "from_time": appointment.rescheduled_from_time.strftime("%H:%M") if appointment.rescheduled_from_time else "",
    }


NEXT_SLOTS_IN_NOTICE = 3


@register("appointment_cancelled_time_off")
def time_off_cancellation_message(context: dict) -> dict | None:
    """The cancellation notice of an appointment its doctor's time off took: the doctor's next free slots, as they
    are when the message is sent, and a link to rebook.
    """
    message = appointment_message(context)
    if message is None:
        return None
    hospital = message["hospital"]
    with hospital_context(hospital):
        doctor = Doctor.objects.get(pk=message["doctor_id"])
        slots = doctor_next_free_slots(hospital=hospital, doctor=doctor, count=NEXT_SLOTS_IN_NOTICE)
    message["next_slots"] = [{"date": slot.date, "time": slot.time.strftime("%H:%M")} for slot in slots]
    message["link"] = rebook_url(doctor_id=doctor.pk)
    return message


def rebook_url(*, doctor_id) -> str:
    """Where the patient books this doctor again: the app's doctor page under PATIENT_APP_URL, or (no app URL set)
    the platform's home page, as every other patient message links.
    """
    if not settings.PATIENT_APP_URL:
        return platform_url("/")
    return f"{settings.PATIENT_APP_URL.rstrip('/')}/doctors/{doctor_id}/"


register("appointment_booked")(appointment_message)
register("appointment_cancelled")(appointment_message)


@register("appointment_rescheduled")
def rescheduled_message(context: dict) -> dict | None:
    """None once the appointment is no longer booked (cancelled meanwhile): the cancellation notice says so."""
    return appointment_message(context, only_if_booked=True)


@register("appointment_reminder")
def reminder_message(context: dict) -> dict | None:
    """Skipped when the appointment is no longer booked or its reminder was disarmed since it was queued (a
    reschedule: the new time has reminders of its own). Rows queued before reminders per offset carry no id."""
    if "reminder_id" in context and not reminder_is_armed(context["reminder_id"]):
        return None
    return appointment_message(context, only_if_booked=True)
