"""Who opens a stream: the Bearer token of GET /api/events/, the dashboard session of GET /events/.

Synchronous (they read the database); the streams call them in a worker thread. Each returns the audience and when
the credential stops being valid, or raises StreamRefused with the API's error shape.
"""

import datetime as dt
import json
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from shared_apps.common.exceptions import error_body
from shared_apps.events.selectors import Audience, audience_for
from shared_apps.hospitals.tenancy.routing import hospital_for_host


class StreamRefused(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}
        self.json = json.dumps(error_body(code, message)).encode()


NOT_FOUND = (404, "not_found", "Not found.")


@dataclass(frozen=True)
class Grant:
    audience: Audience
    expires_at: dt.datetime


def hostname_of(headers: dict[bytes, bytes]) -> str:
    """The request's host name, checked against ALLOWED_HOSTS as Django checks it."""
    host = headers.get(b"host", b"").decode("latin-1")
    hostname, _port = split_domain_port(host)
    if not hostname or not validate_host(hostname, settings.ALLOWED_HOSTS):
        raise StreamRefused(400, "bad_request", "The request was refused.")
    return hostname


def is_platform_host(hostname: str) -> bool:
    base = settings.BASE_DOMAIN
    return hostname == base or not hostname.endswith("." + base)


def bearer_grant(headers: dict[bytes, bytes]) -> Grant:
    """GET /api/events/ on the platform host: a valid access token of a patient or a staff member."""
    if not is_platform_host(hostname_of(headers)):
        raise StreamRefused(*NOT_FOUND)
    authorization = headers.get(b"authorization")
    if not authorization:
        raise StreamRefused(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    jwt = JWTAuthentication()
    try:
        token = jwt.get_validated_token(jwt.get_raw_token(authorization))
        user = jwt.get_user(token)
    except (InvalidToken, TokenError, AuthenticationFailed) as exc:
        raise StreamRefused(
            401, "authentication_failed", "The token is invalid or expired.", {"WWW-Authenticate": 'Bearer realm="api"'}
        ) from exc
    audience = audience_for(user)
    if audience is None:
        raise StreamRefused(403, "permission_denied", "Only patients and hospital staff have an event stream.")
    return Grant(audience=audience, expires_at=dt.datetime.fromtimestamp(token["exp"], tz=dt.UTC))


def session_grant(headers: dict[bytes, bytes]) -> Grant:
    """GET /events/ on a hospital's subdomain: the dashboard session of one of its active staff. Anyone else gets
    the 404 the dashboard gives them (an unknown or inactive hospital, a non-member), or a 401 when signed out."""
    hostname = hostname_of(headers)
    hospital = None if is_platform_host(hostname) else hospital_for_host(hostname)
    if hospital is None:
        raise StreamRefused(*NOT_FOUND)
    cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    store = import_module(settings.SESSION_ENGINE).SessionStore(cookies.get(settings.SESSION_COOKIE_NAME))
    user = _session_user(store)
    if user is None:
        raise StreamRefused(401, "not_authenticated", "Sign in to the dashboard first.")
    audience = audience_for(user, hospital)
    if audience is None:
        raise StreamRefused(*NOT_FOUND)
    return Grant(audience=audience, expires_at=store.get_expiry_date())


def _session_user(store):
    """The session's user as django.contrib.auth.get_user finds them (backend, and the password hash check that
    ends a session when the password changes), or None."""
    try:
        user_id = store[SESSION_KEY]
        backend_path = store[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not constant_time_compare(store.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return None
    return user


def seconds_left(grant: Grant) -> float:
    return (grant.expires_at - timezone.now()).total_seconds()
