from shared_apps.accounts.models import HospitalMembership, User, email_key


def membership_for(user: User) -> HospitalMembership | None:
    """The user's active hospital membership (staff belong to one hospital at a time), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.memberships.select_related("hospital").filter(is_active=True, hospital__is_active=True).first()


def hospital_id_for(user: User) -> int | None:
    membership = membership_for(user)
    return membership.hospital_id if membership else None


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__lower=email_key(email)).first()
