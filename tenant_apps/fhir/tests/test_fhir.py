"""The FHIR R4 read facade: every resource received is validated against the standard's models (fhir.resources,
R4B: the R4 resources served here have the same shape there), and the codes the models leave open are asserted."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from fhir.resources.R4B import get_fhir_model_class

from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from tenant_apps.appointments.tests.helpers import book, bookable_doctor
from tenant_apps.doctors.tests.factories import make_doctor
from tenant_apps.fhir.apis import FHIR_RESOURCES

pytestmark = pytest.mark.django_db
FHIR_JSON = "application/fhir+json"


def valid(body: dict) -> dict:
    """`body` after checking it against its resource's model, and a Bundle's entries against theirs."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", []):
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return body


def fhir(client, path: str, expect: int = 200, /, **params) -> dict:
    response = client.get(f"/fhir/r4/{path}", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = valid(response.json())
    if expect >= 400:
        assert body["resourceType"] == "OperationOutcome"
    return body


def ids(bundle: dict) -> list[str]:
    assert bundle["type"] == "searchset"
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def issue_code(outcome: dict) -> str:
    return outcome["issue"][0]["code"]


# --- the CapabilityStatement -------------------------------------------------------------------------------------


def test_metadata_lists_exactly_the_routed_resources_and_their_parameters(api):
    statement = fhir(api, "metadata")
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    patterns = get_resolver("tenant_apps.fhir.urls").url_patterns
    routed = {str(p.pattern).partition("/")[0] for p in patterns if p.name != "fhir-unknown"}
    assert set(listed) == routed - {"metadata"}
    for api_class in FHIR_RESOURCES:
        entry = listed[api_class.resource_type]
        assert {i["code"] for i in entry["interaction"]} == (
            {"read", "search-type"} if api_class.readable else {"search-type"}
        )
        names = {p["name"] for p in entry["searchParam"]}
        assert names == {name.partition(":")[0] for name in api_class.search_parameters}


@pytest.mark.parametrize("api_class", FHIR_RESOURCES, ids=lambda a: a.resource_type)
def test_a_parameter_the_statement_does_not_list_is_a_400(api, as_user, patient, api_class):
    client = as_user(patient) if api_class.resource_type == "Appointment" else api
    outcome = fhir(client, api_class.resource_type, 400, nmae="x")
    assert issue_code(outcome) == "invalid"
    assert "nmae" in outcome["issue"][0]["diagnostics"]


# --- Organization ------------------------------------------------------------------------------------------------


def test_organizations_are_the_approved_hospitals_searched_by_name_and_city(api, alpha, beta):
    PendingHospitalFactory(name="Alpha Pending")
    everyone = fhir(api, "Organization")
    assert ids(everyone) == [str(alpha.pk), str(beta.pk)]
    assert everyone["total"] == 2
    assert ids(fhir(api, "Organization", name="gen")) == [str(alpha.pk)]  # a word starts with it
    assert ids(fhir(api, "Organization", name="lpha")) == []
    assert ids(fhir(api, "Organization", **{"name:contains": "lpha"})) == [str(alpha.pk)]
    assert ids(fhir(api, "Organization", **{"name:exact": "beta clinic"})) == [str(beta.pk)]
    Hospital.objects.filter(pk=beta.pk).update(city="New York")
    assert ids(fhir(api, "Organization", **{"address-city": "york"})) == [str(beta.pk)]
    assert ids(fhir(api, "Organization", **{"address-city:exact": "new york"})) == [str(beta.pk)]


def test_an_organization_is_read_by_the_hospitals_id(api, alpha):
    organization = fhir(api, f"Organization/{alpha.pk}")
    assert organization["name"] == "Alpha General"
    assert organization["address"][0]["city"] == alpha.city
    assert {"system": "email", "value": alpha.email, "use": "work"} in organization["telecom"]


@pytest.mark.parametrize("ident", ["pending", "999999", "abc", "1" * 30])
def test_an_organization_patients_cannot_see_is_a_404_outcome(api, ident):
    if ident == "pending":
        ident = str(PendingHospitalFactory().pk)
    assert issue_code(fhir(api, f"Organization/{ident}", 404)) == "not-found"


# --- Practitioner, PractitionerRole, Schedule ----------------------------------------------------------------------


@pytest.fixture
def doctors(alpha, beta):
    return {
        "asha": make_doctor(alpha, name="Asha Rao", specialization="Cardiology"),
        "ben": make_doctor(alpha, name="Ben Okafor", specialization="Dermatology"),
        "cara": make_doctor(beta, name="Cara Rao-Singh", specialization="Cardiology"),
    }


def test_practitioners_are_the_listed_doctors_by_name_never_their_email(api, doctors):
    asha = fhir(api, f"Practitioner/{doctors['asha'].pk}")
    assert asha["name"][0]["text"] == "Asha Rao"
    assert doctors["asha"].email not in str(asha)
    assert set(ids(fhir(api, "Practitioner", name="rao"))) == {str(doctors["asha"].pk), str(doctors["cara"].pk)}
    assert ids(fhir(api, "Practitioner", name="ao")) == []
    assert ids(fhir(api, "Practitioner", **{"name:contains": "kafo"})) == [str(doctors["ben"].pk)]


def test_an_inactive_doctor_is_not_a_practitioner(api, as_user, alpha, alpha_admin, doctors):
    as_user(alpha_admin).patch(f"/api/doctors/{doctors['ben'].pk}/", {"status": "inactive"}, format="json")
    for resource in ("Practitioner", "PractitionerRole", "Schedule"):
        assert issue_code(fhir(api, f"{resource}/{doctors['ben'].pk}", 404)) == "not-found"
    assert str(doctors["ben"].pk) not in ids(fhir(api, "Practitioner"))


def test_practitioner_roles_search_by_specialty_organization_and_practitioner(api, alpha, beta, doctors):
    role = fhir(api, f"PractitionerRole/{doctors['cara'].pk}")
    assert role["organization"]["reference"] == f"Organization/{beta.pk}"
    assert role["practitioner"]["reference"] == f"Practitioner/{doctors['cara'].pk}"
    assert role["specialty"][0]["text"] == "Cardiology"
    cardiology = fhir(api, "PractitionerRole", specialty="cardiology")
    assert set(ids(cardiology)) == {str(doctors["asha"].pk), str(doctors["cara"].pk)}
    at_alpha = fhir(api, "PractitionerRole", specialty="Cardiology", organization=f"Organization/{alpha.pk}")
    assert ids(at_alpha) == [str(doctors["asha"].pk)]
    assert ids(fhir(api, "PractitionerRole", practitioner=f"Practitioner/{doctors['ben'].pk}")) == [
        str(doctors["ben"].pk)
    ]
    assert ids(fhir(api, "PractitionerRole", organization="Organization/not-a-number")) == []
    assert issue_code(fhir(api, "PractitionerRole", 400, organization=f"Practitioner/{alpha.pk}")) == "invalid"


def test_each_doctor_has_one_schedule_found_by_its_actor(api, doctors):
    asha = str(doctors["asha"].pk)
    for actor in (f"Practitioner/{asha}", f"PractitionerRole/{asha}", asha):
        assert ids(fhir(api, "Schedule", actor=actor)) == [asha]
    schedule = fhir(api, f"Schedule/{asha}")
    assert schedule["actor"][0] == {"reference": f"Practitioner/{asha}", "display": "Asha Rao"}
    assert ids(fhir(api, "Schedule", actor=f"Practitioner/{uuid.uuid4()}")) == []


def test_searches_page_with_next_links_and_a_capped_count(api, alpha):
    for n in range(5):
        make_doctor(alpha, name=f"Pager {n}")
    first = fhir(api, "Practitioner", name="pager", _count=2)
    assert first["total"] == 5
    assert len(first["entry"]) == 2
    (next_url,) = [link["url"] for link in first["link"] if link["relation"] == "next"]
    second = api.get(next_url).json()
    third = api.get([link["url"] for link in second["link"] if link["relation"] == "next"][0]).json()
    assert [link["relation"] for link in third["link"]] == ["self"]
    assert len({*ids(first), *ids(second), *ids(third)}) == 5
    assert (
        first["entry"][0]["fullUrl"] == f"http://testserver/fhir/r4/Practitioner/{first['entry'][0]['resource']['id']}"
    )
    assert len(fhir(api, "Practitioner", _count=1000)["entry"]) == 5  # served at the cap of 100
    for bad in ({"_count": "0"}, {"_count": "x"}, {"_page": "0"}, {"_format": "xml"}, {"name": " "}):
        assert issue_code(fhir(api, "Practitioner", 400, **bad)) == "invalid"


def test_a_search_reads_the_directory_in_one_statement(api, doctors):
    """No loop over hospitals: the page and its total in one statement, whatever the hospital count."""
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/fhir/r4/PractitionerRole", {"specialty": "Cardiology"}).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) == 1, statements


# --- Slot --------------------------------------------------------------------------------------------------------


@pytest.fixture
def booked(alpha, patient, as_user):
    """A doctor open 09:00–11:00 (30-minute slots) on a future day, 09:30 booked by the patient."""
    doctor, day = bookable_doctor(alpha, start="09:00", end="11:00")
    appointment = book(as_user(patient), doctor, day, "09:30").json()
    return doctor, day, appointment


def test_slots_are_the_one_slot_computation_free_and_busy(api, alpha, booked):
    doctor, day, _ = booked
    slots = fhir(api, "Slot", schedule=f"Schedule/{doctor.pk}", start=str(day))
    by_start = {s["resource"]["start"]: s["resource"]["status"] for s in slots["entry"]}
    local = lambda hhmm: dt.datetime.combine(day, dt.time.fromisoformat(hhmm), alpha.zone).isoformat()  # noqa: E731
    assert by_start == {local("09:00"): "free", local("09:30"): "busy", local("10:00"): "free", local("10:30"): "free"}
    availability = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(day), "to": str(day)}).json()
    free = [
        s["resource"]["start"]
        for s in fhir(api, "Slot", schedule=str(doctor.pk), start=str(day), status="free")["entry"]
    ]
    assert free == [slot["starts_at"] for slot in availability["slots"]]
    busy = fhir(api, "Slot", schedule=f"Schedule/{doctor.pk}", start=str(day), status="busy")
    assert [s["resource"]["start"] for s in busy["entry"]] == [local("09:30")]
    assert all(s["resource"]["schedule"] == {"reference": f"Schedule/{doctor.pk}"} for s in slots["entry"])


