import zoneinfo

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

    objects = HospitalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("registration_number"), name="hospitals_regno_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="hospitals_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(status__in=HospitalStatus.values), name="hospitals_status_valid"),
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
