"""Switching schema: run code in one hospital's schema or the public one, and find the request's hospital."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from shared_apps.hospitals.models import Hospital


@contextmanager
def hospital_context(hospital: Hospital) -> Iterator[Hospital]:
    """Run the block inside `hospital`'s schema (search_path: hospital, public), then restore the previous one."""
    with tenant_context(hospital):
        yield hospital


@contextmanager
def public_context() -> Iterator[None]:
    with schema_context(get_public_schema_name()):
        yield


def use_public_schema() -> None:
    """Point the connection back at the public schema (after a request or task left it in a hospital's)."""
    connection.set_schema_to_public()


def resolve_hospital(request) -> Hospital | None:
    """The approved hospital whose subdomain served this request; None on the platform host."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return None
    return tenant


def for_each_hospital(queryset=None) -> Iterator[Hospital]:
    """Yield each approved hospital with its schema active. O(hospitals): for commands, never for requests."""
    hospitals = queryset if queryset is not None else Hospital.objects.approved()
    for hospital in hospitals.order_by("pk").iterator():
        with hospital_context(hospital):
            yield hospital
