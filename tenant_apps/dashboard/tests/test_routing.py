import pytest

from shared_apps.accounts.tests.factories import PASSWORD
from shared_apps.hospitals.tests.factories import PendingHospitalFactory

pytestmark = pytest.mark.django_db


def sign_in(client, host, user, password=PASSWORD):
    return client.post("/sign-in/", {"username": user.email, "password": password}, HTTP_HOST=host)


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_pending_rejected_and_unknown_subdomains_are_404(client):
    PendingHospitalFactory(slug="waiting")
    for host in ("waiting.localhost", "nobody.localhost"):
        assert client.get("/sign-in/", HTTP_HOST=host).status_code == 404


def test_an_approved_subdomain_serves_its_branded_sign_in_page(client):
    response = client.get("/sign-in/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    assert b"Alpha General" in response.content


def test_a_hospital_admin_signs_in_on_their_own_subdomain_only(client, alpha_admin):
    with_password(alpha_admin)
    assert sign_in(client, "beta.localhost", alpha_admin).status_code == 200  # form redisplayed with an error
    assert client.get("/", HTTP_HOST="beta.localhost").status_code == 302

    assert sign_in(client, "alpha.localhost", alpha_admin).status_code == 302
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 200


def test_a_session_from_one_hospital_opens_nothing_in_another(client, alpha_admin):
    client.force_login(with_password(alpha_admin))
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 200
    assert client.get("/", HTTP_HOST="beta.localhost").status_code == 404


def test_patients_cannot_sign_in_to_a_dashboard(client, patient):
    assert sign_in(client, "alpha.localhost", patient).status_code == 200
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 302


def test_the_platform_host_has_no_dashboard(client):
    assert client.get("/sign-in/").status_code == 404
