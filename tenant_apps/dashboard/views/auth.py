"""Sign in, sign out and the password reset request, on the hospital's subdomain."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django_ratelimit.decorators import ratelimit

from shared_apps.accounts.services import password_reset_request
from shared_apps.hospitals.tenancy import resolve_hospital
from tenant_apps.dashboard.forms import HospitalSignInForm, PasswordResetRequestForm

# The API's password reset is throttled at 10/hour per client (THROTTLE_PASSWORD); the form gets the same.
RESET_FORM_RATE = "10/h"


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


@never_cache
@ratelimit(key="ip", rate=RESET_FORM_RATE, method="POST", block=True)
def password_reset(request):
    """Ask for a set-password link by email. The link opens the platform host's set-password page.

    The answer is the same whether or not the email has an account, so the form cannot be used to probe for them.
    """
    if resolve_hospital(request) is None:
        raise Http404
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"])
        messages.success(
            request, "If an account uses this email, we have sent it a link to set a new password. It expires soon."
        )
        return redirect("dashboard:sign-in")
    return render(request, "dashboard/password_reset.html", {"form": form}, status=400 if form.errors else 200)
