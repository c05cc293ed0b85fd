"""Deeply nested JSON bodies are a 400 in the error shape, never a RecursionError (500)."""

import pytest

pytestmark = pytest.mark.django_db


def nested(depth: int, opener="[", closer="]") -> str:
    return opener * depth + closer * depth


def assert_malformed(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "malformed_request"
    assert "nested" in error["message"]


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_thousand_nested_brackets_are_a_400(api, depth):
    response = api.generic("POST", "/api/auth/login/", nested(depth), content_type="application/json")
    assert_malformed(response)


def test_deep_objects_inside_a_field_are_a_400(api):
    body = '{"email": ' + '{"a": ' * 1_000 + "1" + "}" * 1_000 + ', "password": "x"}'
    assert_malformed(api.generic("POST", "/api/auth/register/", body, content_type="application/json"))


def test_the_multipart_endpoint_parses_json_the_same_way(api):
    response = api.generic("POST", "/api/hospitals/register/", nested(1_000), content_type="application/json")
    assert_malformed(response)


def test_ordinary_nesting_still_parses(as_user, patient):
    # The deepest body the API takes: availability windows, a list of objects inside an object.
    response = as_user(patient).patch("/api/auth/me/", {"name": "Still Fine"}, format="json")
    assert response.status_code == 200


def test_the_bound_is_the_parsers_not_the_interpreters(api):
    from shared_apps.common.parsers import MAX_JSON_DEPTH

    too_deep = api.generic("POST", "/api/auth/login/", nested(MAX_JSON_DEPTH + 1), content_type="application/json")
    assert_malformed(too_deep)
    at_the_bound = api.generic("POST", "/api/auth/login/", nested(MAX_JSON_DEPTH), content_type="application/json")
    assert at_the_bound.json()["error"]["code"] == "invalid"  # parsed; the serializer refuses a list
