"""POST|GET|DELETE /api/webhooks/: the hospital admin's endpoints, the secret shown once, the URL rules."""

import pytest

from shared_apps.audit.models import AuditLog
from shared_apps.webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

EVENTS = ["appointment.booked", "appointment.cancelled"]


def create(client, url="http://127.0.0.1:9/hook", events=EVENTS):
    return client.post("/api/webhooks/", {"url": url, "events": events}, format="json")


def test_the_secret_is_shown_once(as_user, alpha_admin):
    client = as_user(alpha_admin)
    created = create(client)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "url", "events", "active", "created_at", "secret"}
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) > 40
    assert body["events"] == EVENTS
    assert body["active"] is True

    listed = client.get("/api/webhooks/").json()
    assert listed["count"] == 1
    assert listed["results"][0] == {key: value for key, value in body.items() if key != "secret"}
    detail = client.get(f"/api/webhooks/{body['id']}/").json()
    assert "secret" not in detail
    assert detail["id"] == body["id"]
    assert AuditLog.objects.filter(action="webhook.created", entity_id=body["id"]).exists()


def test_delete(as_user, alpha_admin):
    client = as_user(alpha_admin)
    webhook_id = create(client).json()["id"]
    assert client.delete(f"/api/webhooks/{webhook_id}/").status_code == 204
    assert not Endpoint.objects.filter(pk=webhook_id).exists()
    assert client.get(f"/api/webhooks/{webhook_id}/").status_code == 404
    assert AuditLog.objects.filter(action="webhook.deleted", entity_id=webhook_id).exists()


def test_another_hospitals_endpoint_does_not_exist(as_user, alpha_admin, beta_admin):
    webhook_id = create(as_user(alpha_admin)).json()["id"]
    other = as_user(beta_admin)
    assert other.get(f"/api/webhooks/{webhook_id}/").status_code == 404
    assert other.delete(f"/api/webhooks/{webhook_id}/").json()["error"]["code"] == "not_found"
    assert other.get("/api/webhooks/").json()["count"] == 0
    assert Endpoint.objects.filter(pk=webhook_id).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/", "events": ["appointment.exploded"]}, "events"),
        ({"url": "http://127.0.0.1:9/", "events": ["slots.changed"]}, "events"),  # not an appointment event
        ({"url": "not a url", "events": EVENTS}, "url"),
        ({"events": EVENTS}, "url"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(as_user, alpha_admin, body, field):
    response = as_user(alpha_admin).post("/api/webhooks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "https"),  # plain http
        ("https://user:pw@hooks.example.com/in", "passwords"),  # pragma: allowlist secret
        ("https://localhost/in", "not public"),
        ("https://127.0.0.1/in", "not public"),
        ("https://169.254.169.254/latest/meta-data/", "not public"),
        ("https://[::1]/in", "not public"),
        ("https://[::ffff:10.0.0.1]/in", "not public"),
        ("https://[fec0::1]/in", "not public"),  # IPv6 site-local
        ("https://private.example.com/in", "private.example.com resolves to an address that is not public"),
        ("https://hooks.example.com./in", "trailing dot"),
        ("https://nowhere.example.com/in", "does not resolve"),
    ],
)
def test_urls_refused_at_registration(as_user, alpha_admin, settings, public_dns, url, why):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    public_dns.update({"hooks.example.com": "203.0.113.9", "private.example.com": "10.1.2.3", "localhost": "127.0.0.1"})
    response = create(as_user(alpha_admin), url=url)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "url_refused"
    assert why in error["fields"]["url"][0]
    assert "10.1.2.3" not in error["message"]  # the network behind a name is not shown
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com:0/in",  # port 0
        "https://a\u200db.example/in",  # not a valid IDNA host name (a joiner between letters)
    ],
)
def test_a_url_that_is_not_one_is_invalid(as_user, alpha_admin, public_dns, url):
    public_dns["hooks.example.com"] = "2606:4700::6810:84e5"
    response = create(as_user(alpha_admin), url=url)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]["url"][0].startswith("Enter a valid")
    assert not Endpoint.objects.exists()


def test_the_secret_is_not_cached(as_user, alpha_admin):
    created = create(as_user(alpha_admin))
    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"


def test_a_public_https_url_is_accepted(as_user, alpha_admin, settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    public_dns["hooks.example.com"] = "203.0.113.9"  # not global either (TEST-NET-3)…
    assert create(as_user(alpha_admin), url="https://hooks.example.com/in").status_code == 400
    public_dns["hooks.example.com"] = "2606:4700::6810:84e5"  # …this one is
    assert create(as_user(alpha_admin), url="https://hooks.example.com/in").status_code == 201


def test_the_number_of_endpoints_is_capped(as_user, alpha_admin, settings):
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    client = as_user(alpha_admin)
    assert [create(client).status_code for _ in range(3)] == [201, 201, 409]
    assert create(client).json()["error"]["code"] == "too_many_webhooks"
