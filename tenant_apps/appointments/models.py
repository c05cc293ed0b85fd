import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from shared_apps.directory.models import CancelledBy


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# A waitlist offer's hold (tenant_apps/waitlist): a row that takes its slot in the exclusion constraints, so nobody
# else can book it, but is not an appointment anywhere else (lists, counts, the API's status enum). Accepting the
# offer turns it into a booked appointment in place.
HELD = "held"
STORED_STATUSES = [*AppointmentStatus.choices, (HELD, "Held for a waitlist offer")]
# Statuses that occupy their slot: no other booking or hold of the doctor (or of the patient) may overlap them.
OCCUPYING_SLOT = [AppointmentStatus.BOOKED.value, HELD]


class TimeRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Appointment(models.Model):
    """A booking of one slot of one doctor by one patient, in the hospital's schema."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey("doctors.Doctor", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    appointment_date = models.DateField(help_text="Hospital local date.")
    appointment_time = models.TimeField(help_text="Hospital local wall-clock time.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=STORED_STATUSES, default=AppointmentStatus.BOOKED)
    reason = models.TextField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cancellation_reason = models.TextField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True, help_text="When staff recorded the no-show.")
    # Where the appointment was before its last reschedule (null when never rescheduled): the row keeps its id.
    rescheduled_from_date = models.DateField(null=True, blank=True)
    rescheduled_from_time = models.TimeField(null=True, blank=True)
    rescheduled_from_starts_at = models.DateTimeField(null=True, blank=True)
    rescheduled_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Held rows only: when the waitlist offer lapses (the sweep then deletes the hold).
    hold_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="appointments_starts_before_ends"),
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _ in STORED_STATUSES]), name="appointments_status_valid"
            ),
            # No double booking: two booked (or held) appointments of one doctor never overlap in time, whatever
            # the slot length was when each was booked.
            ExclusionConstraint(
                name="appointments_doctor_no_overlap",
                expressions=[
                    (F("doctor"), RangeOperators.EQUAL),
                    (TimeRange(F("starts_at"), F("ends_at")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=OCCUPYING_SLOT),
            ),
            # A patient holds at most one booked (or held) appointment at a time in one hospital.
            ExclusionConstraint(
                name="appointments_patient_no_overlap",
                expressions=[
                    (F("patient"), RangeOperators.EQUAL),
                    (TimeRange(F("starts_at"), F("ends_at")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=OCCUPYING_SLOT),
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "starts_at"], name="appointments_doctor_start_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointments_patient_start_idx"),
            models.Index(fields=["status", "starts_at"], name="appointments_status_start_idx"),
            models.Index(fields=["appointment_date", "doctor"], name="appointments_date_doctor_idx"),
        ]

    def __str__(self):
        return f"{self.appointment_date} {self.appointment_time:%H:%M} {self.doctor_id} ({self.status})"

    @property
    def cancelled_by_party(self) -> str | None:
        """Who cancelled, as the API says it: "patient" (the patient themself), "hospital" (staff, or the system on
        the hospital's behalf), or None when not cancelled."""
        if self.status != AppointmentStatus.CANCELLED:
            return None
        return CancelledBy.PATIENT if self.cancelled_by_id == self.patient_id else CancelledBy.HOSPITAL
