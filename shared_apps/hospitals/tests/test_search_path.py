"""`TENANT_LIMIT_SET_CALLS`: django-tenants sets search_path once per connection and schema switch, not per cursor.
PostgreSQL reverts a `SET` with the transaction or savepoint that issued it, so the path must be set again then."""

import pytest
from django.db import connection, transaction
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
