from django.conf import settings
from django.utils.cache import add_never_cache_headers

from shared_apps.common.exceptions import json_error_response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds MAX_REQUEST_BYTES before anything reads it (413).

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files; this does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error_response("bad_request", "Invalid Content-Length header.", 400)
        if length > settings.MAX_REQUEST_BYTES:
            return json_error_response("payload_too_large", "The request body is too large.", 413)
        return self.get_response(request)


class DashboardNoStoreMiddleware:
    """Dashboard pages show patient data: no browser or proxy keeps a copy (`Cache-Control: no-store, private`),
    so the back button after sign-out or a shared computer's cache shows nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "dashboard" in match.namespaces:
            add_never_cache_headers(response)
        return response
