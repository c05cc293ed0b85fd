from django.shortcuts import render

from shared_apps.events.types import APPOINTMENT_EVENTS
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.chart import activity_chart
from tenant_apps.dashboard.selectors import overview_for

# What refreshes the page live (static/rhms/live.js): its appointments, and its free-slot counts.
OVERVIEW_LIVE_EVENTS = " ".join([*APPOINTMENT_EVENTS, "slots.changed"])


@dashboard_view
def overview(request):
    """Today, the days ahead, this week's numbers and the chart of the last and next four weeks: the hospital's for
    its admin, their own for a doctor."""
    data = overview_for(access=request.access)
    chart = activity_chart(access=request.access, today=data.today)
    context = {"overview": data, "chart": chart, "section": "overview", "live_events": OVERVIEW_LIVE_EVENTS}
    return render(request, "dashboard/overview.html", context)
