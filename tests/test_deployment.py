"""Security headers, CORS and CSRF origins as deployed."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_security_headers_on_api_and_pages(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    for path in ("/api/ping/", "/register/"):
        response = client.get(path, secure=True)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_allows_configured_origins_and_hospital_subdomains_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    def allowed(origin):
        response = client.get("/api/ping/", HTTP_ORIGIN=origin)
        return response.get("Access-Control-Allow-Origin")

    assert allowed("https://app.example.com") == "https://app.example.com"
    assert allowed("http://alpha.localhost:8000") == "http://alpha.localhost:8000"
    assert allowed("https://evil.example.net") is None
    assert allowed("http://alpha.localhost.evil.net") is None
    assert not getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)


def test_csrf_trusted_origins_cover_the_hospital_subdomains():
    assert any(
        origin.endswith(f"//*.{settings.BASE_DOMAIN}:8000") or origin.endswith(f"//*.{settings.BASE_DOMAIN}")
        for origin in settings.CSRF_TRUSTED_ORIGINS
    )


def test_uploaded_media_is_never_rendered_as_a_page(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "x.png").write_bytes(b"<html><script>alert(1)</script></html>")
    response = client.get("/media/logos/x.png")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_permission_denials_are_audited(as_user, patient):
    from shared_apps.audit.models import AuditLog

    assert as_user(patient).get("/api/admin/audit-logs/").status_code == 403
    denial = AuditLog.objects.get(action="access.denied")
    assert (denial.user, denial.entity_id) == (patient, "/api/admin/audit-logs/")
