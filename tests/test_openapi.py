import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--urlconf", "config.urls_public", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_builds_without_warnings_and_documents_the_api(schema):
    assert "/api/auth/login/" in schema["paths"]
    assert "/api/auth/register/" in schema["paths"]


def test_the_schema_describes_bearer_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "unpkg" not in html.lower()
