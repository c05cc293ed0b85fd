import logging
from datetime import UTC, datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shared_apps.accounts.models import HospitalMembership, Patient, Role, User, email_key
from shared_apps.accounts.selectors import user_get_by_email
from shared_apps.accounts.tokens import set_password_tokens, uid_for, user_from_uid
from shared_apps.audit.services import audit_record
from shared_apps.common.errors import ApplicationError
from shared_apps.events import groups as event_groups
from shared_apps.events.services import streams_close_after_commit
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue

logger = logging.getLogger(__name__)


def _email_taken() -> ValidationError:
    return ValidationError({"email": ["An account with this email already exists."]})


@transaction.atomic
def patient_register(*, email: str, password: str, name: str, phone_number: str = "") -> User:
    """Create a patient account with its profile.

    Raises ValidationError (400) for a taken email (case-insensitive) or a password Django's validators refuse.
    Side effects: audit entry.
    """
    email = email_key(email)
    if user_get_by_email(email):
        raise _email_taken()
    user = User(email=email, name=name.strip(), phone_number=phone_number, role=Role.PATIENT)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race for this email
        raise _email_taken() from exc
    Patient.objects.create(user=user)
    audit_record(actor=user, action="patient.registered", entity="user", entity_id=user.pk)
    return user


@transaction.atomic
def user_update_profile(*, actor: User, name: str | None = None, phone_number: str | None = None) -> User:
    """Change one's own name or phone number. Role, email and staff flags are not editable here.

    Side effects: audit entry.
    """
    fields = []
    if name is not None:
        actor.name = name.strip()
        fields.append("name")
    if phone_number is not None:
        actor.phone_number = phone_number
        fields.append("phone_number")
    if fields:
        actor.full_clean(exclude=["password"])
        actor.save(update_fields=fields)
        audit_record(actor=actor, action="user.profile_updated", entity="user", entity_id=actor.pk)
    return actor


@transaction.atomic
def staff_user_get_or_create(*, email: str, name: str, role: str) -> User:
    """The user for a hospital admin or doctor: existing (by email) or new with an unusable password.

    Raises ApplicationError("email_in_use", 409) when the email belongs to a patient, superadmin or active staff.
    """
    email = email_key(email)
    user = user_get_by_email(email)
    if user is None:
        user = User(email=email, name=name, role=role)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        return user
    if user.role != role or user.memberships.filter(is_active=True).exists():
        raise ApplicationError(
            "email_in_use", "This email already belongs to another account.", status=409, fields={"email": [email]}
        )
    return user


def membership_create(*, user: User, hospital, role: str) -> HospitalMembership:
    membership = HospitalMembership(user=user, hospital=hospital, role=role)
    membership.full_clean()
    membership.save()
    return membership


def membership_set_active(*, user: User, hospital, active: bool) -> None:
    """Suspend or restore a staff user's membership of one hospital (e.g. when their doctor is deactivated).

    Restoring is skipped while the user holds another active membership (one hospital at a time).
    """
    memberships = HospitalMembership.objects.filter(user=user, hospital=hospital)
    if active and HospitalMembership.objects.filter(user=user, is_active=True).exclude(hospital=hospital).exists():
        return
    memberships.update(is_active=active)
    if not active:
        streams_close_after_commit(event_groups.user(user.pk))  # their staff streams read this hospital


def password_link_send(*, user: User, template: str, hospital=None) -> None:
    """Queue an email with a set-password link for `user` (invitation or reset).

    The token is generated at send time from the user id, so neither the outbox row nor the task holds it.
    """
    context = {"user_id": user.pk, "hospital_id": getattr(hospital, "pk", None)}
    notification_queue(
        channel=Channel.EMAIL, recipient=user.email, template=template, context=context, hospital=hospital
    )


def password_reset_request(*, email: str) -> None:
    """Ask the worker to email a set-password link to `email`, if an account has it (password_reset_send).

    The request does nothing else, for a known or an unknown email alike, so neither the answer nor its timing
    tells whether the account exists. Queued after commit; a broker outage drops the request (the user asks again).
    """
    transaction.on_commit(lambda: _password_reset_queue(email))


