"""Project-wide fixtures. The platform (public tenant) is created once per test session."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from shared_apps.accounts.tokens import tokens_for


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from shared_apps.hospitals.services import platform_ensure

    with django_db_blocker.unblock():
        platform_ensure()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in Redis: start every test with none."""
    cache.clear()
    return


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    """as_user(user) → an APIClient sending that user's access token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
        return client

    return make
