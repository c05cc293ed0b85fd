from django.urls import path

from tenant_apps.waitlist import apis

app_name = "waitlist"

urlpatterns = [
    path("", apis.WaitlistApi.as_view(), name="list"),
    path("<uuid:entry_id>/", apis.WaitlistEntryApi.as_view(), name="entry"),
    path("<uuid:entry_id>/accept/", apis.WaitlistAcceptApi.as_view(), name="accept"),
    path("<uuid:entry_id>/decline/", apis.WaitlistDeclineApi.as_view(), name="decline"),
]
