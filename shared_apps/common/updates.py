"""The one partial-update helper (HackSoft's `model_update`): update services stay a few lines."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def model_update(*, instance: models.Model, fields: Iterable[str], data: dict) -> list[str]:
    """Set the values of `data` on `instance`, validate it and save those columns only; returns the fields set.

    Every key of `data` must be one of `fields` (the ones the caller allows): raises ValidationError (400) naming
    any other key, and ValidationError from `full_clean()` for invalid values. `updated_at` is refreshed when the
    model has one. Saves with `update_fields`, in the caller's transaction.
    """
    allowed = set(fields)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({key: ["This field cannot be changed."] for key in unknown})
    for field, value in data.items():
        setattr(instance, field, value)
    update_fields = list(data)
    if hasattr(instance, "updated_at"):
        instance.updated_at = timezone.now()
        update_fields.append("updated_at")
    instance.full_clean()
    instance.save(update_fields=update_fields)
    return list(data)
