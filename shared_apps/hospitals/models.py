import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone
from django_tenants.models import DomainMixin, TenantMixin
from phonenumber_field.modelfields import PhoneNumberField

PUBLIC_SCHEMA = "public"
# A hospital's subdomain is a DNS label: lowercase letters, digits and inner hyphens (no "_", which is no host
# name and would map to the same schema as "-"). 50 characters keep "h_<slug>" within PostgreSQL's 63.
SLUG_MAX_LENGTH = 50
DNS_LABEL = RegexValidator(
    rf"^[a-z0-9](?:[a-z0-9-]{{0,{SLUG_MAX_LENGTH - 2}}}[a-z0-9])?$",
    f"Use 1–{SLUG_MAX_LENGTH} lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
    code="invalid_subdomain",
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Not a known IANA time zone.", code="invalid_timezone")


def default_booking_horizon_days() -> int:
    """A new hospital's horizon: the BOOKING_HORIZON_DAYS setting."""
    return settings.BOOKING_HORIZON_DAYS


def default_reminder_offsets() -> list[int]:
    return [1440, 120]


# The bounds of a hospital's policy; the database checks them, the forms and the API explain them.
POLICY_MAX_NOTICE_MINUTES = 7 * 24 * 60
POLICY_MAX_CANCELLATION_HOURS = 7 * 24
POLICY_HORIZON_DAYS = (1, 365)
POLICY_REMINDER_MINUTES = (5, 14 * 24 * 60)
POLICY_MAX_REMINDERS = 5


class HospitalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class HospitalQuerySet(models.QuerySet):
    def hospitals(self):
        """Real hospitals: everything but the platform's own public tenant row."""
        return self.exclude(schema_name=PUBLIC_SCHEMA)

    def approved(self):
        return self.hospitals().filter(status=HospitalStatus.APPROVED, is_active=True)


class Hospital(TenantMixin):
    """A hospital (tenant). Its schema exists only once it is approved; it is deactivated, never deleted."""

    auto_create_schema = False
    auto_drop_schema = False

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, validators=[DNS_LABEL])
    registration_number = models.CharField(max_length=64)
    email = models.EmailField(max_length=254)
    logo = models.ImageField(upload_to="logos/", blank=True)
    address = models.CharField(max_length=500)
    phone_number = PhoneNumberField()
    city = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    brand_color = models.CharField(
        max_length=7, blank=True, validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1a6fb0.")]
    )
    status = models.CharField(max_length=10, choices=HospitalStatus.choices, default=HospitalStatus.PENDING)
    rejection_reason = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Policy (Version 2 contract): shown to patients as `policy`, edited in the dashboard profile.
    min_booking_notice_minutes = models.PositiveIntegerField(default=60)
    cancellation_notice_hours = models.PositiveSmallIntegerField(default=4)
    booking_horizon_days = models.PositiveSmallIntegerField(default=default_booking_horizon_days)
    reminder_offsets_minutes = ArrayField(models.PositiveIntegerField(), default=default_reminder_offsets, blank=True)
    no_show_limit = models.PositiveSmallIntegerField(default=3)

    objects = HospitalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("registration_number"), name="hospitals_regno_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="hospitals_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(status__in=HospitalStatus.values), name="hospitals_status_valid"),
            models.CheckConstraint(
                condition=models.Q(min_booking_notice_minutes__lte=POLICY_MAX_NOTICE_MINUTES),
                name="hospitals_booking_notice_range",
            ),
            models.CheckConstraint(
                condition=models.Q(cancellation_notice_hours__lte=POLICY_MAX_CANCELLATION_HOURS),
                name="hospitals_cancellation_notice_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    booking_horizon_days__gte=POLICY_HORIZON_DAYS[0], booking_horizon_days__lte=POLICY_HORIZON_DAYS[1]
                ),
                name="hospitals_booking_horizon_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_offsets_minutes__len__lte=POLICY_MAX_REMINDERS),
                name="hospitals_reminder_offsets_count",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="hospitals_status_name_idx"),
            models.Index(fields=["status", "city"], name="hospitals_status_city_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @staticmethod
    def schema_name_for(slug: str) -> str:
        # Slugs hold [a-z0-9-] only, so this mapping is one-to-one.
        return "h_" + slug.replace("-", "_")


class Domain(DomainMixin):
    pass


class PooledSchema(models.Model):
    """A hospital schema cloned ahead of time, waiting to be claimed by an approval (renamed to the hospital's).

    Cloning slows as the catalog grows; renaming does not. `migrate_schemas` migrates pooled schemas too.
    """

    name = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.name


class TemplateSnapshot(models.Model):
    """The template schema as SQL (`pg_dump` of it, schema name replaced by a placeholder), taken once per set of
    migrations: a new hospital's schema is this SQL replayed, which costs the same at 10 or 10,000 hospitals
    (`clone_schema` reads the whole catalog on every call)."""

    migrations_key = models.CharField(max_length=64, unique=True)  # sha256 of the code's migrations
    statements = models.TextField()
    captured_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self):
        return f"template snapshot {self.migrations_key[:12]} ({self.captured_at:%Y-%m-%d %H:%M})"
