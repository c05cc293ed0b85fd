"""Doctors and availability on the public API host. Hospital-scoped: the hospital comes from the directory or
the user's membership, and every tenant read or write happens inside `hospital_context`.
"""

import datetime as dt
import zoneinfo
from functools import partial

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.accounts.access import staff_access
from shared_apps.accounts.permissions import IsStaff
from shared_apps.common.apis import HospitalScopedApi
from shared_apps.common.cache_versions import doctor_version_key
from shared_apps.common.errors import ApplicationError, NotFound
from shared_apps.common.links import media_url, stored_file_url
from shared_apps.common.pagination import PageNumberPagination, paginate_fetched
from shared_apps.common.response_cache import cached_json
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import LocalDateTimeField, StrictCharField, validated
from shared_apps.directory.cache import cached_catalog_response
from shared_apps.directory.selectors import (
    DIRECTORY_ORDERINGS,
    DirectoryFilters,
    directory_page,
    doctor_entry_get_public,
)
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import Doctor, DoctorStatus
from tenant_apps.doctors.selectors import (
    availability_body,
    availability_range,
    doctor_get_for_staff,
)
from tenant_apps.doctors.services import availability_set, doctor_create, doctor_invite, doctor_update

PAGE_PARAMETERS = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]


class DoctorOutput(serializers.Serializer):
    """A doctor as its hospital's staff see it."""

    id = serializers.UUIDField()
    hospital_id = serializers.SerializerMethodField()
    name = serializers.CharField()
    email = serializers.EmailField()
    specialization = serializers.CharField()
    fee = serializers.DecimalField(max_digits=10, decimal_places=2)
    slot_minutes = serializers.IntegerField()
    status = serializers.CharField()
    has_login = serializers.SerializerMethodField()

    def get_hospital_id(self, doctor) -> int:
        return self.context["hospital"].pk

    def get_has_login(self, doctor) -> bool:
        return doctor.user_id is not None


class HospitalBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()
    logo_url = serializers.SerializerMethodField()

    def get_logo_url(self, hospital) -> str | None:
        return media_url(hospital.logo)


class NextAvailableOutput(serializers.Serializer):
    """The doctor's first free slot within the hospital's booking horizon (local date and time, and the instant)."""

    date = serializers.DateField()
    time = serializers.TimeField(format="%H:%M")
    starts_at = serializers.DateTimeField()


class DirectoryDoctorOutput(serializers.Serializer):
    """A doctor as patients find them in the directory."""

    id = serializers.UUIDField(source="doctor_id")
    hospital_id = serializers.IntegerField()
    name = serializers.CharField()
    specialization = serializers.CharField()
    fee = serializers.DecimalField(max_digits=10, decimal_places=2)
    slot_minutes = serializers.IntegerField()
    status = serializers.CharField()
    hospital = HospitalBrief()
    next_available = serializers.SerializerMethodField()

    @extend_schema_field(NextAvailableOutput(allow_null=True))
    def get_next_available(self, entry) -> dict | None:
        return next_available(entry)


def next_available(entry) -> dict | None:
    """`next_available` of a directory entry: {date, time, starts_at} (in the hospital's zone, like slots) or None."""
    return next_available_shape(
        entry.next_available_date, entry.next_available_time, entry.next_available_at, entry.hospital.zone
    )


def next_available_shape(date, time, starts_at, zone) -> dict | None:
    if starts_at is None:
        return None
    return {
        "date": date.isoformat(),
        "time": time.strftime("%H:%M"),
        "starts_at": starts_at.astimezone(zone).isoformat(timespec="seconds"),
    }


def directory_row(row: dict) -> dict:
    """DirectoryDoctorOutput's shape for a row of `directory_page`, built by hand: the directory is the hottest list
    (a test keeps them equal)."""
    return {
        "id": str(row["doctor_id"]),
        "hospital_id": row["hospital_id"],
        "name": row["name"],
        "specialization": row["specialization"],
        "fee": f"{row['fee']:.2f}",
        "slot_minutes": row["slot_minutes"],
        "status": row["status"],
        "hospital": {
            "id": row["hospital_id"],
            "name": row["hospital_name"],
            "city": row["hospital_city"],
            "logo_url": stored_file_url(Hospital.logo.field, row["hospital_logo"]),
        },
        "next_available": next_available_shape(
            row["next_available_date"],
            row["next_available_time"],
            row["next_available_at"],
            zoneinfo.ZoneInfo(row["hospital_timezone"]),
        ),
    }


