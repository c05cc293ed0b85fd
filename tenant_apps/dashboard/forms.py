from django import forms
from django.contrib.auth.forms import AuthenticationForm

from tenant_apps.dashboard.access import staff_membership


class HospitalSignInForm(AuthenticationForm):
    """Email and password; only this hospital's active staff can sign in here."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        self.request.user = user
        if staff_membership(self.request) is None:
            raise self.get_invalid_login_error()
