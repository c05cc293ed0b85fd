"""FHIR R4 resources built from our rows, as JSON-ready dicts (the tests validate every one with `fhir.resources`).

Ids are the API's ids: a hospital's id for Organization, a doctor's id for Practitioner, PractitionerRole and
Schedule (a doctor works at one hospital and has one schedule), an appointment's id for Appointment. A slot has no
row of its own: its id is the schedule's id and the slot's start (UTC, to the minute).
"""

import datetime as dt

from shared_apps.hospitals.models import Hospital

FHIR_VERSION = "4.0.1"
CAPABILITY_DATE = "2026-12-06"  # when what the facade serves last changed
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
ERROR_CODE_SYSTEM = "urn:rhms:api-error-code"  # the JSON API's error codes
CANCELLATION_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
# Our appointment statuses → FHIR's AppointmentStatus codes.
APPOINTMENT_STATUS = {"booked": "booked", "cancelled": "cancelled", "completed": "fulfilled", "no_show": "noshow"}
# Who cancelled → appointment-cancellation-reason ("pat": the patient, "prov": the provider).
CANCELLED_BY = {"patient": ("pat", "Patient"), "hospital": ("prov", "Provider")}
# OperationOutcome's issue type for each HTTP status we answer with.
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 415: "not-supported", 429: "throttled"}  # fmt: skip


def instant(value: dt.datetime, zone) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def reference(resource_type: str, ident, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{ident}"}
    return {**ref, "display": display} if display else ref


def organization(hospital: Hospital) -> dict:
    """An approved hospital, with what its public page shows (no registration number, no policy)."""
    resource = {
        "resourceType": "Organization",
        "id": str(hospital.pk),
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov", "display": "Healthcare Provider"}]}],
        "name": hospital.name,
        "telecom": [{"system": "email", "value": hospital.email, "use": "work"}],
        "address": [{"use": "work", "text": hospital.address, "city": hospital.city}],
    }
    if hospital.phone_number:
        resource["telecom"].insert(0, {"system": "phone", "value": str(hospital.phone_number), "use": "work"})
    return resource


def practitioner(row: dict) -> dict:
    """A listed doctor (a row of the directory page): the name only, never the email."""
    return {
        "resourceType": "Practitioner",
        "id": str(row["doctor_id"]),
        "active": True,
        "name": [{"use": "official", "text": row["name"]}],
    }


def practitioner_role(row: dict) -> dict:
    """The doctor at their hospital: specialty and the organization."""
    return {
        "resourceType": "PractitionerRole",
        "id": str(row["doctor_id"]),
        "active": True,
        "practitioner": reference("Practitioner", row["doctor_id"], row["name"]),
        "organization": reference("Organization", row["hospital_id"], row["hospital_name"]),
        "specialty": [{"text": row["specialization"]}],
    }


def schedule(row: dict) -> dict:
    """The doctor's one schedule: its slots are the Slot search with `schedule=Schedule/<doctor id>`."""
    return {
        "resourceType": "Schedule",
        "id": str(row["doctor_id"]),
        "active": True,
        "specialty": [{"text": row["specialization"]}],
        "actor": [
            reference("Practitioner", row["doctor_id"], row["name"]),
            reference("PractitionerRole", row["doctor_id"]),
        ],
        "comment": f"{row['slot_minutes']}-minute slots at {row['hospital_name']}; "
        "book through the RHMS API (POST /api/appointments/book/).",
    }


def slot(doctor_id, slot, status: str, zone) -> dict:
    """One slot of the doctor's grid: `free` (bookable now) or `busy` (booked or held)."""
    return {
        "resourceType": "Slot",
        "id": f"{doctor_id}.{slot.starts_at.astimezone(dt.UTC):%Y%m%d%H%M}",
        "schedule": reference("Schedule", doctor_id),
        "status": status,
        "start": instant(slot.starts_at, zone),
        "end": instant(slot.ends_at, zone),
    }


def appointment(entry) -> dict:
    """The patient's booking (a directory BookingEntry); the reason for the visit is never included."""
    hospital, doctor = entry.hospital, entry.doctor
    zone = hospital.zone
    resource = {
        "resourceType": "Appointment",
        "id": str(entry.appointment_id),
        "meta": {"lastUpdated": entry.updated_at.astimezone(dt.UTC).isoformat(timespec="seconds")},
        "status": APPOINTMENT_STATUS[entry.status],
        "specialty": [{"text": doctor.specialization}],
        "start": instant(entry.starts_at, zone),
        "end": instant(entry.ends_at, zone),
        "minutesDuration": int((entry.ends_at - entry.starts_at).total_seconds() // 60),
        "participant": [
            {
                "actor": reference("Practitioner", doctor.doctor_id, doctor.name),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": reference("PractitionerRole", doctor.doctor_id, hospital.name),
                "required": "required",
                "status": "accepted",
            },
        ],  # fmt: skip
    }
    if entry.cancelled_by in CANCELLED_BY:
        code, display = CANCELLED_BY[entry.cancelled_by]
        resource["cancelationReason"] = {"coding": [{"system": CANCELLATION_REASON, "code": code, "display": display}]}
    return resource


def bundle(*, base: str, self_url: str, next_url: str | None, total: int, resources: list[dict]) -> dict:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }


def operation_outcome(status: int, code: str, message: str) -> dict:
    """An error: FHIR's issue type for the status, our error code (the JSON API's) in `details`."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_TYPES.get(status, "processing"),
                "details": {"coding": [{"system": ERROR_CODE_SYSTEM, "code": code}]},
                "diagnostics": message,
            }
        ],
    }


def capability_statement(*, base: str, apis) -> dict:
    """What this server does, from the views themselves (`apis`: each with resource_type, readable and
    search_parameters), so it cannot list more or less than is routed."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "RHMS",
        "kind": "instance",
        "software": {"name": "RHMS FHIR facade"},
        "implementation": {"description": "RHMS: hospitals, doctors, schedules, slots and appointments", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Appointment needs a patient's Bearer token (POST /api/auth/login/) and "
                "answers only with that patient's appointments; everything else is public.",
                "resource": [_capability_of(api) for api in apis],
            }
        ],
    }


def _capability_of(api) -> dict:
    interactions = (["read"] if api.readable else []) + ["search-type"]
    names = dict.fromkeys(name.partition(":")[0] for name in api.search_parameters)  # modifiers are not parameters
    return {
        "type": api.resource_type,
        "interaction": [{"code": code} for code in interactions],
        "searchParam": [{"name": name, "type": api.search_parameters[name]} for name in names],
    }
