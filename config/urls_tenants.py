"""A hospital's subdomain: its dashboard (HTML, session login)."""

from django.conf import settings
from django.urls import path

from shared_apps.common.views import healthz

handler404 = "shared_apps.common.views.not_found"
handler500 = "shared_apps.common.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
