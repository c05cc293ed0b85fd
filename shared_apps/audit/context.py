"""The real client IP of the request being served, for lockout, throttling and audit rows written deep in services."""

from contextvars import ContextVar

from django.conf import settings

_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


def client_ip_from(request) -> str | None:
    """REMOTE_ADDR, or — behind TRUSTED_PROXY_COUNT proxies — the X-Forwarded-For entry that many from the right.

    Entries further left were written by the client and can be forged. DRF's NUM_PROXIES applies the same rule.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR")


def current_client_ip() -> str | None:
    return _client_ip.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip_from(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
