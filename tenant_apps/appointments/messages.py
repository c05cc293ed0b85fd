"""Builders for appointment emails and SMS: name, hospital, date and time, a link; never the reason for the visit."""

from django.conf import settings

from shared_apps.common.links import platform_url, subdomain_url
from shared_apps.directory.reminders import reminder_is_armed
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.registry import register
from tenant_apps.appointments.calendar import appointment_ics
from tenant_apps.appointments.models import Appointment, AppointmentStatus


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
        "doctor_name": appointment.doctor.name,
        "patient_name": appointment.patient.name or appointment.patient.email,
        "date": appointment.appointment_date,
        "time": appointment.appointment_time.strftime("%H:%M"),
        "timezone": hospital.timezone,
        "link": subdomain_url(hospital.slug, "/appointments/")
        if for_doctor
        else settings.PATIENT_APP_URL or platform_url("/"),
        "attachments": [("appointment.ics", ics, "text/calendar")],
    }


register("appointment_booked")(appointment_message)
register("appointment_cancelled")(appointment_message)


@register("appointment_reminder")
def reminder_message(context: dict) -> dict | None:
    """Skipped when the appointment is no longer booked or its reminder was disarmed since it was queued (a
    reschedule: the new time has reminders of its own). Rows queued before reminders per offset carry no id."""
    if "reminder_id" in context and not reminder_is_armed(context["reminder_id"]):
        return None
    return appointment_message(context, only_if_booked=True)
