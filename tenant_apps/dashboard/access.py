"""Who may use this hospital's dashboard: its active staff, checked against the database on every request."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess, staff_access
from shared_apps.hospitals.tenancy import resolve_hospital


def request_staff_access(request) -> StaffAccess | None:
    """The signed-in user's staff access to the hospital serving this request, or None (the same rule as the API)."""
    hospital = resolve_hospital(request)
    return None if hospital is None else staff_access(request.user, hospital)


def is_admin(request) -> bool:
    """Whether the signed-in member administers this hospital (set by `dashboard_view`)."""
    access = getattr(request, "access", None)
    return access is not None and access.is_admin


def dashboard_view(view=None, *, admin_only: bool = False):
    """Require a signed-in member of this hospital; anyone else signed in gets a 404, as if nothing were here.

    With `admin_only`, a doctor gets the same 404. Sets `request.access` (a StaffAccess) and `request.hospital`,
    and renders dates and times in the hospital's time zone.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            hospital = resolve_hospital(request)
            if hospital is None:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = staff_access(request.user, hospital)
            if access is None:
                raise Http404
            request.access = access
            request.hospital = hospital
            if admin_only and not access.is_admin:
                raise Http404
            timezone.activate(hospital.zone)
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapper

    return decorate(view) if view is not None else decorate
