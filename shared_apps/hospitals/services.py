import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from shared_apps.accounts.models import MembershipRole, Role, User
from shared_apps.accounts.services import membership_create, password_link_send, staff_user_get_or_create
from shared_apps.audit.services import audit_record
from shared_apps.common.errors import Conflict
from shared_apps.directory.cache import catalog_changed
from shared_apps.directory.models import DoctorEntry
from shared_apps.directory.reminders import reminders_rearm_hospital
from shared_apps.directory.services import doctor_entries_relist
from shared_apps.events import groups as event_groups
from shared_apps.events.services import streams_close_after_commit
from shared_apps.hospitals.logos import logo_clean
from shared_apps.hospitals.models import DNS_LABEL, PUBLIC_SCHEMA, Domain, Hospital, HospitalStatus
from shared_apps.hospitals.policy import policy_clean
from shared_apps.hospitals.tenancy import provision_schema
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue

logger = logging.getLogger(__name__)
RESERVED_SUBDOMAINS = frozenset(
    [
        "www",
        "api",
        "admin",
        "public",
        "static",
        "media",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "app",
        "apps",
        "dashboard",
        "docs",
        "help",
        "support",
        "status",
        "blog",
        "dev",
        "test",
        "staging",
        "platform",
        "rhms",
        "auth",
        "login",
        "account",
        "accounts",
        "billing",
        "cdn",
        "assets",
        "ns",
        "ns1",
        "ns2",
        "template",
        "tenant-template",
    ]
)

# Unique constraints on hospitals → the registration field a clash on each one is about.
CLASHING_FIELDS = {
    "hospitals_regno_ci_unique": "registration_number",
    "hospitals_email_ci_unique": "email",
    "hospitals_hospital_slug_key": "subdomain",
    "hospitals_hospital_schema_name_key": "subdomain",  # follows the slug one-to-one
}
CLASH_MESSAGES = {
    "registration_number": "A hospital with this registration number is already registered.",
    "email": "A hospital with this email is already registered.",
    "subdomain": "This subdomain is taken.",
}


@transaction.atomic
def platform_ensure() -> Hospital:
    """Create (once) the public tenant row and its domain for BASE_DOMAIN. Idempotent."""
    platform, _ = Hospital.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA,
        defaults={
            "name": "RHMS platform",
            "slug": "platform",
            "registration_number": "platform",
            "email": f"platform@{settings.BASE_DOMAIN}",
            "address": "-",
            "phone_number": "-",
            "city": "-",
            "status": HospitalStatus.APPROVED,
        },
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": platform, "is_primary": True})
    return platform


def _subdomain_errors(subdomain: str) -> list[str]:
    try:
        DNS_LABEL(subdomain)
    except ValidationError as exc:
        return exc.messages
    if subdomain in RESERVED_SUBDOMAINS:
        return ["This subdomain is reserved."]
    if Hospital.objects.filter(slug=subdomain).exists():
        return [CLASH_MESSAGES["subdomain"]]
    return []


def _derive_subdomain(name: str) -> str:
    """A free DNS label from the hospital's name: "Sq_uat" → "sq-uat" (or "sq-uat-2" when that is taken)."""
    # slugify keeps "_", which no host name may hold: every run of other characters becomes one hyphen.
    base = re.sub(r"[^a-z0-9]+", "-", slugify(name))[:40].strip("-") or "hospital"
    if base in RESERVED_SUBDOMAINS:
        base = f"{base}-hospital"
    candidate, n = base, 1
    while Hospital.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _uniqueness_errors(*, registration_number: str, email: str) -> dict[str, list[str]]:
    errors = {}
    if Hospital.objects.filter(registration_number__lower=registration_number.lower()).exists():
        errors["registration_number"] = [CLASH_MESSAGES["registration_number"]]
    if Hospital.objects.filter(email__lower=email.lower()).exists():
        errors["email"] = [CLASH_MESSAGES["email"]]
    return errors


