"""Read models in the public schema for cross-hospital reads (see docs/architecture.md, "Cross-hospital reads").

Each row mirrors one tenant row and is written in the same transaction as it, by the tenant app's services.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Upper
from django.utils import timezone

from shared_apps.hospitals.models import HospitalStatus


class DoctorStatus(models.TextChoices):
    """A doctor's status (tenant_apps.doctors.models.Doctor.status), mirrored on their directory row."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


def hospital_is_open(hospital) -> bool:
    """Whether a hospital's doctors are shown to patients and bookable: approved and active."""
    return hospital.status == HospitalStatus.APPROVED and hospital.is_active


def doctor_is_listed(*, status: str, hospital) -> bool:
    """The one "is this doctor listed" rule: an active doctor of an open hospital (DoctorEntry.listed)."""
    return status == DoctorStatus.ACTIVE and hospital_is_open(hospital)


class DoctorEntry(models.Model):
    doctor_id = models.UUIDField(primary_key=True)
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.PROTECT, related_name="doctor_entries")
    name = models.CharField(max_length=150)
    specialization = models.CharField(max_length=100)
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    slot_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    # Shown to patients: the doctor is active and the hospital approved and active. Kept by the services that
    # change any of the three, so the directory query needs no join to filter.
    listed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Free-slot facts (see DoctorDay and tenant_apps/doctors/services/facts.py): the first free slot within the
    # hospital's horizon, null when none; `facts_until` the last date the facts cover; `facts_refresh_at` when they
    # go stale by themselves (the first free slot leaves the booking notice, or the horizon grows at local
    # midnight), which the periodic refresh reads by index.
    next_available_date = models.DateField(null=True, blank=True)
    next_available_time = models.TimeField(null=True, blank=True)
    next_available_at = models.DateTimeField(null=True, blank=True)
    facts_until = models.DateField(null=True, blank=True)
    facts_refresh_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index("next_available_at", "doctor_id", condition=Q(listed=True), name="dir_doctor_listed_next_idx"),
            models.Index("fee", "doctor_id", condition=Q(listed=True), name="dir_doctor_listed_fee_idx"),
            models.Index(
                fields=["facts_refresh_at"], condition=Q(facts_refresh_at__isnull=False), name="dir_doctor_refresh_idx"
            ),
            models.Index(
                Upper("specialization"),
                "name",
                "doctor_id",
                condition=Q(listed=True),
                name="dir_doctor_listed_spec_idx",
            ),
            models.Index(
                Upper("city"), "name", "doctor_id", condition=Q(listed=True), name="dir_doctor_listed_city_idx"
            ),
            models.Index("hospital", "name", "doctor_id", condition=Q(listed=True), name="dir_doctor_listed_hosp_idx"),
            models.Index("name", "doctor_id", condition=Q(listed=True), name="dir_doctor_listed_name_idx"),
            models.Index(fields=["hospital"], name="dir_doctor_hospital_idx"),
            # The search by availability (?specialization=&city=&ordering=next_available): its doctors already in
            # page order, no bitmap and no sort (20,000 doctors: 9.4 → 4.0 ms).
            models.Index(
                Upper("specialization"),
                Upper("city"),
                "next_available_at",
                "doctor_id",
                condition=Q(listed=True),
                name="dir_doctor_spec_city_next_idx",
            ),
            # `q` filters with icontains, which PostgreSQL compiles to UPPER(col) LIKE UPPER('%…%').
            GinIndex(
                OpClass(Upper("name"), name="gin_trgm_ops"), condition=Q(listed=True), name="dir_doctor_name_upper_trgm"
            ),
            GinIndex(
                OpClass(Upper("specialization"), name="gin_trgm_ops"),
                condition=Q(listed=True),
                name="dir_doctor_spec_upper_trgm",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.specialization})"


