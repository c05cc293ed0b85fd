from django.urls import path

from tenant_apps.dashboard.views import (
    appointments,
    auth,
    availability,
    doctors,
    hospital,
    overview,
    schedule,
    waitlist,
    webhooks,
)

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
    path("availability/<uuid:doctor_id>/hours/", schedule.weekly_hours_edit, name="weekly-hours"),
    path("availability/<uuid:doctor_id>/time-off/", schedule.time_off_list_view, name="time-off"),
    path("availability/<uuid:doctor_id>/time-off/add/", schedule.time_off_add_view, name="time-off-add"),
    path(
        "availability/<uuid:doctor_id>/time-off/<uuid:time_off_id>/remove/",
        schedule.time_off_remove_view,
        name="time-off-remove",
    ),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/<uuid:appointment_id>/", appointments.appointment_detail, name="appointment"),
    path("appointments/<uuid:appointment_id>/cancel/", appointments.appointment_cancel_view, name="appointment-cancel"),
    path(
        "appointments/<uuid:appointment_id>/complete/",
        appointments.appointment_complete_view,
        name="appointment-complete",
    ),
    path(
        "appointments/<uuid:appointment_id>/no-show/",
        appointments.appointment_no_show_view,
        name="appointment-no-show",
    ),
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<uuid:entry_id>/remove/", waitlist.waitlist_remove_view, name="waitlist-remove"),
    path("profile/", hospital.profile, name="profile"),
    path("activity/", hospital.activity, name="activity"),
    path("notifications/", hospital.notifications, name="notifications"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/<uuid:webhook_id>/", webhooks.webhook_detail, name="webhook"),
    path("webhooks/<uuid:webhook_id>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("webhooks/<uuid:webhook_id>/enable/", webhooks.webhook_enable, name="webhook-enable"),
]
