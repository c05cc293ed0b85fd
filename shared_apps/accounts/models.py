from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField


class Role(models.TextChoices):
    SUPERADMIN = "superadmin", "Superadmin"
    HOSPITAL_ADMIN = "hospital_admin", "Hospital admin"
    DOCTOR = "doctor", "Doctor"
    PATIENT = "patient", "Patient"


def email_key(email: str) -> str:
    """The one spelling of an email used to find, register and lock an account: trimmed, lower case."""
    return email.strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        # Django's createsuperuser and tests call this; product code creates users through services.
        user = self.model(email=email_key(self.normalize_email(email)), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.SUPERADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__lower=email_key(username))


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in: email is the login. Users are deactivated, never deleted (tenant rows point here)."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    phone_number = PhoneNumberField(blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self):
        return self.email

    @property
    def is_superadmin(self) -> bool:
        return self.is_active and self.is_superuser and self.role == Role.SUPERADMIN


class Patient(models.Model):
    """Patient profile: the booking side of a user with role patient.

    Name, email and phone number live on the User (every role has them); this holds what only patients have.
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="patient")
    date_of_birth = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.user)


class MembershipRole(models.TextChoices):
    HOSPITAL_ADMIN = "hospital_admin", "Hospital admin"
    DOCTOR = "doctor", "Doctor"


class HospitalMembership(models.Model):
    """A staff user's place in one hospital: its admin, or one of its doctors."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One active hospital per staff user: the JWT's hospital claim and the dashboard depend on it.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_active=True), name="accounts_one_active_membership"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.hospital_id} ({self.role})"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got, so a retry gets the same answer (kept 24 h)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    scope = models.CharField(max_length=50)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="accounts_idempotency_unique")]
        indexes = [models.Index(fields=["created_at"], name="accounts_idempotency_created")]

    def __str__(self):
        return f"{self.user_id}:{self.scope}:{self.key}"
