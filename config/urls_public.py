"""The platform host: the public JSON API, its docs, the registration form, the Django admin."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shared_apps.common.apis import PingApi
from shared_apps.common.views import healthz, media

handler404 = "shared_apps.common.views.not_found"
handler500 = "shared_apps.common.views.server_error"

# Swagger UI under the site's CSP: its start-up script is a separate file (the split view), but it has a <style>
# block, sets styles itself and draws its icons from data: URIs.
api_docs = csp_replace({"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("admin/", admin.site.urls),
    path("api/ping/", PingApi.as_view(), name="ping"),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"), name="schema"),
    path("api/docs/", api_docs, name="swagger-ui"),
    path("api/auth/", include("shared_apps.accounts.urls")),
    path("api/admin/audit-logs/", include("shared_apps.audit.urls")),
    path("api/admin/notifications/", include("shared_apps.notifications.urls")),
    path("api/", include("shared_apps.hospitals.urls")),
    path("api/doctors/", include("tenant_apps.doctors.urls")),
    path("api/appointments/", include("tenant_apps.appointments.urls")),
    path("api/waitlist/", include("tenant_apps.waitlist.urls")),
    # Served live by config/asgi.py; this view answers where no ASGI server runs (shared_apps/events/apis.py).
    path("api/events/", include("shared_apps.events.urls")),
    path("api/webhooks/", include("shared_apps.webhooks.urls")),
    path("fhir/r4/", include("tenant_apps.fhir.urls")),  # the FHIR R4 read facade (not in the OpenAPI schema)
    path("", include("shared_apps.accounts.urls_html")),
    path("", include("shared_apps.hospitals.urls_html")),
]
