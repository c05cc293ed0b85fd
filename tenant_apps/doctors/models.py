import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
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
