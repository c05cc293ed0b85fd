"""A doctor's weekly hours (one editor, saved in one request) and time off (list, add, remove).

Admins: any doctor of the hospital; a doctor: their own (anyone else's is a 404, as in the week view). Every rule
is the services' (tenant_apps/doctors/schedule.py); the forms check the shape of the input only.
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shared_apps.common.errors import ApplicationError
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.forms import TimeOffForm, add_service_error, weekly_hours_formset
from tenant_apps.dashboard.selectors import appointments_listed, local_today
from tenant_apps.dashboard.views.availability import scheduled_doctor
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import time_off_get, time_off_list
from tenant_apps.doctors.services import schedule_set, time_off_add, time_off_remove

# The service names rows by their place in the list it was given ("Row 2 (Monday 09:00–12:00) overlaps row 3 …").
ROW_NUMBER = re.compile(r"\brow (\d+)\b", re.IGNORECASE)
IN_TIME_OFF = "appointments_in_time_off"


# Weekly hours ----------------------------------------------------------------------------------------------------


def _saved_rows(doctor: Doctor, today) -> tuple[list[dict], list]:
    """The editor's rows (in force today or later: what schedule_set replaces) and the rows that ended before
    today (history: shown, not editable, kept by saving).
    """
    rows = list(doctor.weekly_hours.order_by("weekday", "start_time", "valid_from"))
    current = [r for r in rows if r.valid_until is None or r.valid_until >= today]
    ended = [r for r in rows if r.valid_until is not None and r.valid_until < today]
    initial = [
        {name: getattr(r, name) for name in ("weekday", "start_time", "end_time", "valid_from", "valid_until")}
        for r in current
    ]
    return initial, ended


def _raw_rows(formset) -> list[dict]:
    """What was typed in each row, unvalidated, to show it again with one more blank row."""
    names = ("weekday", "start_time", "end_time", "valid_from", "valid_until", "DELETE")
    return [{name: form[name].value() for name in names} for form in formset]


def _mark_rows(formset, service_errors: list[str]) -> dict[int, list[str]]:
    """Tie each of the service's messages to the rows it names: the message under the row, and the row's fields
    described by it (aria-describedby) and marked invalid."""
    by_row: dict[int, list[str]] = {}
    for message in service_errors:
        for number in {int(n) for n in ROW_NUMBER.findall(message)}:
            by_row.setdefault(number, []).append(message)
    for number, form in enumerate(formset, start=1):
        if number in by_row:
            for name in ("weekday", "start_time", "end_time", "valid_from", "valid_until"):
                form.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"row-{number}-errors"}
                )
    return by_row


def _hours_page(request, doctor, formset, ended, service_errors=(), status=200):
    row_errors = _mark_rows(formset, list(service_errors))
    rows = [(number, form, row_errors.get(number, [])) for number, form in enumerate(formset, start=1)]
    context = {
        "doctor": doctor,
        "formset": formset,
        "rows": rows,
        "ended": ended,
        "service_errors": service_errors,
        "section": "availability",
    }
    return render(request, "dashboard/weekly_hours.html", context, status=status)


@dashboard_view
def weekly_hours_edit(request, doctor_id):
    """The week grid. Submitting with "Add a row" shows the same rows and one blank more (nothing is saved);
    "Save" sends every row not left blank or ticked "Remove" to schedule_set, which replaces the weekly hours at
    once or, on a ValidationError, saves nothing.
    """
    doctor = scheduled_doctor(request, doctor_id)
    initial, ended = _saved_rows(doctor, local_today(request.hospital))
    if request.method != "POST":
        return _hours_page(request, doctor, weekly_hours_formset(initial=initial, extra=0 if initial else 1), ended)

    formset = weekly_hours_formset(request.POST)
    if "add_row" in request.POST:
        return _hours_page(request, doctor, weekly_hours_formset(initial=_raw_rows(formset), extra=1), ended)
    if not formset.is_valid():
        return _hours_page(request, doctor, formset, ended, status=400)
    kept = [form.row() for form in formset if form.has_changed() and not form.cleaned_data.get("DELETE")]
    try:
        schedule_set(actor=request.user, hospital=request.hospital, doctor=doctor, weekly_hours=kept)
    except ValidationError as exc:
        errors = exc.message_dict.get("weekly_hours", exc.messages)
        # Shown again as sent (blank and removed rows gone), so that the service's row numbers are the page's.
        return _hours_page(request, doctor, weekly_hours_formset(initial=kept), ended, errors, status=400)
    messages.success(request, f"Weekly hours saved: {len(kept)} row{'' if len(kept) == 1 else 's'}.")
    return redirect("dashboard:availability-week", doctor_id=doctor.pk)


# Time off --------------------------------------------------------------------------------------------------------


def _time_off_page(request, doctor, form=None, status=200):
    context = {
        "doctor": doctor,
        "time_off": time_off_list(doctor=doctor, since=local_today(request.hospital)),
        "form": form or TimeOffForm(),
        "section": "availability",
    }
    return render(request, "dashboard/time_off.html", context, status=status)


@dashboard_view
def time_off_list_view(request, doctor_id):
    """The doctor's current and upcoming time off, and the form to add more."""
    return _time_off_page(request, scheduled_doctor(request, doctor_id))


@dashboard_view
@require_POST
def time_off_add_view(request, doctor_id):
    """Add time off through time_off_add. Over booked appointments the service answers Conflict
    (appointments_in_time_off): the page lists them and asks to confirm, re-posting the same data with
    cancel_appointments=true; then the time off is saved and they are cancelled and their patients told.
    """
    doctor = scheduled_doctor(request, doctor_id)
    form = TimeOffForm(request.POST)
    if not form.is_valid():
        return _time_off_page(request, doctor, form, status=400)
    try:
        time_off, cancelled = time_off_add(
            actor=request.user, hospital=request.hospital, doctor=doctor, **form.time_off()
        )
    except ApplicationError as exc:
        if exc.code != IN_TIME_OFF:
            return _time_off_page(request, doctor, form, status=add_service_error(form, exc))
        affected = appointments_listed(doctor=doctor, appointment_ids=exc.fields.get("appointment_ids", []))
        context = {"doctor": doctor, "form": form, "affected": affected, "section": "availability"}
        return render(request, "dashboard/time_off_confirm.html", context, status=409)
    except ValidationError as exc:
        return _time_off_page(request, doctor, form, status=add_service_error(form, exc))
    done = f"Time off added: {time_off.start_date:%a %d %b}"
    if time_off.end_date != time_off.start_date:
        done += f" to {time_off.end_date:%a %d %b}"
    if cancelled:
        done += (
            f". {len(cancelled)} appointment{'' if len(cancelled) == 1 else 's'} cancelled; "
            "the patients are told, with the next free slots."
        )
    messages.success(request, done + ("" if cancelled else "."))
    return redirect("dashboard:time-off", doctor_id=doctor.pk)


@dashboard_view
@require_POST
def time_off_remove_view(request, doctor_id, time_off_id):
    """Remove one time off entry: its slots are free again (appointments it cancelled stay cancelled)."""
    doctor = scheduled_doctor(request, doctor_id)
    time_off = time_off_get(doctor=doctor, time_off_id=time_off_id)
    if time_off is None:
        raise Http404
    time_off_remove(actor=request.user, hospital=request.hospital, doctor=doctor, time_off=time_off)
    messages.success(request, f"Removed the time off from {time_off.start_date:%a %d %b}.")
    return redirect("dashboard:time-off", doctor_id=doctor.pk)
