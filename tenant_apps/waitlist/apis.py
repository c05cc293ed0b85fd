"""The waitlist API for patients, on the public host: join, list, leave, accept and decline an offer."""

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.accounts.permissions import IsPatient
from shared_apps.common.cache_versions import patient_waitlist_version_key
from shared_apps.common.errors import NotFound
from shared_apps.common.pagination import PageNumberPagination, paginate_in_one_query
from shared_apps.common.response_cache import cached_json
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import LocalTimeField, StrictDateField, validated
from shared_apps.directory.models import WaitlistListing
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.apis import AppointmentOutput
from tenant_apps.appointments.selectors import hospital_of_bookable_doctor
from tenant_apps.doctors.models import Doctor
from tenant_apps.waitlist.models import WaitlistStatus
from tenant_apps.waitlist.selectors import (
    offers_good_for,
    waitlist_entry_get_for,
    waitlist_list_for_patient,
    waitlist_listing_for,
    waitlist_row,
)
from tenant_apps.waitlist.services import waitlist_accept, waitlist_decline, waitlist_join, waitlist_leave

PAGE_PARAMETERS = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]
OFFER_CONFLICTS = "`offer_expired`, `no_offer`"


class WaitlistOffer(serializers.Serializer):
    """The slot held for the patient until `expires_at` (hospital local date and time; instants with offset)."""

    date = serializers.DateField()
    time = serializers.CharField()
    starts_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class WaitlistEntryOutput(serializers.Serializer):
    """A waitlist entry. `offer` is set while status is "offered"."""

    id = serializers.UUIDField()
    doctor_id = serializers.UUIDField()
    hospital_id = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    time_from = serializers.CharField(allow_null=True)
    time_to = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=WaitlistStatus.choices)
    offer = WaitlistOffer(allow_null=True)
    created_at = serializers.DateTimeField()


def _row(entry_id) -> dict:
    return waitlist_row(WaitlistListing.objects.select_related("hospital").get(entry_id=entry_id))


class WaitlistApi(APIView):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape
    permission_classes = [IsPatient]

    class InputSerializer(serializers.Serializer):
        doctor_id = serializers.UUIDField()
        date_from = StrictDateField()
        date_to = StrictDateField()
        time_from = LocalTimeField(required=False, allow_null=True, default=None)
        time_to = LocalTimeField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="waitlist_join",
        request=InputSerializer,
        responses={
            201: WaitlistEntryOutput,
            **error_responses(400, 401, 403, 409, codes={409: "`already_waiting`, `booking_limit`, `no_show_limit`"}),
        },
        description="Wait for a slot of a doctor between two local dates (inclusive; within the hospital's booking "
        "horizon), optionally only between `time_from` and `time_to` of each day. When a slot inside becomes free "
        "the earliest entry gets it on offer (held for WAITLIST_OFFER_MINUTES, by email and SMS); one active entry "
        "per doctor.",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        doctor_id = data.pop("doctor_id")
        try:
            hospital = hospital_of_bookable_doctor(doctor_id=doctor_id)
        except NotFound:
            raise ValidationError({"doctor_id": ["No such doctor."]}) from None
        with hospital_context(hospital):
            doctor = Doctor.objects.get(pk=doctor_id)
            entry = waitlist_join(actor=request.user, hospital=hospital, doctor=doctor, **data)
        return Response(_row(entry.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="waitlist_list",
        parameters=PAGE_PARAMETERS,
        responses={200: WaitlistEntryOutput(many=True), **error_responses(401, 403, 404)},
        description="The signed-in patient's waitlist entries in every hospital, newest first.",
    )
    def get(self, request):
        return cached_json(
            request,
            scope="waitlist",
            vary=str(request.user.pk),
            versions=[patient_waitlist_version_key(request.user.pk)],
            ttl=settings.WAITLIST_CACHE_SECONDS,
            build=lambda: paginate_in_one_query(request, waitlist_list_for_patient(user=request.user), waitlist_row),
            good_for=offers_good_for,
        )


class WaitlistEntryApi(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        operation_id="waitlist_leave",
        responses={204: None, **error_responses(401, 403, 404, 409, codes={409: "`invalid_state`"})},
        description="Leave the waitlist; a slot on offer goes to the next patient in line.",
    )
    def delete(self, request, entry_id):
        listing = waitlist_listing_for(user=request.user, entry_id=entry_id)
        with hospital_context(listing.hospital):
            entry = waitlist_entry_get_for(user=request.user, entry_id=entry_id)
            waitlist_leave(actor=request.user, hospital=listing.hospital, entry=entry)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistAcceptApi(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        operation_id="waitlist_accept",
        request=None,
        responses={
            201: AppointmentOutput,
            **error_responses(
                401,
                403,
                404,
                409,
                codes={
                    409: f"{OFFER_CONFLICTS}, `slot_unavailable`, `booking_limit`, `no_show_limit`, "
                    "`overlapping_booking`"
                },
            ),
        },
        description="Book the slot on offer: the appointment, as the booking API returns it.",
    )
    def post(self, request, entry_id):
        listing = waitlist_listing_for(user=request.user, entry_id=entry_id)
        hospital = listing.hospital
        with hospital_context(hospital):
            entry = waitlist_entry_get_for(user=request.user, entry_id=entry_id)
            appointment = waitlist_accept(actor=request.user, hospital=hospital, entry=entry)
            body = AppointmentOutput(appointment, context={"hospital": hospital}).data
        return Response(body, status=status.HTTP_201_CREATED)


class WaitlistDeclineApi(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        operation_id="waitlist_decline",
        request=None,
        responses={200: WaitlistEntryOutput, **error_responses(401, 403, 404, 409, codes={409: OFFER_CONFLICTS})},
        description='Turn the slot on offer down: the entry waits again (status "waiting") and the slot goes to '
        "the next in line. That slot is never offered to this entry again; other slots may be.",
    )
    def post(self, request, entry_id):
        listing = waitlist_listing_for(user=request.user, entry_id=entry_id)
        with hospital_context(listing.hospital):
            entry = waitlist_entry_get_for(user=request.user, entry_id=entry_id)
            waitlist_decline(actor=request.user, hospital=listing.hospital, entry=entry)
        return Response(_row(entry_id))
