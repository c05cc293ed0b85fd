"""`scripts/run` loads demo data with `manage.py load_demo`: it must work on the current models, and twice."""

import io

import pytest
from django.core.management import call_command

from shared_apps.hospitals.models import Hospital, HospitalStatus
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import Doctor, DoctorAvailability

pytestmark = pytest.mark.django_db


def test_demo_data_loads_and_loading_it_again_changes_nothing(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())

    demo = Hospital.objects.get(slug="demo")
    assert demo.status == HospitalStatus.APPROVED
    assert Hospital.objects.filter(slug="lakeside", status=HospitalStatus.APPROVED).count() == 1
    with hospital_context(demo):
        assert Doctor.objects.count() == 3
        assert DoctorAvailability.objects.filter(is_available=True).exists()
