from django.urls import path

from shared_apps.hospitals import apis

app_name = "hospitals"

urlpatterns = [
    path("hospitals/register/", apis.HospitalRegisterApi.as_view(), name="register"),
    path("hospitals/", apis.HospitalListApi.as_view(), name="list"),
    path("hospitals/<int:hospital_id>/", apis.HospitalDetailApi.as_view(), name="detail"),
    path("admin/hospitals/pending/", apis.HospitalPendingListApi.as_view(), name="pending"),
    path("admin/hospitals/<int:hospital_id>/approve/", apis.HospitalApproveApi.as_view(), name="approve"),
    path("admin/hospitals/<int:hospital_id>/reject/", apis.HospitalRejectApi.as_view(), name="reject"),
]
