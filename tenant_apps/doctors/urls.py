from django.urls import path

from tenant_apps.doctors import apis

app_name = "doctors"

urlpatterns = [
    path("", apis.DoctorListCreateApi.as_view(), name="list"),
    path("<uuid:doctor_id>/", apis.DoctorDetailApi.as_view(), name="detail"),
    path("<uuid:doctor_id>/invite/", apis.DoctorInviteApi.as_view(), name="invite"),
    path("<uuid:doctor_id>/availability/", apis.AvailabilityApi.as_view(), name="availability"),
    path("<uuid:doctor_id>/availability/set/", apis.AvailabilitySetApi.as_view(), name="availability-set"),
]
