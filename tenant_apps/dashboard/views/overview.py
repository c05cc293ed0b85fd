from django.shortcuts import render

from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.selectors import overview_for


@dashboard_view
def overview(request):
    """Today, the days ahead and this week's numbers: the hospital's for its admin, their own for a doctor."""
    data = overview_for(access=request.access)
    return render(request, "dashboard/overview.html", {"overview": data, "section": "overview"})
