"""Through PgBouncer in session mode (scripts/test runs this file again with DATABASE_URL on the pooler): a server
connection handed from one client to the next carries no hospital's search_path with it."""

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    str(connection.settings_dict.get("PORT")) != "6432", reason="only through PgBouncer (scripts/test's pooler run)"
)


def _pooler_conninfo() -> str:
    db = connection.settings_dict
    return f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"


def test_the_next_client_does_not_inherit_a_hospitals_search_path(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with psycopg.connect(_pooler_conninfo(), autocommit=True) as first:
            first.execute("SET search_path TO h_alpha, public")
            server = first.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(_pooler_conninfo(), autocommit=True) as second:
            handed_on, search_path = second.execute(
                "SELECT pg_backend_pid(), current_setting('search_path')"
            ).fetchone()
    assert handed_on == server  # the same server connection, reused by the pooler
    assert "h_alpha" not in search_path


def test_requests_read_their_own_hospital_through_the_pooler(alpha, beta, alpha_admin, beta_admin, as_user):
    """Requests for two hospitals in turn on pooled connections: each admin reads their own doctor's weekly
    schedule (from the hospital's schema); the other hospital's doctor does not exist for them."""
    from tenant_apps.doctors.tests.factories import make_doctor

    doctors = {"alpha": make_doctor(alpha), "beta": make_doctor(beta)}
    for _ in range(3):
        for own, other, admin in (("alpha", "beta", alpha_admin), ("beta", "alpha", beta_admin)):
            client = as_user(admin)
            assert client.get(f"/api/doctors/{doctors[own].pk}/schedule/").status_code == 200, own
            assert client.get(f"/api/doctors/{doctors[other].pk}/schedule/").status_code == 404, own
