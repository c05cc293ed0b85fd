from django.urls import path

from shared_apps.webhooks import apis

app_name = "webhooks"

urlpatterns = [
    path("", apis.EndpointListApi.as_view(), name="list"),
    path("<uuid:webhook_id>/", apis.EndpointDetailApi.as_view(), name="detail"),
]
