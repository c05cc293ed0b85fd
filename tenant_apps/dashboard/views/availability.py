"""Availability: one doctor's week; add a window (open or blocked), remove one. Admins: any doctor; a doctor: own.

Adding or removing one window goes through the services that rebuild that date's list for availability_set.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shared_apps.common.errors import ApplicationError, NotFound
from tenant_apps.dashboard.access import dashboard_view, is_admin
from tenant_apps.dashboard.forms import WindowForm, WindowRemoveForm, add_service_error
from tenant_apps.dashboard.selectors import (
    availability_week,
    local_today,
    own_doctor,
    week_start,
    window_get,
)
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_get_for_staff, doctors_for_staff
from tenant_apps.doctors.services import availability_window_add, availability_window_remove

SERVICE_ERRORS = (ValidationError, ApplicationError)


def scheduled_doctor(request, doctor_id) -> Doctor:
    """The doctor whose schedule the signed-in user may edit (the admin: any; a doctor: themself); 404 otherwise."""
    try:
        return doctor_get_for_staff(access=request.access, doctor_id=doctor_id, manage=False)
    except NotFound as exc:
        raise Http404 from exc


def _week_url(doctor: Doctor, day: dt.date) -> str:
    return f"{reverse('dashboard:availability-week', args=[doctor.pk])}?week={week_start(day)}"


def _requested_monday(request, today: dt.date) -> dt.date:
    try:
        return week_start(dt.date.fromisoformat(request.GET.get("week") or request.POST.get("week") or ""))
    except ValueError:
        return week_start(today)


@dashboard_view
def availability_index(request):
    """The admin picks a doctor; a doctor goes straight to their own week."""
    if not is_admin(request):
        doctor = own_doctor(user=request.user)
        if doctor is not None:
            return redirect("dashboard:availability-week", doctor_id=doctor.pk)
    doctors = doctors_for_staff(access=request.access)
    return render(request, "dashboard/availability_index.html", {"doctors": doctors, "section": "availability"})


def _week_page(request, doctor: Doctor, monday: dt.date, form=None, remove_errors=(), status: int = 200):
    today = local_today(request.hospital)
    if form is None:
        form = WindowForm(initial={"date": max(monday, today), "kind": "available"})
    context = {
        "doctor": doctor,
        "days": availability_week(hospital=request.hospital, doctor=doctor, monday=monday),
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": week_start(today),
        "form": form,
        "remove_errors": remove_errors,
        "section": "availability",
    }
    return render(request, "dashboard/availability_week.html", context, status=status)


@dashboard_view
def availability_week_view(request, doctor_id):
    doctor = scheduled_doctor(request, doctor_id)
    return _week_page(request, doctor, _requested_monday(request, local_today(request.hospital)))


@dashboard_view
@require_POST
def availability_add(request, doctor_id):
    """Add one window to a date: the date's current windows plus the new one go to availability_set."""
    doctor = scheduled_doctor(request, doctor_id)
    form = WindowForm(request.POST)
    if not form.is_valid():
        monday = _requested_monday(request, local_today(request.hospital))
        return _week_page(request, doctor, monday, form=form, status=400)
    window = form.window()
    day = window["date"]
    try:
        availability_window_add(actor=request.user, hospital=request.hospital, doctor=doctor, window=window)
    except SERVICE_ERRORS as exc:
        status = add_service_error(form, exc)
        return _week_page(request, doctor, week_start(day), form=form, status=status)
    kind = "Open" if window["is_available"] else "Blocked"
    messages.success(
        request, f"{kind} time added on {day:%a %d %b}: {window['start_time']:%H:%M}–{window['end_time']:%H:%M}."
    )
    return redirect(_week_url(doctor, day))


@dashboard_view
@require_POST
def availability_remove(request, doctor_id):
    """Remove one window: its date is sent back without it (an emptied date is cleared)."""
    doctor = scheduled_doctor(request, doctor_id)
    form = WindowRemoveForm(request.POST)
    window = window_get(doctor=doctor, window_id=form.cleaned_data["window_id"]) if form.is_valid() else None
    if window is None:
        raise Http404
    day = window.date
    try:
        availability_window_remove(actor=request.user, hospital=request.hospital, doctor=doctor, window=window)
    except SERVICE_ERRORS as exc:
        errors = [exc.message] if isinstance(exc, ApplicationError) else exc.messages
        return _week_page(request, doctor, week_start(day), remove_errors=errors, status=400)
    messages.success(request, f"Removed {window.start_time:%H:%M}–{window.end_time:%H:%M} on {day:%a %d %b}.")
    return redirect(_week_url(doctor, day))
