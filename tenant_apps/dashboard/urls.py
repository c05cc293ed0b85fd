from django.urls import path

from tenant_apps.dashboard.views import appointments, auth, availability, doctors, hospital, overview, waitlist

app_name = "dashboard"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", auth.password_reset, name="password-reset"),
    path("doctors/", doctors.doctor_list, name="doctors"),
    path("doctors/add/", doctors.doctor_add, name="doctor-add"),
    path("doctors/<uuid:doctor_id>/", doctors.doctor_edit, name="doctor-edit"),
    path("doctors/<uuid:doctor_id>/deactivate/", doctors.doctor_deactivate, name="doctor-deactivate"),
    path("doctors/<uuid:doctor_id>/activate/", doctors.doctor_activate, name="doctor-activate"),
    path("doctors/<uuid:doctor_id>/invite/", doctors.doctor_invite_send, name="doctor-invite"),
    path("availability/", availability.availability_index, name="availability"),
    path("availability/<uuid:doctor_id>/", availability.availability_week_view, name="availability-week"),
    path("availability/<uuid:doctor_id>/add/", availability.availability_add, name="availability-add"),
    path("availability/<uuid:doctor_id>/remove/", availability.availability_remove, name="availability-remove"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/<uuid:appointment_id>/", appointments.appointment_detail, name="appointment"),
    path("appointments/<uuid:appointment_id>/cancel/", appointments.appointment_cancel_view, name="appointment-cancel"),
    path(
        "appointments/<uuid:appointment_id>/complete/",
        appointments.appointment_complete_view,
        name="appointment-complete",
    ),
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<uuid:entry_id>/remove/", waitlist.waitlist_remove_view, name="waitlist-remove"),
    path("profile/", hospital.profile, name="profile"),
    path("activity/", hospital.activity, name="activity"),
    path("notifications/", hospital.notifications, name="notifications"),
]
