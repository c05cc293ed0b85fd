"""django-axes' view of a sign-in attempt: which account it was for.

Sign-in ignores letter case and surrounding spaces (UserManager.get_by_natural_key), so lockout must too:
otherwise `A@X.org` gets a fresh failure counter after `a@x.org` is locked.
"""

from django.conf import settings

from shared_apps.accounts.models import email_key


def lockout_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the attempted email as the account's key (email_key), or None when none was given."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = (credentials or getattr(request, "data", request.POST)).get(field)
    return email_key(username) if isinstance(username, str) else username
