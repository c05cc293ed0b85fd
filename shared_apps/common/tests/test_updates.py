import pytest
from django.core.exceptions import ValidationError

from shared_apps.common.updates import model_update

pytestmark = pytest.mark.django_db


def test_model_update_sets_only_the_allowed_fields(patient):
    assert model_update(instance=patient, fields=["name"], data={"name": "Renamed"}) == ["name"]
    patient.refresh_from_db()
    assert patient.name == "Renamed"


def test_model_update_refuses_an_unknown_key_and_changes_nothing(patient):
    with pytest.raises(ValidationError) as excinfo:
        model_update(instance=patient, fields=["name"], data={"name": "X", "role": "superadmin"})
    assert list(excinfo.value.message_dict) == ["role"]
    patient.refresh_from_db()
    assert (patient.name, patient.role) != ("X", "superadmin")
    assert patient.role == "patient"


def test_model_update_validates_before_saving(patient):
    with pytest.raises(ValidationError):
        model_update(instance=patient, fields=["email"], data={"email": "not an email"})
