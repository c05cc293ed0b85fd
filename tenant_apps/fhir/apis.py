"""The facade's views: one per resource type, reads (`Type/<id>`) and searches (`Type?…`) as FHIR defines them.

Every answer is `application/fhir+json` whatever JSON the client accepts; an error leaves through the project's
exception handler and is then reshaped into an OperationOutcome with the same status. `FHIR_RESOURCES` is the
registry the CapabilityStatement is generated from, so `metadata` lists exactly what is routed.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from shared_apps.accounts.permissions import IsPatient
from shared_apps.common.errors import NotFound
from shared_apps.common.pagination import with_total
from shared_apps.directory.selectors import DirectoryFilters, directory_page, doctor_entry_get_public
from shared_apps.hospitals.selectors import hospital_get_public, hospital_list_public
from tenant_apps.fhir import resources
from tenant_apps.fhir.search import (
    Paging,
    bad_parameter,
    date_bound,
    int_or_none,
    name_pattern,
    one,
    paging,
    parse,
    reference_id,
    token,
    uuid_or_none,
)
from tenant_apps.fhir.selectors import appointment_list, schedule_slots

ACCEPTABLE = {"application/fhir+json", "application/json+fhir", "application/json", "application/*", "*/*"}
SLOT_STATUSES = {"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"}  # FHIR's SlotStatus
APPOINTMENT_STATUSES = {  # FHIR's AppointmentStatus → ours (None: a status we never have)
    "proposed": None, "pending": None, "booked": "booked", "arrived": None, "fulfilled": "completed",
    "cancelled": "cancelled", "noshow": "no_show", "entered-in-error": None, "checked-in": None, "waitlist": None,
}  # fmt: skip


class NoMatch(Exception):
    """A search that can match nothing (a reference to an id of the wrong shape): an empty Bundle."""


class FhirRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    charset = "utf-8"


class FhirNegotiation(BaseContentNegotiation):
    """FHIR JSON for any Accept that allows JSON (or none); 406 for XML or Turtle only."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        wanted = {part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()}
        if wanted and not wanted & ACCEPTABLE:
            raise NotAcceptable("Only application/fhir+json is served.")
        return renderers[0], renderers[0].media_type


@extend_schema(exclude=True)  # FHIR's own contract (the CapabilityStatement), not the JSON API's OpenAPI schema
class FhirApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [FhirRenderer]
    content_negotiation_class = FhirNegotiation
    metadata_class = None  # OPTIONS is a 405 like any other method we do not serve

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        error = response.data.get("error") if isinstance(response.data, dict) else None
        if error:
            response.data = resources.operation_outcome(response.status_code, error["code"], error["message"])
        return response


class ResourceApi(FhirApi):
    """`GET <Type>/<id>` (when `readable`) and `GET <Type>?<parameters>`."""

    resource_type = ""
    readable = True
    search_parameters: dict[str, str] = {}  # name (with a modifier, e.g. "name:contains") → FHIR search type
    repeatable: frozenset = frozenset()

    def get(self, request, ident: str | None = None):
        if ident is not None:
            return Response(self.read(ident))
        values = parse(request.query_params, self.search_parameters, self.repeatable)
        page = paging(values)
        try:
            found, total = self.search(values, page)
        except NoMatch:
            found, total = [], 0
        return Response(self.bundle(request, found, total, page))

    def read(self, ident: str) -> dict:
        raise NotImplementedError

    def search(self, values: dict[str, list[str]], page: Paging) -> tuple[list[dict], int]:
        raise NotImplementedError

    def bundle(self, request, found: list[dict], total: int, page: Paging) -> dict:
        self_url = request.build_absolute_uri()
        more = page.offset + len(found) < total
        return resources.bundle(
            base=request.build_absolute_uri("/fhir/r4/"),
            self_url=self_url,
            next_url=replace_query_param(self_url, "_page", page.page + 1) if more and found else None,
            total=total,
            resources=found,
        )


def _queryset_page(queryset, page: Paging, build) -> tuple[list[dict], int]:
    rows = list(with_total(queryset)[page.offset : page.offset + page.count])
    return [build(r) for r in rows], rows[0]._total if rows else 0


class OrganizationApi(ResourceApi):
    resource_type = "Organization"
    search_parameters = {
        **{f"name{m}": "string" for m in ("", ":contains", ":exact")},
        **{f"address-city{m}": "string" for m in ("", ":contains", ":exact")},
    }

    def read(self, ident):
        hospital_id = int_or_none(ident)
        if hospital_id is None:
            raise NotFound()
        return resources.organization(hospital_get_public(hospital_id=hospital_id))

    def search(self, values, page):
        hospitals = hospital_list_public(
            name_pattern=name_pattern(values, "name"), city_pattern=name_pattern(values, "address-city")
        )
        return _queryset_page(hospitals, page, resources.organization)


class DoctorResourceApi(ResourceApi):
    """Practitioner, PractitionerRole and Schedule: one each per listed doctor, read from the directory page."""

    build = staticmethod(resources.practitioner)  # a row of the directory page → the resource

    def read(self, ident):
        doctor_id = uuid_or_none(ident)
        rows = directory_page(DirectoryFilters(doctor_id=doctor_id), offset=0, limit=1)[0] if doctor_id else []
        if not rows:
            raise NotFound()
        return self.build(rows[0])

    def search(self, values, page):
        rows, total = directory_page(self.filters(values), offset=page.offset, limit=page.count)
        return [self.build(row) for row in rows], total

    def filters(self, values) -> DirectoryFilters:
        raise NotImplementedError


