"""The appointments API for the mobile app and staff, on the public host. Tenant work runs in hospital_context."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.accounts.idempotency import HEADER, idempotent_response
from shared_apps.accounts.permissions import IsPatient
from shared_apps.common.apis import HospitalScopedApi
from shared_apps.common.cache_versions import patient_bookings_version_key
from shared_apps.common.links import media_url
from shared_apps.common.pagination import PageNumberPagination, paginate_in_one_query
from shared_apps.common.response_cache import cached_json
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import (
    LocalTimeField,
    StrictCharField,
    StrictDateField,
    StrictDateTimeField,
    validated,
)
from shared_apps.directory.models import CancelledBy
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.calendar import CalendarRenderer, appointment_ics
from tenant_apps.appointments.models import AppointmentStatus
from tenant_apps.appointments.selectors import (
    appointment_get_for,
    appointment_list_for_staff,
    booking_list_for_patient,
    hospital_of_appointment_for,
    hospital_of_bookable_doctor,
)
from tenant_apps.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from tenant_apps.doctors.models import Doctor

PAGE_PARAMETERS = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]
BOOK_CONFLICTS = "`slot_unavailable`, `slot_taken`, `overlapping_booking`, `booking_limit`, `no_show_limit`"
RESCHEDULE_CONFLICTS = (
    "`slot_unavailable`, `slot_taken`, `overlapping_booking`, `cancellation_window_closed`, `invalid_state`"
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A UUID per attempt. Retrying with the same key and body returns the first answer and acts once; "
    "the same key with another body is a 422. Keys are kept 24 h, per user.",
)


class AppointmentDoctor(serializers.Serializer):
    """The shape of an appointment's `doctor` (documented, so generated clients get a typed object)."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    specialization = serializers.CharField()


class AppointmentHospital(serializers.Serializer):
    """The shape of a patient's booking's `hospital`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    logo_url = serializers.CharField(allow_null=True)


class AppointmentPatient(serializers.Serializer):
    """The shape of a staff appointment's `patient`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone_number = serializers.CharField()


class RescheduledFrom(serializers.Serializer):
    """Where a rescheduled appointment was before its last move (hospital local date and time)."""

    date = serializers.DateField()
    time = serializers.CharField(help_text="HH:MM")
    starts_at = serializers.CharField(help_text="ISO 8601 with the hospital's UTC offset.")


class AppointmentOutput(serializers.Serializer):
    """An appointment; times in the hospital's zone (`starts_at` carries its UTC offset)."""

    id = serializers.UUIDField()
    hospital_id = serializers.SerializerMethodField()
    doctor_id = serializers.UUIDField()
    patient_id = serializers.IntegerField()
    date = serializers.DateField(source="appointment_date")
    time = serializers.TimeField(source="appointment_time", format="%H:%M")
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    reason = serializers.CharField()
    doctor = serializers.SerializerMethodField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancelled_by = serializers.ChoiceField(
        source="cancelled_by_party",
        choices=CancelledBy.choices,
        allow_null=True,
        help_text="Who cancelled: the patient, or the hospital (staff, or the hospital's schedule); null unless "
        "cancelled.",
    )
    cancellation_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    rescheduled_from = serializers.SerializerMethodField()

    def get_hospital_id(self, appointment) -> int:
        return self.context["hospital"].pk

    def get_starts_at(self, appointment) -> str:
        return appointment.starts_at.astimezone(self.context["hospital"].zone).isoformat(timespec="seconds")

    def get_ends_at(self, appointment) -> str:
        return appointment.ends_at.astimezone(self.context["hospital"].zone).isoformat(timespec="seconds")

    @extend_schema_field(AppointmentDoctor)
    def get_doctor(self, appointment) -> dict:
        doctor = appointment.doctor
        return {"id": str(doctor.pk), "name": doctor.name, "specialization": doctor.specialization}

    @extend_schema_field(RescheduledFrom(allow_null=True))
    def get_rescheduled_from(self, appointment) -> dict | None:
        if appointment.rescheduled_from_starts_at is None:
            return None
        zone = self.context["hospital"].zone
        return {
            "date": appointment.rescheduled_from_date.isoformat(),
            "time": appointment.rescheduled_from_time.strftime("%H:%M"),
            "starts_at": appointment.rescheduled_from_starts_at.astimezone(zone).isoformat(timespec="seconds"),
        }


class StaffAppointmentOutput(AppointmentOutput):
    patient = serializers.SerializerMethodField()

    @extend_schema_field(AppointmentPatient)
    def get_patient(self, appointment) -> dict:
        patient = appointment.patient
        return {"id": patient.pk, "name": patient.name, "email": patient.email, "phone_number": patient.phone_number}


