"""The dashboard's Webhooks pages: the admin's endpoints, the secret shown once, deliveries with their attempts."""

import pytest

from shared_apps.audit.models import AuditLog
from shared_apps.webhooks.models import Endpoint
from shared_apps.webhooks.services import delivery_send, endpoint_create
from shared_apps.webhooks.tests.receiver import start_receiver
from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.dashboard.tests.conftest import book_slot, client_for

pytestmark = pytest.mark.django_db


def add(client, url="http://127.0.0.1:9/hook", events=("appointment.booked",)):
    return client.post("/webhooks/", {"url": url, "events": list(events)})


def test_adding_shows_the_secret_once(admin_client):
    response = add(admin_client)
    assert response.status_code == 201
    endpoint = Endpoint.objects.get()
    page = response.content.decode()
    assert endpoint.secret in page
    assert '<label for="new-secret">' in page
    assert 'id="new-secret"' in page
    assert "autofocus" in page.split('id="new-secret"')[1].split(">")[0]  # the notice is where focus lands
    assert "no-store" in response["Cache-Control"]

    listed = admin_client.get("/webhooks/").content.decode()
    assert endpoint.url in listed
    assert endpoint.secret not in listed
    detail = admin_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in detail


def test_the_form_is_labelled_and_shows_refusals(admin_client, settings):
    page = admin_client.get("/webhooks/").content.decode()
    assert '<label for="id_url">Endpoint URL</label>' in page
    assert "<fieldset" in page
    assert "<legend>Events</legend>" in page

    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = add(admin_client, url="http://hooks.example.com/in")
    assert response.status_code == 400
    assert "Use an https:// URL." in response.content.decode()
    assert add(admin_client, events=()).status_code == 400
    assert not Endpoint.objects.exists()


def test_the_deliveries_and_their_attempts_are_shown(alpha, alpha_admin, admin_client):
    receiver, server = start_receiver()
    try:
        endpoint = endpoint_create(actor=alpha_admin, hospital=alpha, url=receiver.url(), events=["appointment.booked"])
        doctor, day = bookable_doctor(alpha)
        book_slot(alpha, doctor, day)
        receiver.answers = [500]
        delivery_send(delivery_id=endpoint.deliveries.get().pk)
    finally:
        server.shutdown()
        server.server_close()
    page = admin_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "appointment.booked" in page
    assert "#1 <time" in page  # numbered as the attempts are, newest first
    assert "failed, HTTP 500 — The receiver answered 500." in page
    assert "next try" in page
    assert "failing since" in page


def test_delete_and_turn_back_on(alpha, alpha_admin, admin_client):
    endpoint = endpoint_create(
        actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/", events=["appointment.booked"]
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert admin_client.post(f"/webhooks/{endpoint.pk}/enable/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active
    assert AuditLog.objects.filter(action="webhook.enabled", entity_id=str(endpoint.pk)).exists()
    confirm = admin_client.get(f"/webhooks/{endpoint.pk}/delete/")
    assert confirm.status_code == 200
    assert "Nothing is deleted yet." in confirm.content.decode()
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()  # asking deletes nothing
    assert admin_client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_detail_page_asks_before_deleting(alpha, alpha_admin, admin_client):
    endpoint = endpoint_create(
        actor=alpha_admin, hospital=alpha, url="http://127.0.0.1:9/", events=["appointment.booked"]
    )
    page = admin_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert f'href="/webhooks/{endpoint.pk}/delete/"' in page
    assert f'action="/webhooks/{endpoint.pk}/delete/"' not in page  # no one-click delete


def test_the_same_form_sent_twice_adds_one_webhook(admin_client):
    form = admin_client.get("/webhooks/").context["form"]
    submission = form["submission"].value()
    body = {"url": "http://127.0.0.1:9/hook", "events": ["appointment.booked"], "submission": submission}
    assert admin_client.post("/webhooks/", body).status_code == 201
    again = admin_client.post("/webhooks/", body)  # the browser's "resend" after a refresh
    endpoint = Endpoint.objects.get()
    assert again.status_code == 302
    assert again["Location"] == f"/webhooks/{endpoint.pk}/"
    fresh = {**body, "submission": admin_client.get("/webhooks/").context["form"]["submission"].value()}
    assert fresh["submission"] != submission
    assert admin_client.post("/webhooks/", fresh).status_code == 201  # a new form adds another
    assert Endpoint.objects.count() == 2


def test_another_hospitals_webhook_and_doctors_get_404(beta, beta_admin, admin_client, doctor_with_login):
    endpoint = endpoint_create(
        actor=beta_admin, hospital=beta, url="http://127.0.0.1:9/", events=["appointment.booked"]
    )
    assert admin_client.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert admin_client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    _, doctor_user = doctor_with_login
    assert client_for(doctor_user).get("/webhooks/").status_code == 404
