"""OpenAPI helpers: the error shape and the codes each status can carry, for the Flutter client generator."""

from django.db.models import Choices
from django.utils.module_loading import import_string
from drf_spectacular import openapi
from drf_spectacular.drainage import warn
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.settings import spectacular_settings
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


def _enum_names_by_values() -> dict[frozenset, str]:
    """ENUM_NAME_OVERRIDES as {set of values: component name}."""
    names = {}
    for name, choices in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        if isinstance(choices, str):
            choices = import_string(choices)
        if isinstance(choices, type) and issubclass(choices, Choices):
            choices = choices.choices
        names[frozenset(c if isinstance(c, str) else c[0] for c in choices)] = name
    return names


def postprocess_parameter_enums(result, generator, **kwargs):
    """Turn each enum query parameter into a reference to a named enum component (from ENUM_NAME_OVERRIDES).

    drf-spectacular names enums of serializer fields but leaves those of parameters inline, and client generators
    then name them after the parameter: dart-dio turns `when`, a Dart keyword, into `ModelWhen`. An enum parameter
    whose choices have no name, or that has a default (openapi-python-client skips the operation when it is not one
    of the values), is left as it is with a warning, so the schema test (which fails on warnings) catches it.
    """
    names = _enum_names_by_values()
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if "enum" not in schema:
                    continue
                if "default" in schema:  # DRF's ChoiceField(required=False, default="") puts "" outside the enum
                    warn(f'enum parameter "{parameter["name"]}" of {path} has a default: declare it without one')
                    continue
                name = names.get(frozenset(schema["enum"]))
                if name is None:
                    warn(f'enum parameter "{parameter["name"]}" of {path} has no name: add it to ENUM_NAME_OVERRIDES')
                    continue
                component = ResolvedComponent(
                    name=name,
                    type=ResolvedComponent.SCHEMA,
                    schema={"type": schema.get("type", "string"), "enum": schema["enum"]},
                    object=name,
                )
                generator.registry.register_on_missing(component)  # a field's enum of that name may be there
                parameter["schema"] = component.ref
    result["components"] = generator.registry.build(spectacular_settings.APPEND_COMPONENTS)
    return result
