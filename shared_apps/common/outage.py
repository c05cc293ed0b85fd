"""While PostgreSQL cannot be reached, answer 503 with Retry-After instead of a bare 500.

Django already replaces a persistent connection that died between requests (CONN_HEALTH_CHECKS pings it before
the first query of a request, and a connection that failed mid-request is closed when the request ends), so the
first request after the database is back succeeds. What is left is the answer while it is down: the API's error
shape for API clients, a short page for browsers. Two places meet the outage and both use this module:
`DatabaseOutageMiddleware` for every view (DRF re-raises what its exception handler does not answer, so API views
arrive here too) and the hospital routing middleware (the subdomain lookup, before any view runs).
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
CODE = "service_unavailable"
MESSAGE = "The service is briefly unavailable. Try again in a few seconds."


def is_database_outage(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def database_outage_response(request, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: JSON in the error shape under /api/ (and for JSON clients), plain text otherwise."""
    logger.warning("Database unavailable (%s): %s %s answered 503", type(exc).__name__, request.method, request.path)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        body = {"error": {"code": CODE, "message": MESSAGE, "fields": {}}}
        return JsonResponse(body, status=503, headers=headers)
    return HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8", headers=headers)


class DatabaseOutageMiddleware:
    """Turns a database outage raised by any view (API, dashboard, admin) into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if is_database_outage(exc):
            return database_outage_response(request, exc)
        return None
