import zoneinfo

from django import forms
from phonenumber_field.formfields import PhoneNumberField

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class HospitalRegistrationForm(forms.Form):
    name = forms.CharField(max_length=200)
    registration_number = forms.CharField(max_length=64)
    email = forms.EmailField(max_length=254, help_text="Becomes the hospital admin's sign-in email.")
    phone_number = PhoneNumberField(
        max_length=32, widget=forms.TextInput, help_text="With the country code, e.g. +14155550123."
    )
    address = forms.CharField(max_length=500)
    city = forms.CharField(max_length=100)
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, initial="UTC")
    subdomain = forms.CharField(
        max_length=63, required=False, help_text="Optional; derived from the name when left empty."
    )
    logo = forms.FileField(required=False, help_text="PNG, JPEG or WebP, at most 2 MB and 4096×4096 pixels.")


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
