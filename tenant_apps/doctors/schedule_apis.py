"""A doctor's weekly hours and time off on the public API host, for the hospital's admin and for that doctor
(a colleague, a patient or another hospital's staff get 404: the doctor does not exist for them).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from shared_apps.common.apis import HospitalScopedApi
from shared_apps.common.errors import NotFound
from shared_apps.common.schema import error_responses
from shared_apps.common.validation import StrictCharField, validated
from tenant_apps.doctors.selectors import doctor_get_for_staff, schedule_body, time_off_get, time_off_row
from tenant_apps.doctors.services import MAX_WEEKLY_ROWS, schedule_set, time_off_add, time_off_remove

SCHEDULE_ERRORS = error_responses(400, 401, 403, 404)


class WeeklyHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday.")
    start_time = serializers.TimeField(format="%H:%M", help_text="Hospital local wall-clock time.")
    end_time = serializers.TimeField(format="%H:%M")
    valid_from = serializers.DateField(required=False, allow_null=True, help_text="Default: the hospital's today.")
    valid_until = serializers.DateField(required=False, allow_null=True, default=None, help_text="null: no end.")


class TimeOffSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_time = serializers.TimeField(format="%H:%M", required=False, allow_null=True, default=None)
    end_time = serializers.TimeField(format="%H:%M", required=False, allow_null=True, default=None)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class ScheduleOutput(serializers.Serializer):
    doctor_id = serializers.UUIDField()
    timezone = serializers.CharField()
    weekly_hours = WeeklyHoursSerializer(many=True)
    time_off = TimeOffSerializer(many=True, help_text="Current and upcoming time off.")


class ScheduleApi(HospitalScopedApi):
    missing_access = 404

    class InputSerializer(serializers.Serializer):
        weekly_hours = WeeklyHoursSerializer(many=True, allow_empty=True, max_length=MAX_WEEKLY_ROWS)

    def _doctor(self, doctor_id):
        return doctor_get_for_staff(access=self.access, doctor_id=doctor_id, manage=False)

    @extend_schema(operation_id="doctors_schedule", responses={200: ScheduleOutput, **SCHEDULE_ERRORS})
    def get(self, request, doctor_id):
        return Response(schedule_body(hospital=self.hospital, doctor=self._doctor(doctor_id)))

    @extend_schema(
        operation_id="doctors_schedule_set",
        request=InputSerializer,
        responses={200: ScheduleOutput, **SCHEDULE_ERRORS},
        description="Replaces the doctor's weekly hours. Rows of one weekday may not overlap while both are valid "
        f"(400); at most {MAX_WEEKLY_ROWS} rows.",
    )
    def put(self, request, doctor_id):
        data = validated(self.InputSerializer, request.data)
        doctor = self._doctor(doctor_id)
        schedule_set(actor=request.user, hospital=self.hospital, doctor=doctor, **data)
        return Response(schedule_body(hospital=self.hospital, doctor=doctor))


class TimeOffCreateApi(HospitalScopedApi):
    missing_access = 404

    class InputSerializer(TimeOffSerializer):
        cancel_appointments = serializers.BooleanField(
            required=False, default=False, help_text="Cancel the booked appointments inside and tell the patients."
        )

    class OutputSerializer(TimeOffSerializer):
        cancelled_appointment_ids = serializers.ListField(child=serializers.UUIDField())

    @extend_schema(
        operation_id="doctors_time_off_create",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                codes={
                    409: "`appointments_in_time_off`: `fields.appointment_ids` lists the booked appointments inside"
                },
            ),
        },
        description="Whole days from start_date to end_date (hospital local dates), or only start_time–end_time of "
        "each. Over booked appointments: 409 unless cancel_appointments is true; then they are cancelled by the "
        "hospital in the same transaction and each patient is told, with the doctor's next free slots.",
    )
    def post(self, request, doctor_id):
        data = validated(self.InputSerializer, request.data)
        doctor = doctor_get_for_staff(access=self.access, doctor_id=doctor_id, manage=False)
        time_off, cancelled = time_off_add(actor=request.user, hospital=self.hospital, doctor=doctor, **data)
        body = {**time_off_row(time_off), "cancelled_appointment_ids": [str(pk) for pk in cancelled]}
        return Response(body, status=status.HTTP_201_CREATED)


class TimeOffDeleteApi(HospitalScopedApi):
    missing_access = 404

    @extend_schema(
        operation_id="doctors_time_off_delete", request=None, responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request, doctor_id, time_off_id):
        doctor = doctor_get_for_staff(access=self.access, doctor_id=doctor_id, manage=False)
        time_off = time_off_get(doctor=doctor, time_off_id=time_off_id)
        if time_off is None:
            raise NotFound()
        time_off_remove(actor=request.user, hospital=self.hospital, doctor=doctor, time_off=time_off)
        return Response(status=status.HTTP_204_NO_CONTENT)
