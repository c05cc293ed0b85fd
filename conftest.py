"""Project-wide fixtures.

Once per test session: the platform (public tenant) and two approved hospitals, "alpha" and "beta", each with its
own schema cloned from the template and an admin. Tests run in transactions on top of them and roll back.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

ALPHA_TZ = "Europe/London"
BETA_TZ = "America/New_York"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from shared_apps.hospitals.services import platform_ensure
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        from django.db import connection

        # Never seed a real database: pytest-django must have switched to the test one.
        assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]
        platform_ensure()
        approved_hospital(name="Alpha General", slug="alpha", timezone_name=ALPHA_TZ)
        approved_hospital(name="Beta Clinic", slug="beta", timezone_name=BETA_TZ)


@pytest.fixture
def alpha(db):
    from shared_apps.hospitals.models import Hospital

    return Hospital.objects.get(slug="alpha")


@pytest.fixture
def beta(db):
    from shared_apps.hospitals.models import Hospital

    return Hospital.objects.get(slug="beta")


def _admin_of(hospital):
    return hospital.memberships.select_related("user").get(role="hospital_admin").user


@pytest.fixture
def alpha_admin(alpha):
    return _admin_of(alpha)


@pytest.fixture
def beta_admin(beta):
    return _admin_of(beta)


@pytest.fixture
def superadmin(db):
    from shared_apps.accounts.tests.factories import SuperadminFactory

    return SuperadminFactory()


@pytest.fixture
def patient(db):
    from shared_apps.accounts.tests.factories import PatientFactory

    return PatientFactory().user


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttle counters live in Redis: start every test with none.

    Response caches are invalidated after commit, which a test's transaction never does: they are off here, and
    the tests of the caches turn them on and run the commit hooks.
    """
    cache.clear()
    settings.CATALOG_CACHE_SECONDS = 0
    settings.AVAILABILITY_CACHE_SECONDS = 0
    settings.MY_APPOINTMENTS_CACHE_SECONDS = 0
    settings.WAITLIST_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _public_schema():
    """A request through the test client leaves the connection in the hospital's schema it served."""
    from shared_apps.hospitals.tenancy import use_public_schema

    use_public_schema()
    yield
    use_public_schema()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    """as_user(user) → an APIClient sending that user's access token."""
    from shared_apps.accounts.tokens import tokens_for

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
        return client

    return make


@pytest.fixture(scope="module")
def served_project(django_db_setup, django_db_blocker):
    """The whole project (both URL confs, the event streams, static files) served over ASGI by uvicorn in a thread,
    on 127.0.0.1 (shared_apps/common/tests/served.py); yields the ServedProject (its port; stop() and start() to
    restart it).

    Not pytest-django's `live_server`: that one makes tests transactional and flushes every table afterwards,
    which would delete the session's `alpha` and `beta` hospitals that all other tests build on. The server sees
    committed data only: what a module fixture wrote, or what was sent through HTTP. Database access stays
    unblocked while the module runs: the server thread needs it.
    """
    from django.db import connection

    from shared_apps.common.tests.served import ServedProject

    if not connection.settings_dict["NAME"].startswith("test_"):
        # pytest-django creates the test database only if a selected test is marked django_db (or uses `db`).
        raise RuntimeError("Tests against the served project must run on the test database: mark them django_db.")
    with django_db_blocker.unblock():
        # Connections of the server's threads are closed after each request, so none is still open when the test
        # database is dropped.
        database = connection.settings_dict  # shared by every thread's connection
        max_age, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
        served = ServedProject().start()
        try:
            yield served
        finally:
            served.stop()
            database["CONN_MAX_AGE"] = max_age


@pytest.fixture(scope="module")
def project_server(served_project):
    """The served project's port."""
    return served_project.port
