"""OpenAPI helpers: the error shape and the codes each status can carry, for the Flutter client generator."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField(), help_text="Messages per input field (400 only).")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_DESCRIPTIONS = {
    400: "`invalid` (see `fields`), `malformed_request`",
    401: "`not_authenticated`, `authentication_failed`",
    403: "`permission_denied`",
    404: "`not_found`: missing, or not yours",
    409: "conflict",
    413: "`payload_too_large`",
    422: "`idempotency_mismatch`",
    429: "`throttled`, `locked_out`",
    503: "service not ready",
}


def error_responses(*statuses: int, codes: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    codes = codes or {}
    return {
        status: OpenApiResponse(ErrorSerializer, description=codes.get(status, _DESCRIPTIONS.get(status, "error")))
        for status in statuses
    }


class AutoSchema(openapi.AutoSchema):
    """Names a view's nested serializers after the view (LoginApi.InputSerializer → LoginInputRequest).

    Every API view declares its own `InputSerializer`/`OutputSerializer`; without this their components collide.
    """

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        serializer_class = serializer if isinstance(serializer, type) else type(serializer)
        outer = serializer_class.__qualname__.split(".")
        if len(outer) > 1 and outer[0].endswith("Api"):
            return outer[0].removesuffix("Api") + name
        return name
