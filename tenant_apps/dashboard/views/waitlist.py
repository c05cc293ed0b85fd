"""The waitlist: per doctor and date how many patients wait, the queue in the order slots are offered, and
removing an entry (audited). Hospital admins only."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shared_apps.common.errors import ApplicationError
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.selectors import local_today
from tenant_apps.doctors.selectors import doctors_for_staff
from tenant_apps.waitlist.selectors import waiting_counts, waitlist_entry_for_admin, waitlist_queue
from tenant_apps.waitlist.services import waitlist_remove

DAYS_SHOWN = 14


@dashboard_view(admin_only=True)
def waitlist_page(request):
    today = local_today(request.hospital)
    dates = [today + dt.timedelta(days=n) for n in range(DAYS_SHOWN)]
    doctors = list(doctors_for_staff(access=request.access))
    counts = waiting_counts(doctors=doctors, dates=dates)
    grid = [
        {"doctor": doctor, "counts": [counts.get((doctor.pk, day), 0) for day in dates]}
        for doctor in doctors
        if any(counts.get((doctor.pk, day)) for day in dates)
    ]
    context = {
        "dates": dates,
        "grid": grid,
        "entries": list(waitlist_queue(hospital=request.hospital)),
        "section": "waitlist",
    }
    return render(request, "dashboard/waitlist.html", context)


@dashboard_view(admin_only=True)
@require_POST
def waitlist_remove_view(request, entry_id):
    entry = waitlist_entry_for_admin(entry_id=entry_id)
    if entry is None:
        raise Http404
    try:
        waitlist_remove(actor=request.user, hospital=request.hospital, entry=entry)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        name = entry.patient.name or entry.patient.email
        messages.success(request, f"{name} was taken off {entry.doctor.name}'s waitlist.")
    return redirect("dashboard:waitlist")
