from rest_framework.permissions import BasePermission

from shared_apps.accounts.models import Role


class IsSuperadmin(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_superadmin)


class IsPatient(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsStaff(BasePermission):
    """Hospital admins and doctors (which hospital, and what they may touch there, is the selectors' business)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.HOSPITAL_ADMIN, Role.DOCTOR))
