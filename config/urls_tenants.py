"""A hospital's subdomain: its dashboard (HTML, session login)."""

from django.urls import include, path, re_path

from shared_apps.common.views import healthz, media

handler404 = "shared_apps.common.views.not_found"
handler500 = "shared_apps.common.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("", include("tenant_apps.dashboard.urls")),
]
