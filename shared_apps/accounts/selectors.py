from shared_apps.accounts.access import staff_access
from shared_apps.accounts.models import User, email_key


def hospital_id_for(user: User) -> int | None:
    """The hospital the user is staff of (the staff-access rule), or None."""
    access = staff_access(user)
    return access.hospital.pk if access else None


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__lower=email_key(email)).first()
