from django.urls import path

from shared_apps.events import apis

app_name = "events"

urlpatterns = [path("", apis.EventStreamApi.as_view(), name="stream")]