def _doctor_reference(values, name: str, types: tuple[str, ...]):
    raw = one(values, name)
    if raw is None:
        return None
    doctor_id = uuid_or_none(reference_id(raw, name, types))
    if doctor_id is None:
        raise NoMatch
    return doctor_id


class PractitionerApi(DoctorResourceApi):
    resource_type = "Practitioner"
    search_parameters = {f"name{m}": "string" for m in ("", ":contains", ":exact")}
    build = staticmethod(resources.practitioner)

    def filters(self, values):
        return DirectoryFilters(name_pattern=name_pattern(values, "name"))


class PractitionerRoleApi(DoctorResourceApi):
    resource_type = "PractitionerRole"
    search_parameters = {"specialty": "token", "organization": "reference", "practitioner": "reference"}
    build = staticmethod(resources.practitioner_role)

    def filters(self, values):
        hospital_id = None
        if "organization" in values:
            hospital_id = int_or_none(reference_id(values["organization"][0], "organization", ("Organization",)))
            if hospital_id is None:
                raise NoMatch
        specialty = one(values, "specialty")
        return DirectoryFilters(
            hospital_id=hospital_id,
            doctor_id=_doctor_reference(values, "practitioner", ("Practitioner",)),
            specialization=token(specialty) if specialty else "",
        )


class ScheduleApi(DoctorResourceApi):
    resource_type = "Schedule"
    search_parameters = {"actor": "reference"}
    build = staticmethod(resources.schedule)

    def filters(self, values):
        return DirectoryFilters(doctor_id=_doctor_reference(values, "actor", ("Practitioner", "PractitionerRole")))


class SlotApi(ResourceApi):
    """`Slot?schedule=Schedule/<doctor id>&start=ge…&start=lt…&status=free`: the doctor's slots, from now and a
    week by default, at most AVAILABILITY_MAX_RANGE_DAYS of dates."""

    resource_type = "Slot"
    readable = False
    search_parameters = {"schedule": "reference", "start": "date", "status": "token"}
    repeatable = frozenset({"start"})

    def search(self, values, page):
        raw = one(values, "schedule")
        if raw is None:
            raise bad_parameter("schedule", "schedule is required (schedule=Schedule/<id>).")
        statuses = _codes(values, "status", SLOT_STATUSES) or {"free", "busy"}
        bounds = [date_bound("start", value) for value in values.get("start", [])]
        doctor_id = uuid_or_none(reference_id(raw, "schedule", ("Schedule",)))
        entry = doctor_entry_get_public(doctor_id=doctor_id) if doctor_id else None
        if entry is None:
            return [], 0
        lower, upper = _narrowest([bound.instants(entry.hospital.zone) for bound in bounds])
        slots = schedule_slots(entry=entry, lower=lower, upper=upper, statuses=statuses)
        shown = slots[page.offset : page.offset + page.count]
        zone = entry.hospital.zone
        return [resources.slot(entry.doctor_id, s, status, zone) for s, status in shown], len(slots)


def _narrowest(ranges):
    lowers = [lower for lower, _ in ranges if lower is not None]
    uppers = [upper for _, upper in ranges if upper is not None]
    return (max(lowers) if lowers else None), (min(uppers) if uppers else None)


def _codes(values, name: str, known) -> set[str]:
    """The codes of a token parameter that may list several (`status=free,busy`); unknown codes are a 400."""
    raw = one(values, name)
    if raw is None:
        return set()
    codes = {token(code.strip()) for code in raw.split(",")}
    if not codes <= set(known):
        raise bad_parameter(name, f"{name} must be among: {', '.join(sorted(known))}.")
    return codes


class AppointmentApi(ResourceApi):
    """The signed-in patient's appointments in every hospital (Bearer); anyone else's id is a 404."""

    resource_type = "Appointment"
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsPatient]
    search_parameters = {"status": "token"}

    def read(self, ident):
        appointment_id = uuid_or_none(ident)
        entry = appointment_list(user=self.request.user).filter(appointment_id=appointment_id).first()
        if entry is None:
            raise NotFound()
        return resources.appointment(entry)

    def search(self, values, page):
        codes = _codes(values, "status", APPOINTMENT_STATUSES)
        statuses = [APPOINTMENT_STATUSES[c] for c in codes if APPOINTMENT_STATUSES[c]] if codes else None
        return _queryset_page(appointment_list(user=self.request.user, statuses=statuses), page, resources.appointment)


FHIR_RESOURCES: tuple[type[ResourceApi], ...] = (
    OrganizationApi,
    PractitionerApi,
    PractitionerRoleApi,
    ScheduleApi,
    SlotApi,
    AppointmentApi,
)


class MetadataApi(FhirApi):
    """The CapabilityStatement: exactly the resources, interactions and search parameters routed here."""

    def get(self, request):
        parse(request.query_params, {})
        base = request.build_absolute_uri("/fhir/r4/")
        return Response(resources.capability_statement(base=base, apis=FHIR_RESOURCES))


class UnknownApi(FhirApi):
    """Any other path under /fhir/r4/: a resource type or interaction we do not serve."""

    def get(self, request, path):
        raise NotFound(f"{path.split('/')[0] or 'This'} is not served here; see /fhir/r4/metadata.")
