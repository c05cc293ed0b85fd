"""`TENANT_LIMIT_SET_CALLS`: django-tenants sets search_path once per connection and schema switch, not per cursor.
PostgreSQL reverts a `SET` with the transaction or savepoint that issued it, so the path must be set again then."""

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db


class Undone(Exception):
    pass


def _sets(captured) -> int:
    return sum(query["sql"].startswith("SET search_path") for query in captured.captured_queries)


def test_one_set_per_schema_switch(alpha):
    with hospital_context(alpha), CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            Doctor.objects.count()
    assert _sets(captured) == 1


def test_a_rolled_back_savepoint_does_not_leave_another_hospitals_schema(alpha, beta):
    alpha_doctor, beta_doctor = make_doctor(alpha), make_doctor(beta)
    with hospital_context(beta):
        assert Doctor.objects.filter(pk=beta_doctor.pk).exists()  # search_path: beta, outside the savepoint
    with hospital_context(alpha):
        with pytest.raises(Undone):
            _find_then_undo(alpha_doctor)  # ROLLBACK TO SAVEPOINT: PostgreSQL's search_path is beta's again
        assert Doctor.objects.filter(pk=alpha_doctor.pk).exists()  # set again: alpha's schema
        assert not Doctor.objects.filter(pk=beta_doctor.pk).exists()


def _find_then_undo(doctor) -> None:
    with transaction.atomic():
        assert Doctor.objects.filter(pk=doctor.pk).exists()  # SET alpha, inside the savepoint
        raise Undone


# A request's connection, in autocommit (the test's own is inside the test's transaction), with no pool: one server
# session throughout, as a pooled connection's is while its process serves one request after another.


@pytest.fixture
def session_connection():
    options = {key: value for key, value in connection.settings_dict["OPTIONS"].items() if key != "pool"}
    own = type(connections["default"])({**connection.settings_dict, "OPTIONS": options}, alias="search_path_probe")
    connections["search_path_probe"] = own  # Django's transaction helpers look the alias up
    yield own
    own.close()
    del connections["search_path_probe"]


def _read(own, query: str = "SELECT current_schemas(false)::text") -> tuple[str, int]:
    """One query as a request makes it: the path django-tenants' switch chose, and the SETs it took."""
    with CaptureQueriesContext(own) as captured, own.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0], _sets(captured)


def test_a_platform_request_sets_no_search_path_when_the_session_is_already_in_public(session_connection):
    session_connection.set_schema_to_public()  # what HospitalMiddleware does at each request's start
    assert _read(session_connection)[0] == "{public}"  # a new session: set once (as it connects, or here)
    for _ in range(3):
        session_connection.set_schema_to_public()
        assert _read(session_connection) == ("{public}", 0)


def test_after_a_hospitals_request_the_platform_sets_public_again(session_connection, alpha):
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)
    session_connection.set_schema_to_public()
    assert _read(session_connection) == ("{public}", 1)
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)


def test_a_path_set_in_a_rolled_back_transaction_is_set_again(session_connection, alpha):
    session_connection.set_schema_to_public()
    _read(session_connection)  # the session holds public
    session_connection.set_autocommit(False)
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)  # inside the transaction
    session_connection.rollback()  # PostgreSQL undoes that SET: public again
    session_connection.set_autocommit(True)
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)


def test_a_path_set_with_a_transaction_open_is_set_again(session_connection, alpha):
    session_connection.set_schema_to_public()
    _read(session_connection)  # the session holds public
    with session_connection.cursor() as cursor:
        cursor.execute("BEGIN")  # autocommit is on, but a transaction is open
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)
    with session_connection.cursor() as cursor:
        cursor.execute("ROLLBACK")  # public again
    session_connection.set_tenant(alpha)
    assert _read(session_connection) == ("{h_alpha,public}", 1)


@pytest.fixture
def pooled_connection():
    """A pool of one connection of its own (its alias keys the pool): each checkout hands out the same session."""
    pool = {"min_size": 1, "max_size": 1, "timeout": 5}
    options = {**connection.settings_dict["OPTIONS"], "pool": pool}
    own = type(connections["default"])({**connection.settings_dict, "OPTIONS": options}, alias="search_path_pool")
    connections["search_path_pool"] = own
    yield own
    own.close()
    own.close_pool()
    del connections["search_path_pool"]


def test_the_remembered_path_follows_the_session_across_pool_checkouts(pooled_connection, alpha):
    own = pooled_connection
    own.set_schema_to_public()
    _read(own)
    session = own.connection
    own.close()  # back to the pool, as at the end of a request
    own.set_schema_to_public()
    assert _read(own) == ("{public}", 0)
    assert own.connection is session
    own.set_tenant(alpha)
    assert _read(own) == ("{h_alpha,public}", 1)
    own.close()
    own.set_schema_to_public()
    assert _read(own) == ("{public}", 1)  # the session still held alpha's path
