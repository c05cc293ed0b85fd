"""While Redis is down the cache fails open (the lists still answer) and the outage is logged once, not per call."""

import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from shared_apps.common.cache import CACHE_OUTAGE

pytestmark = pytest.mark.django_db

LIVE_REDIS = settings.CACHES
# The deployed cache settings, pointed at a port where nothing listens.
DEAD_REDIS = {"default": {**LIVE_REDIS["default"], "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def redis_down(settings):
    settings.CATALOG_CACHE_SECONDS = 300  # the lists go through the cache, as deployed
    CACHE_OUTAGE.failures = 0
    with override_settings(CACHES=DEAD_REDIS):  # Django's test signals rebuild the cache handlers
        yield
    CACHE_OUTAGE.failures = 0


def _outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "shared_apps.common.cache"]


def test_lists_answer_from_the_database_and_the_outage_is_logged_once(api, alpha, redis_down, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        assert api.get("/api/hospitals/").status_code == 200
        assert api.get("/api/doctors/").status_code == 200
    assert CACHE_OUTAGE.failures >= 6  # every list request reached the (dead) cache
    assert _outage_lines(caplog) == ["Redis unavailable for the cache (ConnectionError); failing open until it answers"]


def test_the_end_of_an_outage_is_logged_once_with_its_count(api, alpha, redis_down, caplog):
    caplog.set_level(logging.WARNING)
    assert api.get("/api/hospitals/").status_code == 200
    failed = CACHE_OUTAGE.failures
    with override_settings(CACHES=LIVE_REDIS):  # Redis is back
        assert api.get("/api/hospitals/").status_code == 200
        assert api.get("/api/hospitals/").status_code == 200
        cache.set("after-the-outage", 1)
        assert cache.get("after-the-outage") == 1
    lines = _outage_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[1] == f"Redis answers again for the cache; {failed} calls failed during the outage"


def test_login_works_while_redis_is_down(api, patient, redis_down):
    from shared_apps.accounts.tests.factories import PASSWORD

    patient.set_password(PASSWORD)
    patient.save(update_fields=["password"])
    assert api.post("/api/auth/login/", {"email": patient.email, "password": PASSWORD}).status_code == 200
