from django.conf import settings

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
