import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shared_apps.directory.models import DoctorEntry
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [d["id"] for d in response.json()["results"]]


def test_the_directory_lists_active_doctors_across_hospitals_with_their_hospital(api, alpha, beta):
    a = make_doctor(alpha, name="Dr Alpha", specialization="Cardiology")
    b = make_doctor(beta, name="Dr Beta", specialization="Dermatology")

    body = api.get("/api/doctors/").json()

    assert {d["id"] for d in body["results"]} >= {str(a.pk), str(b.pk)}
    row = next(d for d in body["results"] if d["id"] == str(b.pk))
    assert row["hospital"] == {"id": beta.pk, "name": "Beta Clinic", "city": beta.city, "logo_url": None}
    assert "email" not in row


def test_directory_filters(api, alpha, beta):
    a = make_doctor(alpha, name="Dr Zed Alpha", specialization="Cardiology")
    b = make_doctor(beta, name="Dr Yan Beta", specialization="Dermatology")
    assert ids(api.get("/api/doctors/", {"hospital_id": beta.pk})) == [str(b.pk)]
    assert ids(api.get("/api/doctors/", {"specialization": "cardiology"})) == [str(a.pk)]
    assert ids(api.get("/api/doctors/", {"q": "yan"})) == [str(b.pk)]
    assert ids(api.get("/api/doctors/", {"q": "derma"})) == [str(b.pk)]
    assert ids(api.get("/api/doctors/", {"city": "nowhere"})) == []
    assert api.get("/api/doctors/", {"hospital_id": "abc"}).status_code == 400
    assert api.get("/api/doctors/", {"hospital_id": "9" * 40}).status_code == 400


def test_doctors_of_deactivated_hospitals_are_not_listed(api, alpha, superadmin, django_capture_on_commit_callbacks):
    from shared_apps.hospitals.services import hospital_set_active

    a = make_doctor(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        hospital_set_active(actor=superadmin, hospital=alpha, active=False)
    assert str(a.pk) not in ids(api.get("/api/doctors/"))
    assert api.get(f"/api/doctors/{a.pk}/").status_code == 404


def test_a_rolled_back_change_leaves_no_directory_row(alpha):
    created = []

    def create_then_fail():
        with transaction.atomic():
            created.append(make_doctor(alpha))
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        create_then_fail()
    doctor = created[0]
    assert not DoctorEntry.objects.filter(doctor_id=doctor.pk).exists()
    with hospital_context(alpha):
        assert not Doctor.objects.filter(pk=doctor.pk).exists()


def test_rebuild_repairs_missing_stale_and_orphaned_rows(alpha, capsys):
    missing, stale = make_doctor(alpha), make_doctor(alpha)
    DoctorEntry.objects.filter(doctor_id=missing.pk).delete()
    DoctorEntry.objects.filter(doctor_id=stale.pk).update(name="Wrong Name")
    orphan = DoctorEntry.objects.create(
        doctor_id="00000000-0000-0000-0000-000000000001",
        hospital=alpha,
        name="Ghost",
        specialization="X",
        fee=1,
        slot_minutes=30,
        status="active",
        city=alpha.city,
    )

    call_command("rebuild_directory")

    out = capsys.readouterr().out
    assert "repaired 3: 1 missing, 1 stale, 1 orphaned" in out
    assert DoctorEntry.objects.get(doctor_id=missing.pk).name == missing.name
    assert DoctorEntry.objects.get(doctor_id=stale.pk).name == stale.name
    assert not DoctorEntry.objects.filter(doctor_id=orphan.doctor_id).exists()
    call_command("rebuild_directory")
    assert "repaired 0" in capsys.readouterr().out


def test_the_directory_query_count_does_not_grow_with_the_page_size(api, alpha, beta):
    for n in range(12):
        make_doctor(alpha if n % 2 else beta)

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get("/api/doctors/", {"page_size": page_size}).json()["results"]) == page_size
        return len(queries)

    assert count(2) == count(12)


def test_the_hand_built_directory_rows_match_the_documented_serializer(api, alpha, beta):
    from tenant_apps.doctors.apis import DirectoryDoctorOutput

    alpha.logo = "logos/alpha.png"
    alpha.save(update_fields=["logo"])
    beta.timezone = "Asia/Kolkata"
    beta.save(update_fields=["timezone"])
    mine = {str(make_doctor(alpha, fee="99.5").pk), str(bookable_doctor(beta)[0].pk)}  # the second has a free slot
    entries = DoctorEntry.objects.select_related("hospital").filter(doctor_id__in=mine)
    documented = [DirectoryDoctorOutput(entry).data for entry in entries]

    served = [row for row in api.get("/api/doctors/", {"page_size": 100}).json()["results"] if row["id"] in mine]

    assert sorted(served, key=lambda row: row["id"]) == sorted(documented, key=lambda row: row["id"])
    assert {row["hospital"]["logo_url"] is None for row in served} == {True, False}
    assert any(row["next_available"] for row in served)


def test_directory_pagination_links_and_count(api, alpha):
    for _ in range(5):
        make_doctor(alpha)
    total = api.get("/api/doctors/").json()["count"]
    first = api.get("/api/doctors/", {"page_size": 2}).json()
    assert first["count"] == total
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert second["previous"].endswith("page_size=2")
    assert api.get("/api/doctors/", {"page": 999}).status_code == 404
    assert api.get("/api/doctors/", {"page": "x"}).status_code == 404
    assert api.get("/api/doctors/", {"specialization": "none-such"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_the_cached_directory_changes_as_soon_as_a_doctor_changes(
    api, as_user, alpha, alpha_admin, django_capture_on_commit_callbacks, settings
):
    settings.CATALOG_CACHE_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        doctor = make_doctor(alpha, name="Dr Cache")
    assert api.get("/api/doctors/", {"q": "cache"}).json()["count"] == 1
    assert api.get("/api/doctors/", {"q": "cache"}).json()["count"] == 1  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"})
    assert api.get("/api/doctors/", {"q": "cache"}).json()["count"] == 0


def test_an_astronomical_page_number_is_a_404_not_a_500(api):
    response = api.get("/api/doctors/", {"page": "12094476896594423018461459415826432"})
    assert response.status_code == 404
    assert api.get("/api/hospitals/", {"page": "9" * 30}).status_code == 404
