from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def validated(serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
    """Validate input with a (nested) InputSerializer; raises DRF's ValidationError → 400 "invalid"."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class StrictCharField(serializers.CharField):
    """A CharField that refuses NUL bytes and other control characters (PostgreSQL cannot store NUL)."""

    default_error_messages = {"control": "Control characters are not allowed."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            self.fail("control")
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalDateTimeField(serializers.ReadOnlyField):
    """An aware datetime shown with its own UTC offset (the hospital's), not converted to the server's zone."""

    def to_representation(self, value):
        return value.isoformat(timespec="seconds")
