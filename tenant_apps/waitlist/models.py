import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    LEFT = "left", "Left"


ACTIVE = [WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]


class WaitlistEntry(models.Model):
    """A patient waiting for a slot of one doctor between two local dates (optionally within a daily time range),
    in the hospital's schema. While offered, `hold` is the Appointment row (status "held") that keeps the slot.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey("doctors.Doctor", on_delete=models.PROTECT, related_name="waitlist_entries")
    patient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField(help_text="Hospital local date.")
    date_to = models.DateField(help_text="Hospital local date (inclusive).")
    time_from = models.TimeField(null=True, blank=True, help_text="Hospital local wall-clock time.")
    time_to = models.TimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    hold = models.OneToOneField(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entry",
        help_text="The held slot while offered; the booked appointment once accepted.",
    )
    offer_starts_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # Slots this entry declined (their starts): never offered to it again.
    declined_starts = ArrayField(models.DateTimeField(), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One active entry per patient and doctor (partial unique constraints survive schema cloning as named).
            models.UniqueConstraint(
                fields=["patient", "doctor"], condition=Q(status__in=ACTIVE), name="waitlist_one_active_per_doctor"
            ),
            models.CheckConstraint(condition=Q(date_from__lte=F("date_to")), name="waitlist_dates_ordered"),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True, time_to__isnull=True)
                | Q(time_from__isnull=False, time_to__isnull=False, time_from__lt=F("time_to")),
                name="waitlist_times_both_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=WaitlistStatus.OFFERED)
                | Q(hold__isnull=False, offer_starts_at__isnull=False, offer_expires_at__isnull=False),
                name="waitlist_offer_has_hold",
            ),
            models.CheckConstraint(condition=Q(status__in=WaitlistStatus.values), name="waitlist_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["doctor", "created_at", "id"], condition=Q(status__in=ACTIVE), name="waitlist_active_idx"
            ),
            models.Index(fields=["doctor", "date_from", "date_to"], name="waitlist_doctor_dates_idx"),
        ]

    def __str__(self):
        return f"{self.patient_id} waits for {self.doctor_id} {self.date_from}–{self.date_to} ({self.status})"