def test_slot_start_prefixes_bound_the_search(api, alpha, booked):
    doctor, day, _ = booked
    nine_thirty = dt.datetime.combine(day, dt.time(9, 30), alpha.zone)
    schedule = f"Schedule/{doctor.pk}"

    def starts(*bounds):
        response = api.get("/fhir/r4/Slot", [("schedule", schedule), *(("start", b) for b in bounds)])
        assert response.status_code == 200, response.content
        return [e["resource"]["start"] for e in valid(response.json())["entry"]]

    later = (nine_thirty + dt.timedelta(minutes=30)).isoformat()
    assert starts(f"ge{nine_thirty.isoformat()}", f"lt{later}") == [nine_thirty.isoformat()]
    assert len(starts(f"gt{nine_thirty.isoformat()}", f"le{(day + dt.timedelta(days=1)).isoformat()}")) == 2
    assert starts(f"lt{day.isoformat()}") == []  # before the day: nothing from now until then
    assert len(starts(f"ge{day.isoformat()}")) == 4  # a week from that day
    assert starts(f"gt{day.isoformat()}") == []  # after the whole day


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "schedule is required"),
        ({"start": "tomorrow"}, "start must be a date"),
        ({"start": "ge2026-12-07T09:00"}, "needs an offset"),
        ({"status": "open"}, "status must be among"),
        ({"start": ["ge2027-01-01", "lt2027-02-15"]}, "at most 31 days"),
        ({"schedule": ["Schedule/a", "Schedule/b"]}, "may be given once"),
        ({"schedule": "Practitioner/x"}, "must reference Schedule"),
    ],
)
def test_a_bad_slot_search_is_a_400_outcome(api, booked, params, message):
    doctor, _, _ = booked
    query = {"schedule": f"Schedule/{doctor.pk}", **params} if params else {}
    if params == {}:
        query = {"status": "free"}
    outcome = fhir(api, "Slot", 400, **query)
    assert issue_code(outcome) == "invalid"
    assert message in outcome["issue"][0]["diagnostics"]


