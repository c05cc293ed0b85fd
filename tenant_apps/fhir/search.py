"""Search parameters of the facade: each resource names the ones it understands, anything else is a 400.

FHIR lets a server ignore unknown parameters ("lenient" handling), but a HIS that misspells `start` would then get
a default week of slots and believe it: refusing is what `Prefer: handling=strict` asks for, and the safer default.
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from django.http import QueryDict

from shared_apps.common.errors import ApplicationError

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_PAGE = 1_000_000
# Accepted on every search (paging, and `_format` as long as it asks for JSON).
COMMON_PARAMETERS = {"_count": "number", "_page": "number", "_format": "token"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
DATE_PREFIXES = ("eq", "ge", "gt", "le", "lt")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def bad_parameter(name: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", message, fields={name: [message]})


@dataclass(frozen=True)
class Paging:
    count: int
    page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.count


def parse(query: QueryDict, allowed: dict[str, str], repeatable: frozenset = frozenset()) -> dict[str, list[str]]:
    """The query's parameters as {name: [values]}, refusing unknown names, blank values and repeats of a name that
    may appear once. `allowed` is {name (with any modifier, e.g. "name:contains"): FHIR search type}."""
    values: dict[str, list[str]] = {}
    for name in query:
        if name not in allowed and name not in COMMON_PARAMETERS:
            raise bad_parameter(name, f"Unknown search parameter {name!r} for this resource.")
        given = query.getlist(name)
        if len(given) > 1 and name not in repeatable:
            raise bad_parameter(name, f"{name!r} may be given once.")
        if any(not value.strip() for value in given):
            raise bad_parameter(name, f"{name!r} needs a value.")
        values[name] = [value.strip() for value in given]
    fmt = values.get("_format", ["json"])[0]
    if fmt not in JSON_FORMATS:
        raise bad_parameter("_format", "Only JSON is served (_format=json).")
    return values


def paging(values: dict[str, list[str]]) -> Paging:
    return Paging(
        count=_positive(values, "_count", DEFAULT_COUNT, MAX_COUNT, clamp=True),
        page=_positive(values, "_page", 1, MAX_PAGE, clamp=False),
    )


def _positive(values, name: str, default: int, most: int, *, clamp: bool) -> int:
    if name not in values:
        return default
    raw = values[name][0]
    if not raw.isdigit() or int(raw) < 1:
        raise bad_parameter(name, f"{name} must be a whole number from 1.")
    if int(raw) > most and not clamp:
        raise bad_parameter(name, f"{name} must be at most {most}.")
    return min(int(raw), most)  # `_count` above the cap is served at the cap, as FHIR allows


def one(values: dict[str, list[str]], name: str) -> str | None:
    return values[name][0] if name in values else None


def name_pattern(values: dict[str, list[str]], name: str) -> str:
    """A PostgreSQL regular expression for FHIR's string search of `name` (case-insensitive): a word of the value
    starts with the text (the default), `name:contains` anywhere, `name:exact` the whole value. "" when absent."""
    for modifier, shape in (("", r"(^|[[:space:]]){}"), (":contains", "{}"), (":exact", "^{}$")):
        text = one(values, name + modifier)
        if text is not None:
            return shape.format(re.escape(text.upper()))
    return ""


def token(value: str) -> str:
    """The code of a token parameter (`system|code` or `code`)."""
    return value.rpartition("|")[2]


def reference_id(value: str, name: str, resource_types: tuple[str, ...]) -> str:
    """The id of a reference parameter: `Type/id` (one of `resource_types`) or a bare `id`."""
    kind, _, ident = value.rpartition("/")
    if kind and kind not in resource_types:
        raise bad_parameter(name, f"{name} must reference {' or '.join(resource_types)}.")
    return ident


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


@dataclass(frozen=True)
class DateBound:
    """One `start=<prefix><date or instant>` value, resolved in the hospital's zone by `instants`."""

    prefix: str
    value: dt.date | dt.datetime

    def instants(self, zone) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(inclusive lower, exclusive upper) instants on a slot's start."""
        if isinstance(self.value, dt.datetime):
            first, after = self.value, self.value + dt.timedelta(microseconds=1)
        else:
            first = dt.datetime.combine(self.value, dt.time(), zone)
            after = dt.datetime.combine(self.value + dt.timedelta(days=1), dt.time(), zone)
        return {
            "eq": (first, after),
            "ge": (first, None),
            "gt": (after, None),
            "le": (None, after),
            "lt": (None, first),
        }[self.prefix]


def date_bound(name: str, raw: str) -> DateBound:
    """`2026-12-07`, `ge2026-12-07`, `lt2026-12-08T09:00:00+05:30`: a date (the hospital's local day) or an instant
    with its offset (FHIR requires one when a time is given)."""
    prefix = raw[:2] if raw[:2] in DATE_PREFIXES else "eq"
    text = raw[2:] if raw[:2] in DATE_PREFIXES else raw
    try:
        if _DATE.fullmatch(text):
            return DateBound(prefix, dt.date.fromisoformat(text))
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad_parameter(name, f"{name} must be a date (YYYY-MM-DD) or an instant with an offset.") from None
    if instant.tzinfo is None:
        raise bad_parameter(name, f"{name} with a time needs an offset (Z or ±hh:mm).")
    return DateBound(prefix, instant)