class PatientBookingOutput(serializers.Serializer):
    """One of the patient's appointments, in any hospital (read from the directory)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    cancelled_by = serializers.ChoiceField(choices=CancelledBy.choices, allow_null=True)
    date = serializers.DateField()
    time = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    hospital = AppointmentHospital()
    doctor = AppointmentDoctor()
    updated_at = serializers.DateTimeField(help_text="When the row last changed (booked, moved, cancelled, …).")


def patient_booking_row(entry) -> dict:
    hospital, doctor = entry.hospital, entry.doctor
    zone = hospital.zone
    return {
        "id": str(entry.appointment_id),
        "status": entry.status,
        "cancelled_by": entry.cancelled_by,
        "date": entry.appointment_date.isoformat(),
        "time": entry.appointment_time.strftime("%H:%M"),
        "starts_at": entry.starts_at.astimezone(zone).isoformat(timespec="seconds"),
        "ends_at": entry.ends_at.astimezone(zone).isoformat(timespec="seconds"),
        "hospital": {"id": hospital.pk, "name": hospital.name, "logo_url": media_url(hospital.logo)},
        "doctor": {"id": str(doctor.doctor_id), "name": doctor.name, "specialization": doctor.specialization},
        "updated_at": entry.updated_at.isoformat(),
    }


class AppointmentBookApi(APIView):
    permission_classes = [IsPatient]

    class InputSerializer(serializers.Serializer):
        doctor_id = serializers.UUIDField()
        date = StrictDateField()
        time = LocalTimeField()
        reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="appointments_book",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: AppointmentOutput,
            **error_responses(400, 401, 403, 404, 409, 422, codes={409: BOOK_CONFLICTS}),
        },
        description="Book a free slot (see /api/doctors/{id}/availability/). `date` and `time` are the hospital's "
        "local wall-clock values. Status, patient or fee in the body are ignored.",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        return idempotent_response(request, scope="appointments.book", handler=lambda: self._book(request, data))

    def _book(self, request, data) -> Response:
        hospital = hospital_of_bookable_doctor(doctor_id=data["doctor_id"])
        with hospital_context(hospital):
            doctor = Doctor.objects.get(pk=data["doctor_id"])
            appointment = appointment_book(
                actor=request.user,
                hospital=hospital,
                doctor=doctor,
                date=data["date"],
                time=data["time"],
                reason=data["reason"],
            )
            body = AppointmentOutput(appointment, context={"hospital": hospital}).data
        return Response(body, status=status.HTTP_201_CREATED)


class PatientAppointmentListApi(APIView):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape
    permission_classes = [IsPatient]

    class FilterSerializer(serializers.Serializer):
        when = serializers.ChoiceField(choices=["upcoming", "past"], required=False)
        updated_since = StrictDateTimeField(
            required=False,
            help_text="Delta sync: only rows changed after this instant (ISO 8601 with an offset), cancelled ones "
            "included, oldest change first.",
        )

    @extend_schema(
        operation_id="appointments_user",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: PatientBookingOutput(many=True), **error_responses(400, 401, 403, 404)},
        description="The signed-in patient's appointments in every hospital. `upcoming`: booked and not yet "
        "started, soonest first; `past`: everything else, latest first. Delta sync: `updated_since` returns the "
        "rows changed after that instant (cancelled ones included) in the order they changed; pass the largest "
        "`updated_at` you hold minus a minute (a change is stamped when it is made and visible when its transaction "
        "commits) and upsert the rows by `id`, so a row seen twice is harmless.",
    )
    def get(self, request):
        def build():  # on a cache miss only
            filters = validated(self.FilterSerializer, request.query_params)
            return paginate_in_one_query(
                request, booking_list_for_patient(user=request.user, **filters), patient_booking_row
            )

        return cached_json(
            request,
            scope="my-appointments",
            vary=str(request.user.pk),
            versions=[patient_bookings_version_key(request.user.pk)],
            ttl=settings.MY_APPOINTMENTS_CACHE_SECONDS,
            build=build,
        )


class HospitalAppointmentListApi(HospitalScopedApi):
    pagination_class = PageNumberPagination  # documents the {count, next, previous, results} shape

    class FilterSerializer(serializers.Serializer):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        doctor_id = serializers.UUIDField(required=False)
        status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)

    @extend_schema(
        operation_id="appointments_hospital",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: StaffAppointmentOutput(many=True), **error_responses(400, 401, 403, 404)},
        description="The hospital's appointments: all of them for its admins, their own for a doctor.",
    )
    def get(self, request):
        filters = validated(self.FilterSerializer, request.query_params)
        appointments = appointment_list_for_staff(access=self.access, **filters)
        body = paginate_in_one_query(
            request, appointments, lambda a: StaffAppointmentOutput(a, context={"hospital": self.hospital}).data
        )
        return Response(body)


class AppointmentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="appointments_retrieve", responses={200: AppointmentOutput, **error_responses(401, 404)}
    )
    def get(self, request, appointment_id):
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            return Response(AppointmentOutput(appointment, context={"hospital": hospital}).data)


class AppointmentCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="appointments_cancel",
        request=InputSerializer,
        responses={
            200: AppointmentOutput,
            **error_responses(400, 401, 404, 409, codes={409: "`invalid_state`, `cancellation_window_closed`"}),
        },
        description="The patient (until the hospital's `cancellation_notice_hours` before the start), the "
        "hospital's admins or the doctor (always). Frees the slot. `cancelled_by` says who cancelled.",
    )
    def post(self, request, appointment_id):
        data = validated(self.InputSerializer, request.data)
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            appointment = appointment_cancel(
                actor=request.user,
                hospital=hospital,
                appointment=appointment,
                reason=data["reason"],
            )
            return Response(AppointmentOutput(appointment, context={"hospital": hospital}).data)


class AppointmentCompleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="appointments_complete",
        request=None,
        responses={200: AppointmentOutput, **error_responses(401, 403, 404, 409, codes={409: "`invalid_state`"})},
        description="The hospital's admins or the doctor, once the appointment has started.",
    )
    def post(self, request, appointment_id):
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            appointment = appointment_complete(actor=request.user, hospital=hospital, appointment=appointment)
            return Response(AppointmentOutput(appointment, context={"hospital": hospital}).data)


class AppointmentRescheduleApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        date = StrictDateField()
        time = LocalTimeField()

    @extend_schema(
        operation_id="appointments_reschedule",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: AppointmentOutput,
            **error_responses(400, 401, 404, 409, 422, codes={409: RESCHEDULE_CONFLICTS}),
        },
        description="Move a booked appointment to another free slot of the same doctor: the patient (until the "
        "hospital's `cancellation_notice_hours` before the current start), the hospital's admins or the doctor "
        "(always). The appointment keeps its id; `rescheduled_from` says where it was. One transaction: on any "
        "409 the appointment is unchanged. `date` and `time` are the hospital's local wall-clock values.",
    )
    def post(self, request, appointment_id):
        data = validated(self.InputSerializer, request.data)
        return idempotent_response(
            request,
            scope=f"reschedule:{appointment_id}",  # per appointment; the scope column holds 50 characters
            handler=lambda: self._reschedule(request, appointment_id, data),
        )

    def _reschedule(self, request, appointment_id, data) -> Response:
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            appointment = appointment_reschedule(
                actor=request.user, hospital=hospital, appointment=appointment, date=data["date"], time=data["time"]
            )
            return Response(AppointmentOutput(appointment, context={"hospital": hospital}).data)


class AppointmentNoShowApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="appointments_no_show",
        request=None,
        responses={200: AppointmentOutput, **error_responses(401, 403, 404, 409, codes={409: "`invalid_state`"})},
        description="The hospital's admins or the doctor, once a booked appointment has started: the patient did "
        "not come. No-shows count against the hospital's `no_show_limit` for 90 days.",
    )
    def post(self, request, appointment_id):
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            appointment = appointment_mark_no_show(actor=request.user, hospital=hospital, appointment=appointment)
            return Response(AppointmentOutput(appointment, context={"hospital": hospital}).data)


class AppointmentIcsApi(APIView):
    """The appointment as an .ics file, for `Accept: text/calendar`, `*/*` or no Accept header; errors stay JSON."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [CalendarRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error body: always in the API's JSON shape
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="appointments_ics",
        responses={
            (200, "text/calendar"): OpenApiResponse(str, description="An iCalendar (RFC 5545) event."),
            **{(code, "application/json"): body for code, body in error_responses(401, 404).items()},
        },
    )
    def get(self, request, appointment_id):
        hospital, access = hospital_of_appointment_for(user=request.user, appointment_id=appointment_id)
        with hospital_context(hospital):
            appointment, _ = appointment_get_for(user=request.user, access=access, appointment_id=appointment_id)
            content = appointment_ics(appointment=appointment, hospital=hospital)
        response = HttpResponse(content, content_type=f"{CalendarRenderer.media_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
        return response
