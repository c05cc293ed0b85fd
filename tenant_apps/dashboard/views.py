from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import render

from shared_apps.hospitals.tenancy import resolve_hospital
from tenant_apps.dashboard.access import dashboard_view
from tenant_apps.dashboard.forms import HospitalSignInForm


class SignInView(auth_views.LoginView):
    template_name = "dashboard/sign_in.html"
    authentication_form = HospitalSignInForm
    redirect_authenticated_user = False

    def dispatch(self, request, *args, **kwargs):
        if resolve_hospital(request) is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class SignOutView(auth_views.LogoutView):
    next_page = "dashboard:sign-in"


@dashboard_view
def overview(request):
    return render(request, "dashboard/overview.html", {})
