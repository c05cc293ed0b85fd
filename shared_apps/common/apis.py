from contextlib import ExitStack

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.accounts.access import staff_access
from shared_apps.accounts.permissions import IsStaff
from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.hospitals.tenancy import hospital_context


class PingApi(APIView):
    """An empty endpoint: the app is up. Also the benchmark's floor (what DRF costs with no work of ours)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ping", responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})}, auth=[]
    )
    def get(self, request):
        return Response({"pong": True})


class HospitalScopedApi(APIView):
    """Base of the staff's hospital-scoped APIs (Sentry's OrganizationEndpoint shape).

    Once per request, after authentication and the permission check: resolves the caller's `StaffAccess` (their
    active membership of an active hospital), sets `self.access` and `self.hospital`, and runs the handler inside
    that hospital's schema. Without staff access: `missing_access` (403 here; 404 for routes that name an object,
    which then does not exist for the caller).
    """

    permission_classes = [IsStaff]
    missing_access = 403

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        access = staff_access(request.user)
        if access is None:
            if self.missing_access == 404:
                raise NotFound()
            raise ApplicationError("permission_denied", "You are not staff of any hospital.", status=403)
        self.access, self.hospital = access, access.hospital
        self._schema = ExitStack()
        self._schema.enter_context(hospital_context(self.hospital))

    def finalize_response(self, request, response, *args, **kwargs):
        self._leave_schema()
        return super().finalize_response(request, response, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        # An exception DRF does not handle (a 500) skips finalize_response: leave the schema here too, or the
        # connection stays in the hospital's schema for whatever runs next on it.
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            self._leave_schema()

    def _leave_schema(self) -> None:
        schema = getattr(self, "_schema", None)
        if schema is not None:
            schema.close()
