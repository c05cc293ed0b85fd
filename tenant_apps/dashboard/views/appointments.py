"""Appointments: filter by date, doctor and status; cancel with a reason; complete; record a no-show. A doctor sees
their own only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.events.types import APPOINTMENT_EVENTS
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.selectors import (
    PATIENT,
    appointment_get_for,
    appointment_list_for_staff,
    no_show_count,
    with_patient_no_shows,
)
from tenant_apps.appointments.services import appointment_cancel, appointment_complete, appointment_mark_no_show
from tenant_apps.dashboard.access import dashboard_view, is_admin
from tenant_apps.dashboard.forms import AppointmentFilterForm, CancelForm
from tenant_apps.dashboard.selectors import local_today
from tenant_apps.dashboard.views.paging import page_of
from tenant_apps.doctors.selectors import doctors_for_staff

PER_PAGE = 25
FILTERS = ("date_from", "date_to", "doctor", "status")


def staff_appointment(request, appointment_id) -> Appointment:
    """The appointment, if the signed-in staff may see it (admin: any here; doctor: their own); 404 otherwise."""
    try:
        appointment, capacity = appointment_get_for(
            user=request.user, access=request.access, appointment_id=appointment_id
        )
    except NotFound as exc:
        raise Http404 from exc
    if capacity == PATIENT:  # the dashboard is for staff; a patient's own bookings live in the app
        raise Http404
    return appointment


@dashboard_view
def appointment_list(request):
    doctors = list(doctors_for_staff(access=request.access))
    has_filters = any(name in request.GET for name in FILTERS)
    data = request.GET if has_filters else {"date_from": local_today(request.hospital).isoformat()}
    form = AppointmentFilterForm(data, doctors=doctors)
    if form.is_valid():
        filters = form.cleaned_data
        appointments = with_patient_no_shows(
            appointment_list_for_staff(
                access=request.access,
                date_from=filters["date_from"],
                date_to=filters["date_to"],
                doctor_id=filters["doctor"] or None,
                status=filters["status"],
            )
        )
    else:
        appointments = Appointment.objects.none()
    page, query = page_of(request, appointments, PER_PAGE)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "show_doctor": is_admin(request) or len(doctors) != 1,
        "section": "appointments",
        "live_events": " ".join(APPOINTMENT_EVENTS),  # they refresh the list live (static/rhms/live.js)
    }
    return render(request, "dashboard/appointments.html", context, status=200 if form.is_valid() else 400)


def _detail_page(request, appointment, cancel_form=None, action_error: str = "", status: int = 200):
    """The appointment; `action_error` is a service's refusal of cancel, complete or no-show (e.g. it is no longer
    booked)."""
    context = {
        "appointment": appointment,
        "patient_no_shows": no_show_count(patient=appointment.patient, now=timezone.now()),
        "cancel_form": cancel_form or CancelForm(),
        "action_error": action_error,
        "section": "appointments",
    }
    return render(request, "dashboard/appointment_detail.html", context, status=status)


@dashboard_view
def appointment_detail(request, appointment_id):
    return _detail_page(request, staff_appointment(request, appointment_id))


@dashboard_view
@require_POST
def appointment_cancel_view(request, appointment_id):
    appointment = staff_appointment(request, appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, appointment, cancel_form=form, status=400)
    try:
        appointment_cancel(
            actor=request.user,
            hospital=request.hospital,
            appointment=appointment,
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        return _detail_page(
            request, staff_appointment(request, appointment_id), action_error=exc.message, status=exc.status
        )
    messages.success(request, "The appointment was cancelled; the patient is notified and the slot is free again.")
    return redirect("dashboard:appointment", appointment_id=appointment.pk)


@dashboard_view
@require_POST
def appointment_complete_view(request, appointment_id):
    appointment = staff_appointment(request, appointment_id)
    try:
        appointment_complete(actor=request.user, hospital=request.hospital, appointment=appointment)
    except ApplicationError as exc:
        return _detail_page(
            request, staff_appointment(request, appointment_id), action_error=exc.message, status=exc.status
        )
    messages.success(request, "The appointment was marked completed.")
    return redirect("dashboard:appointment", appointment_id=appointment.pk)


@dashboard_view
@require_POST
def appointment_no_show_view(request, appointment_id):
    appointment = staff_appointment(request, appointment_id)
    try:
        appointment_mark_no_show(actor=request.user, hospital=request.hospital, appointment=appointment)
    except ApplicationError as exc:
        return _detail_page(
            request, staff_appointment(request, appointment_id), action_error=exc.message, status=exc.status
        )
    messages.success(request, "The no-show was recorded.")
    return redirect("dashboard:appointment", appointment_id=appointment.pk)