@transaction.atomic
def hospital_register(
    *,
    actor: User | None,
    name: str,
    registration_number: str,
    email: str,
    address: str,
    phone_number: str,
    city: str,
    timezone: str = "UTC",  # the field's name, as the API and form send it
    subdomain: str | None = None,
    logo=None,
) -> Hospital:
    """Record a hospital's application as pending. No schema is created until a superadmin approves it.

    Raises ValidationError (400) for a bad, reserved or taken subdomain, a taken registration number or email
    (case-insensitive), or a logo that is not a valid PNG/JPEG/WebP within the limits.
    Side effects: audit entry; acknowledgement to the applicant and a notice to superadmins, after commit.
    """
    email = email.strip().lower()
    registration_number = registration_number.strip()
    errors = _uniqueness_errors(registration_number=registration_number, email=email)
    if subdomain:
        subdomain = subdomain.strip().lower()
        if messages := _subdomain_errors(subdomain):
            errors["subdomain"] = messages
    if logo is not None:
        try:
            logo = logo_clean(logo)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)

    slug = subdomain or _derive_subdomain(name)
    hospital = Hospital(
        name=name.strip(),
        slug=slug,
        schema_name=Hospital.schema_name_for(slug),
        registration_number=registration_number,
        email=email,
        address=address.strip(),
        phone_number=phone_number,
        city=city.strip(),
        timezone=timezone,
        status=HospitalStatus.PENDING,
    )
    hospital.full_clean(exclude=["logo", "schema_name"])
    if logo is not None:
        hospital.logo.save(logo.name, logo, save=False)
    try:
        with transaction.atomic():
            hospital.save()
    except IntegrityError as exc:  # a concurrent registration took the same number, email or subdomain
        raise _clash_error(exc) from exc
    except ValidationError as exc:  # django-tenants' own last look: the schema name (the subdomain's) is taken
        raise ValidationError({"subdomain": [CLASH_MESSAGES["subdomain"]]}) from exc

    audit_record(actor=actor, action="hospital.registered", entity="hospital", entity_id=hospital.pk, hospital=hospital)
    _queue_email(hospital, hospital.email, "hospital_registered")
    for superadmin_email in User.objects.filter(role=Role.SUPERADMIN, is_active=True).values_list("email", flat=True):
        _queue_email(hospital, superadmin_email, "hospital_pending_review")
    return hospital


