import pytest
from django.core.files.base import ContentFile

from shared_apps.hospitals.models import HospitalStatus
from shared_apps.hospitals.tests.factories import PendingHospitalFactory, image_bytes

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content
    return [h["name"] for h in response.json()["results"]]


def test_patients_see_only_approved_active_hospitals(api, alpha, superadmin, django_capture_on_commit_callbacks):
    PendingHospitalFactory(name="Pending Place")
    PendingHospitalFactory(name="Rejected Place", status=HospitalStatus.REJECTED)
    response = api.get("/api/hospitals/")
    assert names(response) == ["Alpha General", "Beta Clinic"]
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert set(response.json()["results"][0]) == {
        "id",
        "name",
        "city",
        "address",
        "phone_number",
        "email",
        "logo_url",
        "subdomain",
        "timezone",
    }

    from shared_apps.hospitals.services import hospital_set_active

    with django_capture_on_commit_callbacks(execute=True):
        hospital_set_active(actor=superadmin, hospital=alpha, active=False)
    assert names(api.get("/api/hospitals/")) == ["Beta Clinic"]


def test_search_by_name_and_filter_by_city(api, beta):
    beta.city = "Boston"
    beta.save(update_fields=["city"])
    assert names(api.get("/api/hospitals/", {"q": "alp"})) == ["Alpha General"]
    assert names(api.get("/api/hospitals/", {"city": "boston"})) == ["Beta Clinic"]
    assert names(api.get("/api/hospitals/", {"q": "zzz"})) == []


def test_the_logo_url_is_absolute(api, alpha):
    alpha.logo.save("a.png", ContentFile(image_bytes()), save=True)
    result = next(h for h in api.get("/api/hospitals/").json()["results"] if h["id"] == alpha.pk)
    assert result["logo_url"].startswith("http://localhost:8000/media/logos/")
    served = api.get(result["logo_url"].removeprefix("http://localhost:8000"))
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Type"] == "image/png"


def test_page_size_is_capped_and_bad_pages_are_4xx(api):
    assert api.get("/api/hospitals/", {"page_size": 1}).json()["next"] is not None
    assert len(api.get("/api/hospitals/", {"page_size": 100000}).json()["results"]) == 2
    assert api.get("/api/hospitals/", {"page": 99}).status_code == 404
    assert api.get("/api/hospitals/", {"page": "abc"}).status_code == 404
    assert api.get("/api/hospitals/", {"page_size": -5}).status_code == 200


def test_detail_is_a_404_for_pending_rejected_and_unknown_hospitals(api, alpha):
    pending = PendingHospitalFactory()
    rejected = PendingHospitalFactory(status=HospitalStatus.REJECTED)
    assert api.get(f"/api/hospitals/{alpha.pk}/").json()["name"] == "Alpha General"
    for hospital_id in (pending.pk, rejected.pk, 987654, "9" * 30):
        response = api.get(f"/api/hospitals/{hospital_id}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_the_platform_row_is_never_listed(api):
    assert "RHMS platform" not in names(api.get("/api/hospitals/", {"q": "platform"}))


def test_the_hand_built_hospital_rows_match_the_documented_serializer(alpha):
    from shared_apps.hospitals.apis import HospitalOutput, hospital_row

    alpha.logo.save("a.png", ContentFile(image_bytes()), save=True)
    assert hospital_row(alpha) == HospitalOutput(alpha).data


def test_the_cached_list_changes_as_soon_as_a_hospital_is_approved(
    api, superadmin, django_capture_on_commit_callbacks, settings
):
    settings.CATALOG_CACHE_SECONDS = 300
    from shared_apps.hospitals.services import hospital_approve

    assert names(api.get("/api/hospitals/")) == ["Alpha General", "Beta Clinic"]
    assert names(api.get("/api/hospitals/")) == ["Alpha General", "Beta Clinic"]  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        hospital_approve(actor=superadmin, hospital=PendingHospitalFactory(name="Gamma Care"))
    assert names(api.get("/api/hospitals/")) == ["Alpha General", "Beta Clinic", "Gamma Care"]
