from django.urls import path

from shared_apps.notifications import apis

app_name = "notifications"

urlpatterns = [path("", apis.NotificationListApi.as_view(), name="list")]
