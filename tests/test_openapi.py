import jsonschema
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


def _with_default(node, where=""):
    """(where, schema) for every schema in the document that declares a default."""
    if isinstance(node, dict):
        if "default" in node and isinstance(node.get("type", ""), str):
            yield where, node
        for key, value in node.items():
            yield from _with_default(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _with_default(value, f"{where}[{i}]")


def test_every_default_is_a_valid_value_of_its_own_schema(schema):
    """A default outside its enum (DRF's `ChoiceField(required=False, default="")`) makes openapi-python-client
    skip the operation; a blank default under `minLength: 1` makes a generated client send a value that is a 400.
    """
    defaults = list(_with_default(schema["paths"])) + list(_with_default(schema["components"]["schemas"]))
    assert defaults  # the walk finds the ones that are there (slot_minutes, is_available, ...)
    wrong = []
    for where, declared in defaults:
        rules = {key: value for key, value in declared.items() if key != "default"}
        validator = jsonschema.Draft7Validator({**rules, "components": schema["components"]})
        if not validator.is_valid(declared["default"]):
            wrong.append(f"{where}: default {declared['default']!r} is not valid for {rules}")
    assert wrong == []


def test_enum_parameters_are_named_components(schema):
    """Client generators name inline enums after the parameter (dart-dio turns the keyword `when` into
    `ModelWhen`): every enum query parameter refers to a named component.
    """

    def parameter(path, name):
        (found,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found["schema"]

    assert parameter("/api/appointments/user/", "when") == {"$ref": "#/components/schemas/AppointmentWhenEnum"}
    assert parameter("/api/appointments/hospital/", "status") == {"$ref": "#/components/schemas/AppointmentStatusEnum"}
    assert schema["components"]["schemas"]["AppointmentWhenEnum"]["enum"] == ["upcoming", "past"]
    inline = [
        (path, p["name"])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if "enum" in p["schema"]
    ]
    assert inline == []


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "unpkg" not in html.lower()
