import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from shared_apps.common.phone import normalize_phone_number

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class HospitalRegistrationForm(forms.Form):
    name = forms.CharField(max_length=200)
    registration_number = forms.CharField(max_length=64)
    email = forms.EmailField(max_length=254, help_text="Becomes the hospital admin's sign-in email.")
    phone_number = forms.CharField(max_length=32, help_text="With the country code, e.g. +14155550123.")
    address = forms.CharField(max_length=500)
    city = forms.CharField(max_length=100)
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, initial="UTC")
    subdomain = forms.CharField(
        max_length=63, required=False, help_text="Optional; derived from the name when left empty."
    )
    logo = forms.FileField(required=False, help_text="PNG, JPEG or WebP, at most 2 MB and 4096×4096 pixels.")

    def clean_phone_number(self):
        try:
            return normalize_phone_number(self.cleaned_data["phone_number"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
