import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime
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


class LocalTimeField(serializers.TimeField):
    """A wall-clock time "HH:MM" in the hospital's zone: no seconds, no UTC offset."""

    default_error_messages = {"local": "Use the hospital's local time as HH:MM, without seconds or offset."}

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        # Django's parse_time silently drops an offset ("09:00+01:00" → 09:00): accept HH:MM only.
        if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
            self.fail("local")
        return super().to_internal_value(value)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant with its offset ("2026-12-06T09:30:00Z", "…+05:30"); a naive time is ambiguous and
    refused. In a query string, write the offset's "+" as %2B (a bare "+" reads as a space), or use "Z"."""

    default_error_messages = {"naive": "Give an ISO 8601 date and time with an offset, e.g. 2026-12-06T09:30:00Z."}

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value.strip()) if isinstance(value, str) else None
        except ValueError:  # well-formed but impossible, e.g. month 13
            parsed = None
        if parsed is None or timezone.is_naive(parsed):
            self.fail("naive")
        return super().to_internal_value(parsed)  # parsed once: DRF only applies the time zone to a datetime


class StrictDateField(serializers.DateField):
    """A date "YYYY-MM-DD" and nothing else (a datetime or an offset is refused, not truncated)."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or len(value) != 10:
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)
