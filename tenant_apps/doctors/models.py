import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower
from django.utils import timezone

from shared_apps.directory.models import DoctorStatus  # one enum for the doctor and its directory row


class LocalTimestamp(Func):
    """date + time → timestamp without time zone (IMMUTABLE, so it can sit in a constraint's index)."""

    template = "(%(expressions)s)"
    arg_joiner = " + "
    output_field = models.DateTimeField()


class LocalRange(Func):
    function = "TSRANGE"
    output_field = DateTimeRangeField()


class TimeOfDayRange(Func):
    """A time-of-day range as a TSRANGE on one fixed date (PostgreSQL has no time range type)."""

    template = "TSRANGE(DATE '2000-01-01' + %(expressions)s)"
    arg_joiner = ", DATE '2000-01-01' + "
    output_field = DateTimeRangeField()


class ValidityRange(Func):
    """[valid_from, valid_until], open-ended when valid_until is NULL."""

    template = "DATERANGE(%(expressions)s, '[]')"
    output_field = DateRangeField()


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Doctor(models.Model):
    """A doctor of this hospital. Deactivated, never deleted once booked (appointments point here)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    specialization = models.CharField(max_length=100)
    fee = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    status = models.CharField(max_length=10, choices=DoctorStatus.choices, default=DoctorStatus.ACTIVE)
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="doctor_profiles"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="doctors_doctor_email_ci_unique"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="doctors_doctor_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="doctors_doctor_slot_minutes_range"
            ),
            models.CheckConstraint(condition=Q(status__in=DoctorStatus.values), name="doctors_doctor_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "name"], name="doctors_status_name_idx")]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == DoctorStatus.ACTIVE


class DoctorAvailability(models.Model):
    """A window of one date, in the hospital's local wall-clock time: open for booking, or blocked (leave)."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="availability")
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    is_available = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="doctors_window_start_before_end"),
            ExclusionConstraint(
                name="doctors_window_no_overlap",
                expressions=[
                    (F("doctor"), RangeOperators.EQUAL),
                    (F("is_available"), RangeOperators.EQUAL),
                    (
                        LocalRange(
                            LocalTimestamp(F("date"), F("start_time")), LocalTimestamp(F("date"), F("end_time"))
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]
        indexes = [models.Index(fields=["doctor", "date"], name="doctors_window_doctor_date_idx")]

    def __str__(self):
        return f"{self.doctor_id} {self.date} {self.start_time}-{self.end_time}"


class WeeklyHours(models.Model):
    """A doctor's normal hours on one weekday, in the hospital's wall-clock time, effective over a date range
    (`valid_until` NULL: until further notice). Dated available windows replace a date's weekly hours.
    """

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["weekday", "start_time", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="doctors_weekly_weekday_valid"),
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="doctors_weekly_start_before_end"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="doctors_weekly_valid_range",
            ),
            ExclusionConstraint(
                name="doctors_weekly_no_overlap",
                expressions=[
                    (F("doctor"), RangeOperators.EQUAL),
                    (F("weekday"), RangeOperators.EQUAL),
                    (ValidityRange(F("valid_from"), F("valid_until")), RangeOperators.OVERLAPS),
                    (TimeOfDayRange(F("start_time"), F("end_time")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.doctor_id} {self.get_weekday_display()} {self.start_time}-{self.end_time}"


class TimeOff(models.Model):
    """Leave, training or a holiday: every day of a local date range, or only a time range of each of those days."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start_date", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="doctors_time_off_date_order"),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(start_time__isnull=False, end_time__isnull=False, start_time__lt=F("end_time")),
                name="doctors_time_off_time_range",
            ),
        ]
        indexes = [models.Index(fields=["doctor", "end_date"], name="doctors_timeoff_doctor_end_idx")]

    def __str__(self):
        return f"{self.doctor_id} {self.start_date}..{self.end_date}"

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None
