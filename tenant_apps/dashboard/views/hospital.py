"""The hospital's profile and branding, its activity (audit log) and notifications. Hospital admins only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render

from shared_apps.audit.selectors import audit_log_list
from shared_apps.hospitals.services import hospital_update_profile
from shared_apps.notifications.selectors import notification_list_for
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.forms import HospitalProfileForm, add_service_error
from tenant_apps.dashboard.views.paging import page_of
from tenant_apps.doctors.services.facts import hospital_policy_change

ACTIVITY_PER_PAGE = 50


@dashboard_view(admin_only=True)
def profile(request):
    hospital = request.hospital
    initial = HospitalProfileForm.initial_for(hospital)
    form = HospitalProfileForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():  # profile and policy are saved together or not at all
                    hospital_update_profile(actor=request.user, hospital=hospital, **form.changes())
                    hospital_policy_change(actor=request.user, hospital=hospital, **form.policy(form.cleaned_data))
            except ValidationError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, "The hospital's profile was saved.")
                return redirect("dashboard:profile")
    return render(request, "dashboard/profile.html", {"form": form, "section": "profile"}, status=status)


def _details(metadata: dict) -> str:
    """An audit row's metadata as one line: `fields: city, name; dates: 2030-01-02`."""
    parts = []
    for key, value in metadata.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


@dashboard_view(admin_only=True)
def activity(request):
    page, query = page_of(request, audit_log_list(user=request.user), ACTIVITY_PER_PAGE)
    rows = [(row, _details(row.metadata)) for row in page.object_list]
    context = {"page": page, "rows": rows, "query": query, "section": "activity"}
    return render(request, "dashboard/activity.html", context)


@dashboard_view(admin_only=True)
def notifications(request):
    """The hospital's emails and SMS with their delivery status."""
    page, query = page_of(request, notification_list_for(user=request.user), ACTIVITY_PER_PAGE)
    return render(request, "dashboard/notifications.html", {"page": page, "query": query, "section": "notifications"})