def test_slots_of_an_unknown_schedule_are_an_empty_bundle(api):
    assert fhir(api, "Slot", schedule=f"Schedule/{uuid.uuid4()}")["total"] == 0


# --- Appointment -------------------------------------------------------------------------------------------------


def test_appointments_need_a_bearer_token(api):
    response = api.get("/fhir/r4/Appointment")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert issue_code(valid(response.json())) == "login"


def test_a_patient_reads_their_own_appointments(as_user, patient, booked):
    doctor, day, appointment = booked
    client = as_user(patient)
    read = fhir(client, f"Appointment/{appointment['id']}")
    assert read["status"] == "booked"
    assert read["start"] == appointment["starts_at"]
    assert read["minutesDuration"] == 30
    assert read["participant"][0]["actor"]["reference"] == f"Practitioner/{doctor.pk}"
    client.post(f"/api/appointments/{appointment['id']}/cancel/")
    cancelled = fhir(client, f"Appointment/{appointment['id']}")
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelationReason"]["coding"][0]["code"] == "pat"
    assert ids(fhir(client, "Appointment")) == [appointment["id"]]
    assert ids(fhir(client, "Appointment", status="cancelled")) == [appointment["id"]]
    assert ids(fhir(client, "Appointment", status="booked,fulfilled")) == []
    assert issue_code(fhir(client, "Appointment", 400, status="done")) == "invalid"


