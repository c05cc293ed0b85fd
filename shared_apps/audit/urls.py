from django.urls import path

from shared_apps.audit import apis

app_name = "audit"

urlpatterns = [path("", apis.AuditLogListApi.as_view(), name="list")]
