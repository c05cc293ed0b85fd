import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from shared_apps.audit.models import AuditLog
from shared_apps.hospitals.models import Hospital, HospitalStatus
from shared_apps.hospitals.tests.factories import image_bytes
from shared_apps.notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/hospitals/register/"


def application(**overrides):
    body = {
        "name": "St. Mary's Hospital",
        "registration_number": "SM-2026-001",
        "email": "contact@stmarys.example.com",
        "address": "12 Harbour Road",
        "phone_number": "+442079460123",
        "city": "London",
        "timezone": "Europe/London",
    }
    return {**body, **overrides}


def upload(content: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def field_errors(response, field):
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    return body["fields"][field]


def test_json_registration_creates_a_pending_hospital_without_a_schema(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(URL, application(status="approved", subdomain=""), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["subdomain"] == "st-marys-hospital"
    hospital = Hospital.objects.get(pk=body["id"])
    assert hospital.status == HospitalStatus.PENDING
    assert not schema_exists(hospital.schema_name)
    assert AuditLog.objects.filter(action="hospital.registered", entity_id=str(hospital.pk)).exists()
    templates = set(Notification.objects.filter(hospital=hospital).values_list("template", flat=True))
    assert templates == {"hospital_registered", "hospital_pending_review"}
    assert len(callbacks) == len(Notification.objects.filter(hospital=hospital))


def test_multipart_registration_stores_a_reencoded_logo_under_a_random_name(api):
    response = api.post(
        URL, {**application(), "logo": upload(image_bytes("PNG"), name="../../evil.png")}, format="multipart"
    )

    assert response.status_code == 201, response.content
    hospital = Hospital.objects.get(pk=response.json()["id"])
    assert hospital.logo.name.startswith("logos/")
    assert "evil" not in hospital.logo.name
    with hospital.logo.open("rb") as stored:
        assert Image.open(stored).format == "PNG"


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_and_webp_logos_are_accepted(api, fmt):
    logo = upload(image_bytes(fmt), name=f"logo.{fmt.lower()}", content_type=f"image/{fmt.lower()}")
    assert api.post(URL, {**application(), "logo": logo}, format="multipart").status_code == 201


def _bomb() -> bytes:
    # 20000×20000 one-bit PNG: tiny on disk, 400 million pixels once decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


def _truncated() -> bytes:
    data = image_bytes("PNG", size=(300, 300))
    return data[: len(data) // 2]


BAD_LOGOS = {
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg", "image/svg+xml"),
    "png_header_then_html": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "logo.png", "image/png"),
    "valid_png_then_html": (image_bytes("PNG") + b"<html><script>alert(1)</script></html>", "logo.png", "image/png"),
    "pdf_as_png": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "logo.png", "image/png"),
    "gif": (image_bytes("GIF"), "logo.gif", "image/gif"),
    "decompression_bomb": (_bomb(), "logo.png", "image/png"),
    "too_many_pixels": (image_bytes("PNG", size=(4097, 10)), "logo.png", "image/png"),
    "truncated": (_truncated(), "logo.png", "image/png"),
}


@pytest.mark.parametrize("case", sorted(BAD_LOGOS))
def test_bad_logos_are_refused_and_nothing_is_saved(api, case):
    content, name, content_type = BAD_LOGOS[case]
    response = api.post(URL, {**application(), "logo": upload(content, name, content_type)}, format="multipart")

    field_errors(response, "logo")
    assert not Hospital.objects.filter(registration_number="SM-2026-001").exists()


def test_a_logo_over_2_mb_is_refused(api, settings):
    settings.MAX_REQUEST_BYTES = 10 * 1024 * 1024
    big = image_bytes("PNG") + b"\0" * (2 * 1024 * 1024)
    field_errors(api.post(URL, {**application(), "logo": upload(big)}, format="multipart"), "logo")


def test_a_body_over_the_request_limit_is_a_413(api):
    huge = b"\0" * (6 * 1024 * 1024)
    response = api.post(URL, {**application(), "logo": upload(huge)}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("subdomain", "why"),
    [
        ("www", "reserved"),
        ("admin", "reserved"),
        ("-bad", "not a DNS label"),
        ("under_score", "not a DNS label"),
        ("a" * 64, "too long"),
        ("alpha", "taken"),
    ],
)
def test_bad_subdomains_are_refused(api, subdomain, why):
    field_errors(api.post(URL, application(subdomain=subdomain), format="json"), "subdomain")


def test_registration_number_and_email_are_unique_whatever_their_case(api):
    assert api.post(URL, application(), format="json").status_code == 201
    again = api.post(
        URL, application(registration_number="sm-2026-001", email="CONTACT@stmarys.example.com"), format="json"
    )
    errors = again.json()["error"]["fields"]
    assert again.status_code == 400
    assert {"registration_number", "email"} <= set(errors)


def test_a_derived_subdomain_gets_a_suffix_when_taken(api):
    first = api.post(URL, application(), format="json").json()
    second = api.post(URL, application(registration_number="X-2", email="x2@example.com"), format="json").json()
    assert (first["subdomain"], second["subdomain"]) == ("st-marys-hospital", "st-marys-hospital-2")


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone_number", "not a phone"), ("timezone", "Mars/Olympus"), ("email", "nope"), ("name", "bad\x00name")],
)
def test_invalid_fields_are_refused(api, field, value):
    field_errors(api.post(URL, application(**{field: value}), format="json"), field)


def test_missing_fields_are_listed(api):
    response = api.post(URL, {}, format="json")
    fields = field_errors(response, "name") and response.json()["error"]["fields"]
    assert {"name", "registration_number", "email", "address", "phone_number", "city"} <= set(fields)


def test_registration_is_throttled_per_client_ip(api, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "register", "2/hour")

    def apply(i, ip):
        body = application(registration_number=f"T-{i}", email=f"t{i}@example.com")
        return api.post(URL, body, format="json", REMOTE_ADDR=ip).status_code

    assert [apply(i, "10.1.1.1") for i in range(3)] == [201, 201, 429]
    assert apply(9, "10.1.1.2") == 201


def test_the_html_form_registers_through_the_same_service(client):
    response = client.post("/register/", {**application(), "timezone": "Europe/London"})
    assert response.status_code == 201
    assert Hospital.objects.get(registration_number="SM-2026-001").status == HospitalStatus.PENDING


def test_the_html_form_shows_errors_inline(client):
    response = client.post("/register/", application(subdomain="www"))
    assert response.status_code == 400
    assert b"This subdomain is reserved." in response.content


@pytest.mark.parametrize(
    ("name", "subdomain"),
    [
        ("Sq_uat", "sq-uat"),
        ("North__East_Clinic", "north-east-clinic"),
        ("_Under_", "under"),
        ("Saint Mary's — Ward 7", "saint-marys-ward-7"),
        ("___", "hospital"),
    ],
)
def test_a_derived_subdomain_is_a_dns_label(api, name, subdomain):
    response = api.post(URL, application(name=name), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subdomain"] == subdomain
    hospital = Hospital.objects.get(pk=response.json()["id"])
    assert hospital.schema_name == Hospital.schema_name_for(subdomain)


def test_names_differing_by_underscore_or_hyphen_get_distinct_subdomains_and_schemas(api):
    first = api.post(URL, application(name="Sq_uat"), format="json").json()
    second = api.post(URL, application(name="Sq-uat", registration_number="X-2", email="x2@example.com")).json()
    assert (first["subdomain"], second["subdomain"]) == ("sq-uat", "sq-uat-2")
    schemas = set(Hospital.objects.filter(pk__in=[first["id"], second["id"]]).values_list("schema_name", flat=True))
    assert schemas == {"h_sq_uat", "h_sq_uat_2"}


@pytest.mark.parametrize("subdomain", ["sq_uat", "sq.uat", "sq uat", "sqüat", "-sq", "sq-"])
def test_a_given_subdomain_that_is_not_a_dns_label_is_a_400(api, subdomain):
    field_errors(api.post(URL, application(subdomain=subdomain), format="json"), "subdomain")
    assert not Hospital.objects.filter(registration_number="SM-2026-001").exists()


def test_the_model_refuses_a_slug_that_is_not_a_dns_label(alpha):
    from django.core.exceptions import ValidationError

    alpha.slug = "al_pha"
    with pytest.raises(ValidationError) as caught:
        alpha.full_clean(exclude=["logo", "schema_name"])
    assert "slug" in caught.value.message_dict
