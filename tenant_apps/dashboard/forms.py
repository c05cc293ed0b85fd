"""The dashboard's HTML forms: they check the shape of the input only; every rule lives in the services."""

import secrets

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from phonenumber_field.formfields import PhoneNumberField

from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.events.types import APPOINTMENT_EVENTS
from shared_apps.hospitals.forms import TIMEZONE_CHOICES
from shared_apps.hospitals.policy import POLICY_FIELDS, policy_clean
from shared_apps.webhooks.models import URL_MAX_LENGTH
from tenant_apps.appointments.models import AppointmentStatus
from tenant_apps.dashboard.access import request_staff_access
from tenant_apps.doctors.models import DoctorStatus, Weekday
from tenant_apps.doctors.services import MAX_WEEKLY_ROWS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class DashboardForm(forms.Form):
    """Labels without Django's trailing colon: they read as the field's name, for people and screen readers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class HospitalSignInForm(AuthenticationForm):
    """Email and password; only this hospital's active staff can sign in here."""

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        self.request.user = user
        if request_staff_access(self.request) is None:
            raise self.get_invalid_login_error()


class PasswordResetRequestForm(DashboardForm):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class DoctorForm(DashboardForm):
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.EmailField(max_length=254, help_text="Also the doctor's sign-in email if you invite them.")
    specialization = forms.CharField(max_length=100)
    fee = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, label="Fee")
    slot_minutes = forms.IntegerField(
        min_value=5, max_value=240, initial=30, label="Slot length (minutes)", help_text="From 5 to 240 minutes."
    )


class DoctorCreateForm(DoctorForm):
    invite = forms.BooleanField(
        required=False, label="Invite to sign in", help_text="Emails the doctor a link to set a password."
    )


class DoctorEditForm(DoctorForm):
    status = forms.ChoiceField(choices=DoctorStatus.choices)


class WindowForm(DashboardForm):
    """One window to add to a date: open for booking, or blocked (leave, a break)."""

    KINDS = [("available", "Available for booking"), ("blocked", "Blocked (leave or break)")]

    date = forms.DateField(widget=DATE)
    start_time = forms.TimeField(widget=TIME, label="From")
    end_time = forms.TimeField(widget=TIME, label="To")
    kind = forms.ChoiceField(choices=KINDS, initial="available", widget=forms.RadioSelect, label="Kind")

    def window(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
            "is_available": data["kind"] == "available",
        }


class WindowRemoveForm(DashboardForm):
    window_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class WeeklyHoursRowForm(DashboardForm):
    """One row of the weekly-hours editor. A row left wholly blank is no row at all (it is not saved)."""

    FIELDS = ("weekday", "start_time", "end_time", "valid_from", "valid_until")

    weekday = forms.TypedChoiceField(
        choices=[("", "Choose a day"), *Weekday.choices], coerce=int, empty_value=None, label="Day"
    )
    start_time = forms.TimeField(widget=TIME, label="From")
    end_time = forms.TimeField(widget=TIME, label="To")
    valid_from = forms.DateField(required=False, widget=DATE, label="Valid from")
    valid_until = forms.DateField(required=False, widget=DATE, label="Valid until")

    def has_changed(self) -> bool:
        # Whether anything is typed in the row's own fields ("Remove" alone does not make a blank row a row).
        return any(self[name].value() not in (None, "") for name in self.FIELDS)

    def row(self) -> dict:
        """The row as schedule_set takes it (valid_from None: the service's default, the hospital's today)."""
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class BaseWeeklyHoursFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        # Every row may be left blank, the saved ones too (clearing a row and ticking "Remove" are both fine).
        return {**super().get_form_kwargs(index), "empty_permitted": True, "use_required_attribute": False}


def weekly_hours_formset(data=None, *, initial=None, extra: int = 0):
    """The editor's rows: the saved ones (`initial`) plus `extra` blank ones; "Remove" is the formset's DELETE."""
    formset_class = forms.formset_factory(
        WeeklyHoursRowForm,
        formset=BaseWeeklyHoursFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_WEEKLY_ROWS,
        absolute_max=MAX_WEEKLY_ROWS + 10,  # a few over, so that the service's "at most" message is the one shown
    )
    formset = formset_class(data, initial=initial, prefix="hours", form_kwargs={"label_suffix": ""})
    for form in formset:
        form.fields["DELETE"].label = "Remove"
    return formset


class TimeOffForm(DashboardForm):
    """Time off: whole days from a date to a date, or only a time range of each of those days."""

    start_date = forms.DateField(widget=DATE, label="First day")
    end_date = forms.DateField(widget=DATE, label="Last day")
    start_time = forms.TimeField(
        required=False, widget=TIME, label="From (optional)", help_text="Leave both times empty for whole days."
    )
    end_time = forms.TimeField(required=False, widget=TIME, label="To (optional)")
    reason = forms.CharField(max_length=200, required=False, label="Reason (optional)")
    cancel_appointments = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def time_off(self) -> dict:
        """The keyword arguments for time_off_add."""
        return dict(self.cleaned_data)


