"""An appointment as an iCalendar event (RFC 5545), in the hospital's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from rest_framework.renderers import BaseRenderer

from shared_apps.hospitals.models import Hospital
from tenant_apps.appointments.models import Appointment


class CalendarRenderer(BaseRenderer):
    """Lets DRF's content negotiation accept `Accept: text/calendar`; the body is the .ics bytes as built."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def appointment_ics(*, appointment: Appointment, hospital: Hospital) -> bytes:
    """The event carries doctor, hospital and time only — never the reason for the visit."""
    zone = hospital.zone
    calendar = Calendar()
    calendar.add("prodid", "-//RHMS//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.pk}@rhms")
    event.add("dtstamp", appointment.created_at)
    event.add("dtstart", _calendar_time(appointment.starts_at, zone))
    event.add("dtend", _calendar_time(appointment.ends_at, zone))
    event.add("summary", f"Appointment with {appointment.doctor.name}")
    event.add("location", f"{hospital.name}, {hospital.address}")
    event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _calendar_time(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """`moment` in the hospital's zone, or in UTC when that local time is ambiguous (the repeated hour of a
    fall-back night): RFC 5545 reads an ambiguous local time as its first occurrence.
    """
    local = moment.astimezone(zone)
    return local if local.replace(fold=0).astimezone(dt.UTC) == moment else moment.astimezone(dt.UTC)
