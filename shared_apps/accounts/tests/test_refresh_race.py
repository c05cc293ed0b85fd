"""Two clients refreshing one token at the same moment: at most one gets a new pair (real parallel transactions)."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.accounts.tokens import tokens_for

RACERS = 6


@pytest.fixture
def committed_refresh_token(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield tokens_for(PatientFactory().user)["refresh"]


def test_concurrent_refreshes_of_one_token_succeed_at_most_once(committed_refresh_token, django_db_blocker):
    barrier = threading.Barrier(RACERS)
    statuses = []

    def refresh():
        try:
            barrier.wait()
            response = APIClient().post("/api/auth/refresh/", {"refresh": committed_refresh_token}, format="json")
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=refresh) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(statuses) == [200] + [401] * (RACERS - 1)