class DoctorInput(serializers.Serializer):
    name = StrictCharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    specialization = StrictCharField(max_length=100)
    fee = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    slot_minutes = serializers.IntegerField(min_value=5, max_value=240, required=False, default=30)


class DoctorListCreateApi(APIView):
    """GET: the public directory across hospitals. POST: a hospital admin adds a doctor to their hospital."""

    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsStaff()]

    class FilterSerializer(serializers.Serializer):
        hospital_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
        specialization = serializers.CharField(max_length=100, required=False)
        city = serializers.CharField(max_length=100, required=False)
        q = serializers.CharField(max_length=100, required=False)
        available_on = serializers.DateField(
            required=False, help_text="Only doctors with at least one free slot on this local date (YYYY-MM-DD)."
        )
        ordering = serializers.ChoiceField(
            choices=list(DIRECTORY_ORDERINGS),
            required=False,
            help_text="`next_available` (soonest first, doctors with no free slot last), `name` (the default), "
            "`fee` or `-fee`; ties by id, so pages are stable.",
        )

    class InputSerializer(DoctorInput):
        invite = serializers.BooleanField(required=False, default=False, help_text="Also create the doctor's login.")

    @extend_schema(
        operation_id="doctors_directory",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: DirectoryDoctorOutput(many=True), **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request):
        def build():  # on a cache miss only: a hit means this exact URL was valid before
            filters = DirectoryFilters(**validated(self.FilterSerializer, request.query_params))
            return paginate_fetched(request, partial(directory_page, filters), directory_row)

        return cached_catalog_response(request, "doctors", build, free_slots=True)

    @extend_schema(
        operation_id="doctors_create",
        request=InputSerializer,
        responses={
            201: DoctorOutput,
            **error_responses(400, 401, 403, 409, codes={409: "`email_in_use`, `email_taken` (invite)"}),
        },
    )
    def post(self, request):
        access = staff_access(request.user)
        if access is None or not access.is_admin:
            raise ApplicationError("permission_denied", "Only a hospital admin can add doctors.", status=403)
        hospital = access.hospital
        data = validated(self.InputSerializer, request.data)
        with hospital_context(hospital):
            doctor = doctor_create(actor=request.user, hospital=hospital, **data)
            body = DoctorOutput(doctor, context={"hospital": hospital}).data
        return Response(body, status=status.HTTP_201_CREATED)


