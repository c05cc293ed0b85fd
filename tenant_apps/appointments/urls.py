from django.urls import path

from tenant_apps.appointments import apis

app_name = "appointments"

urlpatterns = [
    path("book/", apis.AppointmentBookApi.as_view(), name="book"),
    path("user/", apis.PatientAppointmentListApi.as_view(), name="user"),
    path("hospital/", apis.HospitalAppointmentListApi.as_view(), name="hospital"),
    path("<uuid:appointment_id>/", apis.AppointmentDetailApi.as_view(), name="detail"),
    path("<uuid:appointment_id>/cancel/", apis.AppointmentCancelApi.as_view(), name="cancel"),
    path("<uuid:appointment_id>/complete/", apis.AppointmentCompleteApi.as_view(), name="complete"),
    path("<uuid:appointment_id>/reschedule/", apis.AppointmentRescheduleApi.as_view(), name="reschedule"),
    path("<uuid:appointment_id>/no-show/", apis.AppointmentNoShowApi.as_view(), name="no-show"),
    path("<uuid:appointment_id>/ics/", apis.AppointmentIcsApi.as_view(), name="ics"),
]
