"""No N+1: the number of queries of every list endpoint does not depend on the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.services import audit_record
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from tenant_apps.appointments.tests.helpers import book, bookable_doctor
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture
def lots(as_user, alpha, beta, superadmin, settings):
    from shared_apps.hospitals.services import hospital_approve

    settings.CATALOG_CACHE_SECONDS = 0  # measure the SQL path, not the cache
    for _ in range(2):
        hospital_approve(actor=superadmin, hospital=PendingHospitalFactory())
    for _ in range(4):
        PendingHospitalFactory()
        make_doctor(alpha)
        audit_record(actor=superadmin, action="test.row", entity="thing")
    doctor, day = bookable_doctor(alpha)
    for time in ("09:00", "09:30", "10:00", "10:30"):
        book(as_user(PatientFactory().user), doctor, day, time)


def queries(client, url, page_size) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == page_size, url
    return len(captured)


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/api/hospitals/", "anonymous"),
        ("/api/doctors/", "anonymous"),
        ("/api/admin/hospitals/pending/", "superadmin"),
        ("/api/admin/audit-logs/", "superadmin"),
        ("/api/admin/notifications/", "superadmin"),
        ("/api/appointments/hospital/", "alpha_admin"),
    ],
)
def test_list_query_counts_do_not_grow_with_the_page_size(lots, api, as_user, superadmin, alpha_admin, url, who):
    client = {"anonymous": api, "superadmin": as_user(superadmin), "alpha_admin": as_user(alpha_admin)}[who]
    assert queries(client, url, 1) == queries(client, url, 2) == queries(client, url, 4)
