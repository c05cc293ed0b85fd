"""JWTs with role and hospital claims for the client UI. Authorization never trusts them: it reads the database."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.tokens import RefreshToken

from shared_apps.accounts.models import User
from shared_apps.accounts.selectors import hospital_id_for


def tokens_for(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    refresh["role"] = user.role
    refresh["hospital_id"] = hospital_id_for(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class SetPasswordTokenGenerator(PasswordResetTokenGenerator):
    """Single-use: the token hashes the password (and last login), so setting a password spends it.

    Expiry is PASSWORD_RESET_TIMEOUT (PASSWORD_LINK_TIMEOUT_SECONDS).
    """

    key_salt = "rhms.accounts.SetPasswordTokenGenerator"


set_password_tokens = SetPasswordTokenGenerator()


def uid_for(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()