class DoctorDay(models.Model):
    """A free-slot fact: one doctor has `free_slots` (> 0) bookable slots on one local date, the first at
    `first_free_at`. Only dates with a free slot, from the hospital's today to its horizon, have a row; written in
    the transaction of every change that moves them (tenant_apps/doctors/services/facts.py).
    """

    # No index on the doctor alone: the unique (doctor, date) index serves every lookup by doctor (the search's
    # EXISTS probe, the facts' writes). With both, the planner was seen probing the one-column index and filtering
    # the date out of every doctor's ~65 rows. (date, doctor) serves ?available_on= without other filters: the
    # doctors free that day, read from the index alone instead of a sequential scan of every doctor's days.
    doctor = models.ForeignKey(DoctorEntry, on_delete=models.CASCADE, related_name="days", db_index=False)
    date = models.DateField()
    free_slots = models.PositiveIntegerField()
    first_free_time = models.TimeField()
    first_free_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doctor", "date"], name="dir_doctor_day_once"),
            models.CheckConstraint(condition=Q(free_slots__gt=0), name="dir_doctor_day_has_free_slots"),
        ]
        indexes = [models.Index(fields=["date", "doctor"], name="dir_doctor_day_date_idx")]

    def __str__(self):
        return f"{self.doctor_id} {self.date}: {self.free_slots} free"


class CancelledBy(models.TextChoices):
    """Who cancelled an appointment, as appointment responses carry it (`cancelled_by`)."""

    PATIENT = "patient", "Patient"
    HOSPITAL = "hospital", "Hospital"


class TimeRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


BOOKING_PATIENT_NO_OVERLAP = "directory_booking_patient_no_overlap"


class BookingEntry(models.Model):
    """One row per appointment, for the patient's list across hospitals (one query, no loop over schemas).

    Also the one place that sees a patient's bookings in every hospital, so it holds the rule "one patient, one
    place at a time" (BOOKING_PATIENT_NO_OVERLAP).
    """

    appointment_id = models.UUIDField(primary_key=True)
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(DoctorEntry, on_delete=models.PROTECT, related_name="+", db_constraint=True)
    patient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    appointment_date = models.DateField()
    appointment_time = models.TimeField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10)
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two booked appointments of one patient never overlap, in any two hospitals: the tenant schemas cannot
            # see each other, the directory sees them all. Half-open ranges: back-to-back bookings are fine.
            ExclusionConstraint(
                name=BOOKING_PATIENT_NO_OVERLAP,
                expressions=[
                    (F("patient"), RangeOperators.EQUAL),
                    (TimeRange(F("starts_at"), F("ends_at")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="booked"),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "starts_at", "appointment_id"], name="dir_booking_patient_idx"),
            # Delta sync (?updated_since=): the patient's rows changed after an instant, in the order they changed.
            models.Index(fields=["patient", "updated_at", "appointment_id"], name="dir_booking_updated_idx"),
        ]

    def __str__(self):
        return f"{self.appointment_id} ({self.status})"


class Reminder(models.Model):
    """One armed reminder: the message for one offset of the hospital's `reminder_offsets_minutes` before one
    booked appointment. Armed at booking, disarmed (deleted) at cancellation, completion, no-show and reschedule
    (then armed again for the new time); see shared_apps/directory/reminders.py.

    `queued_at` is the claim: set by a conditional update in the transaction that writes the reminder's outbox
    rows, so a reminder is queued at most once whoever runs the job and however often.
    """

    booking = models.ForeignKey(
        BookingEntry, on_delete=models.CASCADE, related_name="reminders", db_column="appointment_id"
    )
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.PROTECT, related_name="+")
    offset_minutes = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    # Why a claimed reminder queued no message (e.g. "superseded" by a later offset also due); blank if it did.
    skipped = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "offset_minutes"], name="dir_reminder_once_per_offset"),
        ]
        indexes = [
            # The periodic job's one query: unclaimed reminders by due time. Claimed rows leave the index.
            models.Index(fields=["due_at"], condition=Q(queued_at__isnull=True), name="dir_reminder_due_idx"),
        ]

    def __str__(self):
        return f"{self.booking_id} −{self.offset_minutes} min at {self.due_at:%Y-%m-%d %H:%M}"


class WaitlistListing(models.Model):
    """One row per waitlist entry (tenant_apps.waitlist), for the patient's list across hospitals and for the
    sweep that finds the doctors with someone waiting (one query each, no loop over schemas)."""

    entry_id = models.UUIDField(primary_key=True)
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(DoctorEntry, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField()
    date_to = models.DateField()
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    status = models.CharField(max_length=10)
    offer_date = models.DateField(null=True, blank=True)
    offer_time = models.TimeField(null=True, blank=True)
    offer_starts_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "created_at", "entry_id"], name="dir_waitlist_patient_idx"),
            models.Index(
                fields=["hospital", "doctor"],
                condition=Q(status__in=["waiting", "offered"]),
                name="dir_waitlist_active_idx",
            ),
        ]

    def __str__(self):
        return f"{self.entry_id} ({self.status})"
