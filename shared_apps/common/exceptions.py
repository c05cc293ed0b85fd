"""Every API error leaves through here, in one shape: {"error": {"code", "message", "fields"}}."""

import logging

from axes.exceptions import AxesBackendPermissionDenied
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from shared_apps.common.errors import ApplicationError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_fields(detail) -> dict:
    """DRF's nested ErrorDetail lists/dicts → plain JSON (lists of messages per field)."""
    if isinstance(detail, dict):
        return {key: _flatten_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_flatten_fields(item) for item in detail]
    return [str(detail)]


def _validation_response(detail) -> Response:
    fields = _flatten_fields(detail)
    if isinstance(fields, list):
        fields = {"non_field_errors": fields}
    message = "The request is not valid."
    if list(fields) == ["non_field_errors"]:
        message = "; ".join(str(m) for m in fields["non_field_errors"])
    return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    response = _error_response(exc)
    if response is not None and response.status_code == status.HTTP_403_FORBIDDEN:
        _record_denial(context.get("request"), response.data["error"]["code"])
    return response


def _record_denial(request, code: str) -> None:
    """Permission denials are audited: who tried what, where."""
    from shared_apps.audit.services import audit_record

    if request is None:
        return
    user = request.user if getattr(request.user, "is_authenticated", False) else None
    audit_record(
        actor=user,
        action="access.denied",
        entity="endpoint",
        entity_id=request.path[:64],
        metadata={"method": request.method, "code": code},
    )


def _error_response(exc):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return _validation_response(as_serializer_error(exc))
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc.detail)
    if isinstance(exc, InvalidToken | TokenError):
        return Response(
            error_body("authentication_failed", "The token is invalid or expired."),
            status=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if isinstance(exc, AxesBackendPermissionDenied):
        return Response(
            error_body("locked_out", "Too many failed sign-in attempts. Try again later."),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(
            error_body("permission_denied", "You do not have permission to perform this action."),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", "The request body is too large."), status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("bad_request", "The request was refused."), status=400)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), exc.default_code)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return Response(error_body(code, str(message)), status=exc.status_code, headers=headers)
    return None


def json_error_response(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)
