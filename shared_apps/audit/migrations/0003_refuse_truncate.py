from django.db import migrations

# TRUNCATE fires no row triggers, so 0002 alone let `TRUNCATE audit_auditlog` (or a TRUNCATE ... CASCADE of a table
# it points to) empty the log: a statement trigger refuses it too.
# No exception is needed for the test suite: pytest-django's flush after a transactional test (one TRUNCATE of every
# public table) cannot run in this project anyway, since tenant tables reference public ones (doctors_doctor →
# accounts_user); the suite has no transactional tests and commits what a server thread or worker must see instead.
FORBID = """
CREATE OR REPLACE FUNCTION audit_auditlog_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditlog is append-only: TRUNCATE is not allowed' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditlog_refuse_truncate
    BEFORE TRUNCATE ON audit_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditlog_refuse_truncate();
"""

ALLOW = """
DROP TRIGGER IF EXISTS audit_auditlog_refuse_truncate ON audit_auditlog;
DROP FUNCTION IF EXISTS audit_auditlog_refuse_truncate();
"""


class Migration(migrations.Migration):
    """Audit rows cannot be removed in bulk either: TRUNCATE is refused like DELETE."""

    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunSQL(FORBID, ALLOW)]
