"""Site-wide views: health check and JSON 404/500 pages for the API."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from shared_apps.common.exceptions import json_error_response


@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:
        return False


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error_response("not_found", "Not found.", 404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_error_response("server_error", "Something went wrong on our side.", 500)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)


def locked_out(request, original_response=None, credentials=None):
    """django-axes lockout response: the API's error shape for /api/, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        return json_error_response("locked_out", "Too many failed sign-in attempts. Try again later.", 429)
    from django.shortcuts import render

    return render(request, "accounts/locked_out.html", status=429)


def rate_limited(request, exception=None):
    """django-ratelimit's view for HTML forms that exceeded their rate."""
    from django.shortcuts import render

    return render(request, "rate_limited.html", status=429)


def media(request, path: str):
    """Uploaded files (logos, re-encoded images only): never sniffed or rendered as a page, cached for a day."""
    from django.conf import settings
    from django.views.static import serve

    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "public, max-age=86400"
    return response
