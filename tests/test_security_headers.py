"""Dashboard pages carry a Content-Security-Policy without inline scripts, and patient data is never cached.

The browser tests (tenant_apps/dashboard/tests/test_browser.py) check that Chromium logs no CSP violation on them.
"""

import re

import pytest
from django.test import Client

from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.dashboard.tests.conftest import book_slot, client_for

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def dashboard_pages(alpha, alpha_admin):
    """Every page an admin reads, with an appointment so the lists and the detail hold patient data."""
    doctor, day = bookable_doctor(alpha, name="Dr Headers")
    appointment = book_slot(alpha, doctor, day)
    return [
        "/",
        "/doctors/",
        f"/doctors/{doctor.pk}/",
        "/availability/",
        f"/availability/{doctor.pk}/",
        "/appointments/",
        f"/appointments/{appointment.pk}/",
        "/profile/",
        "/activity/",
        "/notifications/",
    ]


def test_dashboard_pages_forbid_inline_scripts_and_foreign_sources(dashboard_pages, alpha_admin):
    client = client_for(alpha_admin)
    for path in [*dashboard_pages, "/doctors/add/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = directives(response)
        assert policy["default-src"] == ["'self'"], path
        assert policy["script-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_HANDLER.search(html), path
        assert not STYLE_ATTRIBUTE.search(html), path  # style-src has a nonce, which does not cover attributes


def test_the_brand_style_block_carries_the_responses_nonce(alpha_admin):
    response = client_for(alpha_admin).get("/")
    [nonce] = re.findall(r"'nonce-([^']+)'", " ".join(directives(response)["style-src"]))
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert response.content.decode().count("<style") == 1


def test_dashboard_pages_are_never_stored_by_a_browser_or_proxy(dashboard_pages, alpha_admin):
    client = client_for(alpha_admin)
    for path in dashboard_pages:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path
    assert "no-store" in client_for().get("/sign-in/")["Cache-Control"]


def test_swagger_ui_gets_the_sources_it_needs_and_no_inline_script():
    client = Client(HTTP_HOST="localhost")
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not INLINE_SCRIPT.search(html)
    policy = directives(page)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]  # Swagger UI's own <style> block and the styles it sets
    assert "data:" in policy["img-src"]  # its icons are data: URIs in its stylesheet

    [script_url] = re.findall(r'<script src="([^"]*script=[^"]*)"', html)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
