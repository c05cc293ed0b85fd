"""Schemathesis against the public OpenAPI schema, as each role: no 5xx, responses conform to the schema, and
every status code returned is documented. Examples are bounded so the suite stays fast."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared_apps.accounts.tokens import tokens_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 6


def _load():
    document = SchemaGenerator(urlconf="config.urls_public").get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = WSGIHandler()
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(db):
    # Like Django's test client: keep the test's connection (and transaction) open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield _load()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def users(patient, alpha_admin, superadmin):
    return {"anonymous": None, "patient": patient, "hospital_admin": alpha_admin, "superadmin": superadmin}


def _contract_test(role: str):
    @schema.parametrize()
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def test(case, users):
        user = users[role]
        headers = {"Authorization": f"Bearer {tokens_for(user)['access']}"} if user else {}
        case.call_and_validate(headers=headers, checks=CHECKS)

    return test


# One generated test per role (schemathesis' lazy schema cannot take a parametrized role).
test_contract_as_anonymous = _contract_test("anonymous")
test_contract_as_patient = _contract_test("patient")
test_contract_as_hospital_admin = _contract_test("hospital_admin")
test_contract_as_superadmin = _contract_test("superadmin")
