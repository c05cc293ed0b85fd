from django.urls import path

from tenant_apps.doctors import apis, schedule_apis

app_name = "doctors"

urlpatterns = [
    path("", apis.DoctorListCreateApi.as_view(), name="list"),
    path("<uuid:doctor_id>/", apis.DoctorDetailApi.as_view(), name="detail"),
    path("<uuid:doctor_id>/invite/", apis.DoctorInviteApi.as_view(), name="invite"),
    path("<uuid:doctor_id>/availability/", apis.AvailabilityApi.as_view(), name="availability"),
    path("<uuid:doctor_id>/availability/set/", apis.AvailabilitySetApi.as_view(), name="availability-set"),
    path("<uuid:doctor_id>/schedule/", schedule_apis.ScheduleApi.as_view(), name="schedule"),
    path("<uuid:doctor_id>/time-off/", schedule_apis.TimeOffCreateApi.as_view(), name="time-off"),
    path(
        "<uuid:doctor_id>/time-off/<uuid:time_off_id>/",
        schedule_apis.TimeOffDeleteApi.as_view(),
        name="time-off-detail",
    ),
]
