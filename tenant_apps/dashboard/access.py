"""Who may use this hospital's dashboard: its active staff, checked against the database on every request."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from shared_apps.accounts.selectors import membership_for
from shared_apps.hospitals.tenancy import resolve_hospital


def staff_membership(request):
    """The signed-in user's membership in the hospital serving this request, or None."""
    hospital = resolve_hospital(request)
    membership = membership_for(request.user)
    if hospital is None or membership is None or membership.hospital_id != hospital.pk:
        return None
    return membership


def dashboard_view(view):
    """Require a signed-in member of this hospital; anyone else signed in gets a 404, as if nothing were here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if resolve_hospital(request) is None:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = staff_membership(request)
        if membership is None:
            raise Http404
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper
