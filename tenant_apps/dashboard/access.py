"""Who may use this hospital's dashboard: its active staff, checked against the database on every request."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils import timezone

from shared_apps.accounts.models import MembershipRole
from shared_apps.accounts.selectors import membership_for
from shared_apps.hospitals.tenancy import resolve_hospital


def staff_membership(request):
    """The signed-in user's membership in the hospital serving this request, or None."""
    hospital = resolve_hospital(request)
    membership = membership_for(request.user)
    if hospital is None or membership is None or membership.hospital_id != hospital.pk:
        return None
    return membership


def is_admin(request) -> bool:
    """Whether the signed-in member administers this hospital (set by `dashboard_view`)."""
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role == MembershipRole.HOSPITAL_ADMIN


def dashboard_view(view=None, *, admin_only: bool = False):
    """Require a signed-in member of this hospital; anyone else signed in gets a 404, as if nothing were here.

    With `admin_only`, a doctor gets the same 404. Sets `request.membership` and `request.hospital`, and renders
    dates and times in the hospital's time zone.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            hospital = resolve_hospital(request)
            if hospital is None:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = staff_membership(request)
            if membership is None:
                raise Http404
            request.membership = membership
            request.hospital = hospital
            if admin_only and not is_admin(request):
                raise Http404
            timezone.activate(hospital.zone)
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapper

    return decorate(view) if view is not None else decorate