def _clash_error(exc: IntegrityError) -> ValidationError:
    """The 400 for a registration that lost a race: on the field whose unique constraint refused it."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    field = CLASHING_FIELDS.get(constraint)
    if field is None:
        raise exc  # not a clash this service knows: a bug, not the applicant's fault
    return ValidationError({field: [CLASH_MESSAGES[field]]})


def _queue_email(hospital: Hospital, recipient: str, template: str) -> None:
    notification_queue(
        channel=Channel.EMAIL,
        recipient=recipient,
        template=template,
        context={"hospital_id": hospital.pk},
        hospital=hospital,
    )


def _lock_pending(hospital: Hospital) -> Hospital:
    hospital = Hospital.objects.select_for_update().get(pk=hospital.pk)
    if hospital.status != HospitalStatus.PENDING:
        raise Conflict("invalid_state", f"This hospital is already {hospital.status}; only a pending one can change.")
    return hospital


@transaction.atomic
def hospital_approve(*, actor: User, hospital: Hospital) -> Hospital:
    """Approve a pending hospital: provision its schema, domain and admin account, and invite the admin.

    Runs under a row lock in one transaction, so approving twice provisions once and a failure at any step leaves
    the hospital pending with no schema, domain or user behind.
    Raises Conflict("invalid_state", 409) unless pending; Conflict("email_in_use", 409) when the hospital's email
    belongs to another kind of account; TemplateOutdated (503) when migrations are pending on the template.
    Side effects: audit entry; set-password invitation to the admin and a schema pool refill, after commit.
    """
    hospital = _lock_pending(hospital)
    provision_schema(hospital)
    Domain.objects.create(domain=f"{hospital.slug}.{settings.BASE_DOMAIN}", tenant=hospital, is_primary=True)
    admin = staff_user_get_or_create(email=hospital.email, name=f"{hospital.name} admin", role=Role.HOSPITAL_ADMIN)
    membership_create(user=admin, hospital=hospital, role=MembershipRole.HOSPITAL_ADMIN)
    hospital.status = HospitalStatus.APPROVED
    hospital.decided_at = timezone.now()
    hospital.decided_by = actor
    hospital.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(actor=actor, action="hospital.approved", entity="hospital", entity_id=hospital.pk, hospital=hospital)
    catalog_changed()
    password_link_send(user=admin, template="hospital_approved", hospital=hospital)
    transaction.on_commit(_refill_schema_pool)
    return hospital


def _refill_schema_pool() -> None:
    from shared_apps.hospitals.tasks import schema_pool_refill

    try:
        schema_pool_refill.delay()
    except Exception:  # broker down: the next approval or `fill_schema_pool` refills it
        logger.warning("Could not queue the schema pool refill", exc_info=True)


@transaction.atomic
def hospital_reject(*, actor: User, hospital: Hospital, reason: str) -> Hospital:
    """Reject a pending hospital with a reason that is emailed to the applicant.

    Raises Conflict("invalid_state", 409) unless pending. Side effects: audit entry; email after commit.
    """
    hospital = _lock_pending(hospital)
    hospital.status = HospitalStatus.REJECTED
    hospital.rejection_reason = reason.strip()
    hospital.decided_at = timezone.now()
    hospital.decided_by = actor
    hospital.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    audit_record(actor=actor, action="hospital.rejected", entity="hospital", entity_id=hospital.pk, hospital=hospital)
    _queue_email(hospital, hospital.email, "hospital_rejected")
    return hospital


@transaction.atomic
def hospital_set_active(*, actor: User, hospital: Hospital, active: bool) -> Hospital:
    """Deactivate a hospital (its subdomain, listing and doctors disappear for patients) or reactivate it.

    Hospitals are never deleted. Side effects: audit entry; catalogue cache invalidated after commit.
    """
    hospital = Hospital.objects.select_for_update().get(pk=hospital.pk)
    if hospital.is_active == active:
        return hospital
    hospital.is_active = active
    hospital.save(update_fields=["is_active"])
    if not active:
        streams_close_after_commit(event_groups.staff(hospital.pk))
    doctor_entries_relist(hospital=hospital)
    action = "hospital.reactivated" if active else "hospital.deactivated"
    audit_record(actor=actor, action=action, entity="hospital", entity_id=hospital.pk, hospital=hospital)
    catalog_changed()
    return hospital


PROFILE_FIELDS = ("name", "address", "phone_number", "city", "timezone", "brand_color")


@transaction.atomic
def hospital_update_profile(*, actor: User, hospital: Hospital, **changes) -> Hospital:
    """Change a hospital's profile and branding: name, address, phone number, city, time zone, brand colour, logo.

    `logo` is an upload, validated and re-encoded exactly as at registration (logo_clean); `logo=None` removes it.
    Other keys are ignored. Raises ValidationError (400) for invalid values or a refused logo, with nothing saved.
    Side effects: the directory's copy of the city follows; audit entry; cached public lists refresh after commit.
    Replaced logo files are kept: emails already sent link to them.
    """
    hospital = Hospital.objects.select_for_update().get(pk=hospital.pk)
    changed = []
    for field in PROFILE_FIELDS:
        if field not in changes:
            continue
        value = changes[field].strip() if isinstance(changes[field], str) else changes[field]
        if getattr(hospital, field) != value:
            setattr(hospital, field, value)
            changed.append(field)
    errors: dict[str, list[str]] = {}
    logo = None
    if changes.get("logo") is not None:
        try:
            logo = logo_clean(changes["logo"])
        except ValidationError as exc:
            errors["logo"] = exc.messages
    try:
        hospital.full_clean(exclude=["logo", "schema_name"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)

    if logo is not None:
        hospital.logo.save(logo.name, logo, save=False)
        changed.append("logo")
    elif "logo" in changes and changes["logo"] is None and hospital.logo:
        hospital.logo = ""
        changed.append("logo")
    if not changed:
        return hospital
    hospital.save(update_fields=changed)
    if "city" in changed:
        DoctorEntry.objects.filter(hospital=hospital).update(city=hospital.city, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="hospital.profile_updated",
        entity="hospital",
        entity_id=hospital.pk,
        hospital=hospital,
        metadata={"fields": sorted(changed)},
    )
    catalog_changed()
    return hospital


@transaction.atomic
def hospital_update_policy(*, actor: User, hospital: Hospital, **policy) -> Hospital:
    """Change a hospital's booking policy (any of POLICY_FIELDS), validated by policy_clean.

    Raises ValidationError (400) keyed by field, with nothing saved. Reminder offsets are stored largest first.
    Side effects: audit entry `hospital.policy_updated` with the old and new values of what changed; cached free
    slots are the caller's (tenant_apps.doctors.services.facts.hospital_policy_change); new reminder offsets
    are applied to upcoming bookings (reminders_rearm_hospital). Booked
    appointments keep their times; the new policy applies to what patients do from now on.
    """
    cleaned = policy_clean(policy)
    hospital = Hospital.objects.select_for_update().get(pk=hospital.pk)
    changes = {field: value for field, value in cleaned.items() if getattr(hospital, field) != value}
    if not changes:
        return hospital
    before = {field: getattr(hospital, field) for field in changes}
    for field, value in changes.items():
        setattr(hospital, field, value)
    hospital.full_clean(exclude=["logo", "schema_name"])
    hospital.save(update_fields=sorted(changes))
    audit_record(
        actor=actor,
        action="hospital.policy_updated",
        entity="hospital",
        entity_id=hospital.pk,
        hospital=hospital,
        metadata={field: f"{before[field]} → {changes[field]}" for field in sorted(changes)},
    )
    if "reminder_offsets_minutes" in changes:
        reminders_rearm_hospital(hospital=hospital)
    return hospital
