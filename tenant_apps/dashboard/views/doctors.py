"""Doctors: list, add, edit, deactivate and reactivate, invite to sign in. Hospital admins only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.directory.selectors import doctors_next_available
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.forms import DoctorCreateForm, DoctorEditForm, add_service_error
from tenant_apps.doctors.models import Doctor, DoctorStatus
from tenant_apps.doctors.selectors import doctor_get_for_staff, doctors_for_staff
from tenant_apps.doctors.services import doctor_create, doctor_invite, doctor_update

SERVICE_ERRORS = (ValidationError, ApplicationError)


def managed_doctor(request, doctor_id) -> Doctor:
    """The doctor, if the signed-in admin manages it; 404 otherwise (another hospital's doctors are not here)."""
    try:
        return doctor_get_for_staff(access=request.access, doctor_id=doctor_id, manage=True)
    except NotFound as exc:
        raise Http404 from exc


@dashboard_view(admin_only=True)
def doctor_list(request):
    doctors = list(doctors_for_staff(access=request.access))
    next_free = doctors_next_available(doctor_ids=[doctor.pk for doctor in doctors])
    for doctor in doctors:
        doctor.next_free = next_free.get(doctor.pk)  # (date, time) or None, as patients see it
    context = {"doctors": doctors, "section": "doctors", "horizon_days": request.hospital.booking_horizon_days}
    return render(request, "dashboard/doctors.html", context)


@dashboard_view(admin_only=True)
def doctor_add(request):
    form = DoctorCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                doctor = doctor_create(actor=request.user, hospital=request.hospital, **form.cleaned_data)
            except SERVICE_ERRORS as exc:
                status = add_service_error(form, exc)
            else:
                invited = " and invited to sign in" if form.cleaned_data["invite"] else ""
                messages.success(request, f"{doctor.name} was added{invited}.")
                return redirect("dashboard:doctor-edit", doctor_id=doctor.pk)
    return render(request, "dashboard/doctor_add.html", {"form": form, "section": "doctors"}, status=status)


def _edit_page(request, doctor: Doctor, form=None, action_error: str = "", status: int = 200):
    if form is None:
        initial = {name: getattr(doctor, name) for name in DoctorEditForm.base_fields}
        form = DoctorEditForm(initial=initial)
    context = {"doctor": doctor, "form": form, "action_error": action_error, "section": "doctors"}
    return render(request, "dashboard/doctor_edit.html", context, status=status)


@dashboard_view(admin_only=True)
def doctor_edit(request, doctor_id):
    doctor = managed_doctor(request, doctor_id)
    if request.method != "POST":
        return _edit_page(request, doctor)
    initial = {name: getattr(doctor, name) for name in DoctorEditForm.base_fields}
    form = DoctorEditForm(request.POST, initial=initial)
    if not form.is_valid():
        return _edit_page(request, doctor, form=form, status=400)
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    if not changes:
        messages.info(request, "Nothing to change.")
        return redirect("dashboard:doctor-edit", doctor_id=doctor.pk)
    try:
        doctor = doctor_update(actor=request.user, hospital=request.hospital, doctor=doctor, **changes)
    except SERVICE_ERRORS as exc:
        status = add_service_error(form, exc)
        return _edit_page(request, managed_doctor(request, doctor_id), form=form, status=status)
    messages.success(request, f"{doctor.name}'s details were saved.")
    return redirect("dashboard:doctor-edit", doctor_id=doctor.pk)


def _status_change(request, doctor_id, status: str, done: str):
    doctor = managed_doctor(request, doctor_id)
    try:
        doctor = doctor_update(actor=request.user, hospital=request.hospital, doctor=doctor, status=status)
    except SERVICE_ERRORS as exc:
        message = exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages)
        return _edit_page(request, managed_doctor(request, doctor_id), action_error=message, status=400)
    messages.success(request, f"{doctor.name} {done}.")
    return redirect("dashboard:doctors")


@dashboard_view(admin_only=True)
@require_POST
def doctor_deactivate(request, doctor_id):
    return _status_change(request, doctor_id, DoctorStatus.INACTIVE, "was deactivated: patients can no longer book")


@dashboard_view(admin_only=True)
@require_POST
def doctor_activate(request, doctor_id):
    return _status_change(request, doctor_id, DoctorStatus.ACTIVE, "is active again")


@dashboard_view(admin_only=True)
@require_POST
def doctor_invite_send(request, doctor_id):
    doctor = managed_doctor(request, doctor_id)
    resend = doctor.user_id is not None
    try:
        doctor = doctor_invite(actor=request.user, hospital=request.hospital, doctor=doctor)
    except ApplicationError as exc:
        return _edit_page(request, managed_doctor(request, doctor_id), action_error=exc.message, status=exc.status)
    verb = "sent again" if resend else "sent"
    messages.success(request, f"An invitation to sign in was {verb} to {doctor.email}.")
    return redirect("dashboard:doctor-edit", doctor_id=doctor.pk)
