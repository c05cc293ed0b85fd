"""Every cache version key, in one place: a write bumps one (response_cache.bump_after_commit) and every cached
response built under it is stale. Tenant rows' keys live here too: they are names, and ids are unique across
hospitals (UUIDs).
"""

CATALOG_VERSION = "catalog:version"
# The doctor directory's free-slot facts (next_available, available_on), bumped by every change that moves any
# doctor's free slots; apart from CATALOG_VERSION so bookings do not empty the cached hospital list.
FREE_SLOTS_VERSION = "directory:free-slots:version"


def doctor_version_key(doctor_id) -> str:
    """What patients see of one doctor's schedule (bumped by availability, bookings and doctor changes)."""
    return f"doctor:{doctor_id}:schedule"


def patient_bookings_version_key(user_id) -> str:
    """One patient's list of appointments (bumped by their bookings and changes to them)."""
    return f"patient:{user_id}:bookings"


def patient_waitlist_version_key(user_id) -> str:
    """One patient's waitlist entries (bumped by each change to one of their directory listings)."""
    return f"patient:{user_id}:waitlist"