def _password_reset_queue(email: str) -> None:
    from shared_apps.accounts.tasks import password_reset_send

    try:
        password_reset_send.delay(email)
    except Exception:  # broker down: nothing to keep (no row was written); the user can ask again
        logger.warning("Could not queue a password reset", exc_info=True)


@transaction.atomic
def password_reset_send(*, email: str) -> None:
    """Email a set-password link if an active account has this email; silent otherwise (runs on the worker).

    Side effects: audit entry and notification, only when the account exists.
    """
    user = user_get_by_email(email)
    if user is None or not user.is_active:
        return
    password_link_send(user=user, template="password_reset")
    audit_record(actor=None, action="user.password_reset_requested", entity="user", entity_id=user.pk)


def password_link_user(*, uid: str, token: str) -> User | None:
    """The user a set-password link names, if its token is still valid (unused and unexpired)."""
    user = user_from_uid(uid)
    if user is None or not set_password_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def password_set(*, uid: str, token: str, password: str) -> User:
    """Set a password from a single-use link; the link stops working once used.

    Raises ApplicationError("invalid_link", 400) for a used, expired or forged link and ValidationError (400)
    for a password Django's validators refuse. Side effects: audit entry.
    """
    user = password_link_user(uid=uid, token=token)
    if user is None:
        raise ApplicationError("invalid_link", "This link is invalid or has expired. Ask for a new one.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not set_password_tokens.check_token(user, token):  # re-checked under the row lock: single use
        raise ApplicationError("invalid_link", "This link is invalid or has expired. Ask for a new one.")
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    user_sign_ins_end(user=user)
    audit_record(actor=user, action="user.password_set", entity="user", entity_id=user.pk)
    return user


def user_sign_ins_end(*, user: User) -> int:
    """End every sign-in of `user`: blacklist each unexpired refresh token and delete their dashboard sessions.

    Called in the transaction that sets their password or deactivates them, so whoever held a token or a
    session cookie before must sign in again. Access tokens are short-lived and checked against `is_active`.
    Their open event streams end after commit. Returns how many tokens and sessions were ended. Side effects: none
    besides those rows and streams (the caller audits).
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    now = timezone.now()
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    # Session data is signed, not queryable: read the unexpired ones (staff sessions, few and short-lived).
    sessions = [
        s.pk for s in Session.objects.filter(expire_date__gt=now) if s.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=sessions).delete()
    streams_close_after_commit(event_groups.user(user.pk))
    return len(revoked) + len(sessions)


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate a user (they cannot sign in; every sign-in they hold ends) or reactivate them.

    Users are never deleted. Side effects: audit entry; on deactivation, refresh tokens and sessions end.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        user_sign_ins_end(user=user)
    action = "user.reactivated" if active else "user.deactivated"
    audit_record(actor=actor, action=action, entity="user", entity_id=user.pk)
    return user


def password_link_path(user: User) -> str:
    return f"/accounts/set-password/{uid_for(user)}/{set_password_tokens.make_token(user)}/"


@transaction.atomic
def token_refresh(*, refresh: str) -> dict:
    """Rotate a refresh token: the old one is blacklisted and a new access + refresh pair returned.

    The old token's row is locked while it is spent, so of two concurrent refreshes of one token exactly one
    succeeds. Raises InvalidToken (401) for a forged, expired, blacklisted or inactive user's token.
    Side effects: audit entry.
    """
    from rest_framework_simplejwt.exceptions import InvalidToken
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken

    old = RefreshToken(refresh)  # signature, expiry and blacklist checked here
    user = User.objects.filter(pk=old.get("user_id"), is_active=True).first()
    if user is None:
        raise InvalidToken("No active account found for the given token.")
    outstanding = OutstandingToken.objects.select_for_update().filter(jti=old["jti"]).first()
    if outstanding is None:  # issued before the blacklist app knew it: record it now
        outstanding = OutstandingToken.objects.create(
            user=user, jti=old["jti"], token=refresh, expires_at=datetime.fromtimestamp(old["exp"], tz=UTC)
        )
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken("Token is blacklisted.")
    BlacklistedToken.objects.create(token=outstanding)
    audit_record(actor=user, action="auth.token_refreshed", entity="user", entity_id=user.pk)
    new = RefreshToken.for_user(user)
    for claim in ("role", "hospital_id"):
        new[claim] = old.get(claim)
    return {"access": str(new.access_token), "refresh": str(new)}