class DoctorDetailApi(APIView):
    """GET: a doctor (the directory view; their hospital's staff see the full record). PATCH: admins change it."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsStaff()]

    class InputSerializer(DoctorInput):
        status = serializers.ChoiceField(choices=DoctorStatus.choices)

    @extend_schema(
        operation_id="doctors_retrieve",
        responses={200: DirectoryDoctorOutput, **error_responses(404)},
        description="Staff of the doctor's hospital get the full record (email, status, has_login) instead.",
    )
    def get(self, request, doctor_id):
        if request.user.is_authenticated:
            staff_view = self._staff_view(request, doctor_id)
            if staff_view is not None:
                return Response(staff_view)
        entry = doctor_entry_get_public(doctor_id=doctor_id)
        if entry is None:
            raise NotFound()
        return Response(DirectoryDoctorOutput(entry).data)

    def _staff_view(self, request, doctor_id) -> dict | None:
        access = staff_access(request.user)
        if access is None:
            return None
        with hospital_context(access.hospital):
            try:
                doctor = doctor_get_for_staff(access=access, doctor_id=doctor_id, manage=False)
            except NotFound:
                return None
            return DoctorOutput(doctor, context={"hospital": access.hospital}).data

    @extend_schema(
        operation_id="doctors_update",
        request=InputSerializer(partial=True),
        responses={200: DoctorOutput, **error_responses(400, 401, 403, 404)},
        description='Change details; `"status": "inactive"` deactivates (doctors are never deleted).',
    )
    def patch(self, request, doctor_id):
        data = validated(self.InputSerializer, request.data, partial=True)
        access = staff_access(request.user)
        if access is None:
            raise NotFound()
        with hospital_context(access.hospital):
            doctor = doctor_get_for_staff(access=access, doctor_id=doctor_id, manage=True)
            doctor = doctor_update(actor=request.user, hospital=access.hospital, doctor=doctor, **data)
            return Response(DoctorOutput(doctor, context={"hospital": access.hospital}).data)


class DoctorInviteApi(HospitalScopedApi):
    missing_access = 404

    @extend_schema(
        operation_id="doctors_invite",
        request=None,
        responses={
            200: DoctorOutput,
            **error_responses(401, 403, 404, 409, codes={409: "`email_in_use`, `email_taken`"}),
        },
        description="Create the doctor's login (or re-send the link) and email a set-password link.",
    )
    def post(self, request, doctor_id):
        doctor = doctor_get_for_staff(access=self.access, doctor_id=doctor_id, manage=True)
        doctor = doctor_invite(actor=request.user, hospital=self.hospital, doctor=doctor)
        return Response(DoctorOutput(doctor, context={"hospital": self.hospital}).data)


class WindowSerializer(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")
    is_available = serializers.BooleanField(default=True)


class SlotSerializer(serializers.Serializer):
    date = serializers.DateField()
    time = serializers.TimeField(format="%H:%M")
    starts_at = LocalDateTimeField()
    ends_at = LocalDateTimeField()


class AvailabilityApi(APIView):
    """A doctor's windows and free slots over a range of dates (public)."""

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        """`from` and `to` in the query string (Python cannot name a field `from`)."""

        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        doctor_id = serializers.UUIDField()
        timezone = serializers.CharField()
        windows = WindowSerializer(many=True)
        slots = SlotSerializer(many=True)

    @extend_schema(
        operation_id="doctors_availability",
        parameters=[
            OpenApiParameter("from", dt.date, description="First date (hospital local); default today."),
            OpenApiParameter("to", dt.date, description="Last date; default `from` + 6 days; range ≤ 31 days."),
        ],
        responses={200: OutputSerializer, **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request, doctor_id):
        def build():  # on a cache miss only
            query = {"date_from": request.query_params.get("from"), "date_to": request.query_params.get("to")}
            filters = validated(self.FilterSerializer, {k: v for k, v in query.items() if v})
            entry = doctor_entry_get_public(doctor_id=doctor_id)
            if entry is None:
                raise NotFound()
            hospital = entry.hospital
            date_from, date_to = availability_range(hospital=hospital, **filters)
            with hospital_context(hospital):
                doctor = Doctor.objects.get(pk=entry.doctor_id)
                return availability_body(hospital=hospital, doctor=doctor, date_from=date_from, date_to=date_to)

        return cached_json(
            request,
            scope="availability",
            versions=[doctor_version_key(doctor_id)],
            ttl=settings.AVAILABILITY_CACHE_SECONDS,
            build=build,
        )


class AvailabilitySetApi(HospitalScopedApi):
    missing_access = 404

    class InputSerializer(serializers.Serializer):
        windows = WindowSerializer(many=True, allow_empty=True, max_length=500)
        clear_dates = serializers.ListField(child=serializers.DateField(), required=False, default=list, max_length=200)

    class OutputSerializer(serializers.Serializer):
        windows = WindowSerializer(many=True)

    @extend_schema(
        operation_id="doctors_availability_set",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Replaces the windows of every date that appears in `windows` (and empties each date of "
        "`clear_dates`). Times are the hospital's local wall-clock time. `is_available: false` blocks time.",
    )
    def post(self, request, doctor_id):
        data = validated(self.InputSerializer, request.data)
        doctor = doctor_get_for_staff(access=self.access, doctor_id=doctor_id, manage=False)
        windows = availability_set(actor=request.user, hospital=self.hospital, doctor=doctor, **data)
        return Response(self.OutputSerializer({"windows": windows}).data)
