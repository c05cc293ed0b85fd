import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "shared_apps.common.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def redis_down():
    with override_settings(CACHES=DEAD_REDIS):  # Django's test signals rebuild the cache handlers
        yield


def test_public_lists_and_login_work_while_redis_is_down(api, alpha, patient, redis_down):
    from shared_apps.accounts.tests.factories import PASSWORD

    patient.set_password(PASSWORD)
    patient.save(update_fields=["password"])
    assert api.get("/api/hospitals/").status_code == 200
    assert api.get("/api/doctors/").status_code == 200
    assert api.post("/api/auth/login/", {"email": patient.email, "password": PASSWORD}).status_code == 200
