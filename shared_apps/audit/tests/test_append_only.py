import pytest
from django.db import DatabaseError, connection, transaction

from shared_apps.audit.models import AuditLog
from shared_apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_updated_through_the_orm():
    row = audit_record(actor=None, action="test.action", entity="thing", entity_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(action="rewritten")
    assert AuditLog.objects.get(pk=row.pk).action == "test.action"


def test_audit_rows_cannot_be_deleted_even_in_raw_sql():
    row = audit_record(actor=None, action="test.action", entity="thing", entity_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditlog WHERE id = %s", [row.pk])
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_the_django_admin_offers_no_way_to_change_audit_rows(rf):
    from django.contrib.admin.sites import site

    model_admin = site._registry[AuditLog]
    request = rf.get("/")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def _check_constraints_now():
    """The row just added leaves deferred foreign-key checks pending, and PostgreSQL refuses TRUNCATE on a table
    with pending trigger events whatever our trigger says."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_audit_log_cannot_be_truncated():
    row = audit_record(actor=None, action="test.action", entity="thing", entity_id=1)
    _check_constraints_now()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditlog")
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_nor_emptied_by_a_cascade_from_the_tables_it_points_to():
    row = audit_record(actor=None, action="test.action", entity="thing", entity_id=1)
    _check_constraints_now()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user CASCADE")
    assert AuditLog.objects.filter(pk=row.pk).exists()