class AppointmentFilterForm(DashboardForm):
    date_from = forms.DateField(required=False, widget=DATE, label="From")
    date_to = forms.DateField(required=False, widget=DATE, label="To")
    doctor = forms.ChoiceField(required=False, choices=())
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *AppointmentStatus.choices])

    def __init__(self, *args, doctors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].choices = [("", "All doctors")] + [(str(d.pk), d.name) for d in doctors]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "Must not be before the start date.")
        return data


class CancelForm(DashboardForm):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason for cancelling",
        help_text="Recorded with the appointment.",
    )


class HospitalProfileForm(DashboardForm):
    PROFILE_FIELDS = ("name", "address", "phone_number", "city", "timezone", "brand_color")

    name = forms.CharField(max_length=200, label="Hospital name")
    logo = forms.FileField(
        required=False,
        label="Upload a logo",
        help_text="PNG, JPEG or WebP, at most 2 MB and 4096×4096 pixels.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    address = forms.CharField(max_length=500)
    phone_number = PhoneNumberField(
        max_length=32, widget=forms.TextInput, help_text="With the country code, e.g. +14155550123."
    )
    city = forms.CharField(max_length=100)
    timezone = forms.ChoiceField(
        choices=TIMEZONE_CHOICES,
        label="Time zone",
        help_text="Change it only to correct a wrong zone: opening hours keep their clock times, booked "
        "appointments keep their moment in time.",
    )
    brand_color = forms.CharField(
        max_length=7,
        required=False,
        label="Brand colour",
        help_text="A hex colour such as #1a6fb0, used for the header line, navigation and buttons. Empty: the default.",
    )

    min_booking_notice_minutes = forms.IntegerField(
        label="Booking notice (minutes)",
        help_text="Patients can book a slot only if it starts at least this long from now. 0 to 10080 (7 days).",
    )
    cancellation_notice_hours = forms.IntegerField(
        label="Cancellation notice (hours)",
        help_text="Patients can cancel or reschedule online until this many hours before the start; staff always "
        "can. 0 to 168 (7 days).",
    )
    booking_horizon_days = forms.IntegerField(
        label="Booking horizon (days)", help_text="How far ahead patients can book. 1 to 365 days."
    )
    reminder_offsets_minutes = forms.CharField(
        required=False,
        label="Reminders (minutes before the start)",
        help_text="Up to 5 different values separated by commas, each from 5 to 20160 (14 days), e.g. 1440, 120. "
        "Empty: no reminders.",
    )
    no_show_limit = forms.IntegerField(
        label="No-show limit",
        help_text="A patient with this many no-shows in the last 90 days must call the hospital to book. 1 to 100.",
    )

    @staticmethod
    def initial_for(hospital) -> dict:
        initial = {name: getattr(hospital, name) for name in (*HospitalProfileForm.PROFILE_FIELDS, *POLICY_FIELDS)}
        initial["reminder_offsets_minutes"] = ", ".join(str(m) for m in hospital.reminder_offsets_minutes)
        return initial

    def clean_reminder_offsets_minutes(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["reminder_offsets_minutes"].split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError("Enter whole numbers of minutes separated by commas.")
        return [int(part) for part in parts]

    def clean(self):
        data = super().clean()
        try:  # the policy's rules live in one place, shared with the service that saves it
            policy_clean(self.policy(data))
        except forms.ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name, messages)
        return data

    @staticmethod
    def policy(data: dict) -> dict:
        """The keyword arguments for hospital_update_policy (the fields that passed their own checks)."""
        return {name: data[name] for name in POLICY_FIELDS if name in data}

    def changes(self) -> dict:
        """The keyword arguments for hospital_update_profile."""
        data = self.cleaned_data
        changes = {name: data[name] for name in self.PROFILE_FIELDS}
        if data.get("logo"):
            changes["logo"] = data["logo"]
        elif data.get("remove_logo"):
            changes["logo"] = None
        return changes


def add_service_error(form: forms.Form, exc: Exception) -> int:
    """Show a service's ValidationError or ApplicationError on `form`; returns the HTTP status to answer with.

    NotFound is not a form error: it is re-raised for the view to answer 404.
    """
    if isinstance(exc, NotFound):
        raise exc
    if isinstance(exc, ApplicationError):
        fields = [name for name in exc.fields if name in form.fields]
        form.add_error(fields[0] if fields else None, exc.message)
        return exc.status
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
    return 400


class WebhookForm(DashboardForm):
    """A webhook endpoint: its URL and the appointment events it receives (the rules are endpoint_create's)."""

    url = forms.URLField(
        max_length=URL_MAX_LENGTH,
        label="Endpoint URL",
        assume_scheme="https",
        help_text="An https:// address of your own system that answers 2xx within a few seconds.",
    )
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in APPOINTMENT_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        label="Events",
        initial=list(APPOINTMENT_EVENTS),
    )
    # One value per rendered form: the view knows a form sent twice (a refresh after adding) and adds nothing more.
    submission = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=lambda: secrets.token_urlsafe(16)
    )

    def clean_submission(self):  # a form posted without one (a script) is its own submission
        return self.cleaned_data["submission"] or secrets.token_urlsafe(16)
