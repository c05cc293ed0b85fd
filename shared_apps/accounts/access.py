"""Which hospital a user is staff of, and as what: the one rule every hospital-scoped read and write starts from.

`staff_access(user)` reads the user's active membership of an active hospital once; selectors then take the
resulting `StaffAccess` and never re-query the membership. `HospitalScopedApi` (shared_apps/common/apis.py) and the
dashboard's `dashboard_view` resolve it once per request.
"""

from dataclasses import dataclass

from shared_apps.accounts.models import MembershipRole, User
from shared_apps.hospitals.models import Hospital


@dataclass(frozen=True)
class StaffAccess:
    """A staff user's place in one hospital: its admin, or one of its doctors."""

    user: User
    hospital: Hospital
    role: str  # a MembershipRole

    @property
    def is_admin(self) -> bool:
        return self.role == MembershipRole.HOSPITAL_ADMIN

    @property
    def is_doctor(self) -> bool:
        return self.role == MembershipRole.DOCTOR


def staff_access(user: User, hospital: Hospital | None = None) -> StaffAccess | None:
    """The user's staff access: their active membership of an active hospital (of `hospital`, when given), or None.

    One query. A deactivated user, a suspended membership or a deactivated hospital give None.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    memberships = user.memberships.select_related("hospital").filter(is_active=True, hospital__is_active=True)
    if hospital is not None:
        memberships = memberships.filter(hospital_id=hospital.pk)
    membership = memberships.first()
    if membership is None:
        return None
    return StaffAccess(user=user, hospital=membership.hospital, role=membership.role)
