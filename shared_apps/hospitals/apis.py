from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from shared_apps.accounts.permissions import IsSuperadmin
from shared_apps.common.links import media_url
from shared_apps.common.pagination import PageNumberPagination, paginate_in_one_query
from shared_apps.common.parsers import JSONParser
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import StrictCharField, validated
from shared_apps.directory.cache import cached_catalog_response
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import policy_of
from shared_apps.hospitals.selectors import (
    hospital_get_for_review,
    hospital_get_public,
    hospital_list_pending,
    hospital_list_public,
)
from shared_apps.hospitals.services import hospital_approve, hospital_register, hospital_reject


class HospitalOutput(serializers.ModelSerializer):
    """A hospital as patients see it."""

    logo_url = serializers.SerializerMethodField()
    subdomain = serializers.CharField(source="slug")

    class Meta:
        model = Hospital
        fields = ["id", "name", "city", "address", "phone_number", "email", "logo_url", "subdomain", "timezone"]

    def get_logo_url(self, hospital) -> str | None:
        return media_url(hospital.logo)


def hospital_row(hospital) -> dict:
    """HospitalOutput(hospital).data, built by hand for the hot list (a test keeps them equal)."""
    return {
        "id": hospital.pk,
        "name": hospital.name,
        "city": hospital.city,
        "address": hospital.address,
        "phone_number": str(hospital.phone_number),
        "email": hospital.email,
        "logo_url": media_url(hospital.logo),
        "subdomain": hospital.slug,
        "timezone": hospital.timezone,
    }


class HospitalPolicyOutput(serializers.Serializer):
    """A hospital's booking policy, so the app can say "free cancellation until …"."""

    min_booking_notice_minutes = serializers.IntegerField(help_text="Bookings start at least this long from now.")
    cancellation_notice_hours = serializers.IntegerField(
        help_text="A patient may cancel or reschedule until this many hours before the start."
    )
    booking_horizon_days = serializers.IntegerField(help_text="Bookings open at most this many days ahead.")
    reminder_offsets_minutes = serializers.ListField(
        child=serializers.IntegerField(), help_text="A reminder this many minutes before the start, largest first."
    )
    no_show_limit = serializers.IntegerField(
        help_text="A patient with this many no-shows here in the last 90 days cannot book online."
    )


class HospitalDetailOutput(HospitalOutput):
    """A hospital as patients see it, with its booking policy."""

    policy = serializers.SerializerMethodField()

    class Meta(HospitalOutput.Meta):
        fields = [*HospitalOutput.Meta.fields, "policy"]

    @extend_schema_field(HospitalPolicyOutput)
    def get_policy(self, hospital) -> dict:
        return policy_of(hospital)


class HospitalReviewOutput(HospitalOutput):
    """A hospital as the superadmin reviews it."""

    class Meta(HospitalOutput.Meta):
        fields = [*HospitalOutput.Meta.fields, "registration_number", "status", "rejection_reason", "created_at"]


class HospitalRegisterApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=200)
        registration_number = StrictCharField(max_length=64)
        email = serializers.EmailField(max_length=254)
        address = StrictCharField(max_length=500)
        phone_number = PhoneNumberField(max_length=32)
        city = StrictCharField(max_length=100)
        subdomain = serializers.CharField(max_length=63, required=False, allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, default="UTC")
        logo = serializers.FileField(required=False, allow_empty_file=False)

    @extend_schema(
        operation_id="hospitals_register",
        request={"multipart/form-data": InputSerializer, "application/json": InputSerializer},
        responses={201: HospitalReviewOutput, **error_responses(400, 413, 429)},
        auth=[],
        description="Apply to join RHMS. The hospital stays `pending` until a superadmin approves it. "
        "Send multipart with a `logo` file (PNG, JPEG or WebP, ≤ 2 MB, ≤ 4096×4096), or JSON without one.",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        hospital = hospital_register(actor=None, **data)
        return Response(HospitalReviewOutput(hospital).data, status=status.HTTP_201_CREATED)


class HospitalListApi(APIView):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=100, required=False)
        city = serializers.CharField(max_length=100, required=False)

    @extend_schema(
        operation_id="hospitals_list",
        parameters=[FilterSerializer, OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: HospitalOutput(many=True), **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request):
        def build():  # on a cache miss only: a hit means this exact URL was valid before
            filters = validated(self.FilterSerializer, request.query_params)
            return paginate_in_one_query(request, hospital_list_public(**filters), hospital_row)

        return cached_catalog_response(request, "hospitals", build)


class HospitalDetailApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="hospitals_retrieve", responses={200: HospitalDetailOutput, **error_responses(404)}, auth=[]
    )
    def get(self, request, hospital_id: int):
        return Response(HospitalDetailOutput(hospital_get_public(hospital_id=hospital_id)).data)


class HospitalPendingListApi(APIView):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape
    permission_classes = [IsSuperadmin]

    @extend_schema(
        operation_id="admin_hospitals_pending",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: HospitalReviewOutput(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(hospital_list_pending(), request, view=self)
        return paginator.get_paginated_response(HospitalReviewOutput(page, many=True).data)


class HospitalApproveApi(APIView):
    permission_classes = [IsSuperadmin]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        domain = serializers.CharField()

    @extend_schema(
        operation_id="admin_hospitals_approve",
        request=None,
        responses={
            200: OutputSerializer,
            **error_responses(401, 403, 404, 409, 503, codes={409: "`invalid_state`, `email_in_use`"}),
        },
    )
    def post(self, request, hospital_id: int):
        hospital = hospital_approve(actor=request.user, hospital=hospital_get_for_review(hospital_id=hospital_id))
        domain = hospital.get_primary_domain().domain
        return Response({"id": hospital.pk, "status": hospital.status, "domain": domain})


class HospitalRejectApi(APIView):
    permission_classes = [IsSuperadmin]

    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=2000)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()

    @extend_schema(
        operation_id="admin_hospitals_reject",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 409, codes={409: "`invalid_state`"})},
    )
    def post(self, request, hospital_id: int):
        data = validated(self.InputSerializer, request.data)
        hospital = hospital_get_for_review(hospital_id=hospital_id)
        hospital = hospital_reject(actor=request.user, hospital=hospital, reason=data["reason"])
        return Response({"id": hospital.pk, "status": hospital.status})