def test_another_patients_appointment_is_a_404_outcome(as_user, booked):
    from shared_apps.accounts.tests.factories import PatientFactory

    _, _, appointment = booked
    other = as_user(PatientFactory().user)
    assert issue_code(fhir(other, f"Appointment/{appointment['id']}", 404)) == "not-found"
    assert fhir(other, "Appointment")["total"] == 0


def test_staff_are_not_patients_here(as_user, alpha_admin, booked):
    _, _, appointment = booked
    assert issue_code(fhir(as_user(alpha_admin), f"Appointment/{appointment['id']}", 403)) == "forbidden"


# --- what is not served --------------------------------------------------------------------------------------------


def test_what_is_not_served_answers_an_outcome(api, doctors):
    assert issue_code(fhir(api, "Patient", 404)) == "not-found"
    assert issue_code(fhir(api, f"Slot/{doctors['asha'].pk}.202612070900", 404)) == "not-found"
    response = api.post("/fhir/r4/Organization", {}, format="json")
    assert response.status_code == 405
    assert issue_code(valid(response.json())) == "not-supported"
    xml = api.get("/fhir/r4/metadata", HTTP_ACCEPT="application/fhir+xml")
    assert xml.status_code == 406
    assert issue_code(valid(xml.json())) == "not-supported"
    assert api.get("/fhir/r4/metadata", HTTP_ACCEPT="application/json").status_code == 200
