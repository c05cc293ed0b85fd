import re

import pytest
from django.core import mail
from django.db import connection

from shared_apps.accounts.models import HospitalMembership, Role, User
from shared_apps.audit.models import AuditLog
from shared_apps.common.errors import ApplicationError
from shared_apps.hospitals import services as hospital_services
from shared_apps.hospitals.models import Domain, HospitalStatus
from shared_apps.hospitals.services import hospital_approve, hospital_reject
from shared_apps.hospitals.tenancy import TEMPLATE_SCHEMA, provision_schema, schema_shape, template_missing_migrations
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from shared_apps.notifications.models import Notification
from shared_apps.notifications.tasks import notification_send

pytestmark = pytest.mark.django_db


def schema_count(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone()[0]


def send_all_queued():
    for notification_id in Notification.objects.filter(status="queued").values_list("pk", flat=True):
        notification_send.apply(args=[notification_id])


def test_the_whole_onboarding_flow_over_http(api, as_user, superadmin, client):
    registered = api.post(
        "/api/hospitals/register/",
        {
            "name": "Harbor Health",
            "registration_number": "HH-1",
            "email": "Admin@Harbor.example.com",
            "address": "1 Pier",
            "phone_number": "+14155550199",
            "city": "Oakland",
            "timezone": "America/Los_Angeles",
            "subdomain": "harbor",
        },
        format="json",
    ).json()
    admin_api = as_user(superadmin)
    pending = admin_api.get("/api/admin/hospitals/pending/").json()
    assert [h["id"] for h in pending["results"]] == [registered["id"]]
    assert client.get("/", HTTP_HOST="harbor.localhost").status_code == 404  # not approved yet

    approved = admin_api.post(f"/api/admin/hospitals/{registered['id']}/approve/")

    assert approved.status_code == 200, approved.content
    assert approved.json() == {"id": registered["id"], "status": "approved", "domain": "harbor.localhost"}
    assert schema_count("h_harbor") == 1
    dashboard = client.get("/", HTTP_HOST="harbor.localhost")
    assert dashboard.status_code == 302
    assert "/sign-in/" in dashboard["Location"]

    mail.outbox.clear()
    send_all_queued()
    invitation = next(m for m in mail.outbox if m.to == ["admin@harbor.example.com"] and "password" in m.subject)
    link = re.search(r"http://localhost:8000(/accounts/set-password/\S+/)", invitation.body).group(1)
    assert "Harbor Health" in invitation.body

    assert client.get(link).status_code == 200  # a mail scanner's prefetch consumes nothing
    assert client.get(link).status_code == 200
    done = client.post(link, {"new_password1": "Harbor-admin-pass-99", "new_password2": "Harbor-admin-pass-99"})
    assert done.status_code == 200
    assert client.get(link).status_code == 400  # single use

    login = api.post("/api/auth/login/", {"email": "admin@harbor.example.com", "password": "Harbor-admin-pass-99"})
    assert login.status_code == 200
    assert login.json()["user"]["role"] == "hospital_admin"
    assert login.json()["user"]["hospital_id"] == registered["id"]

    signed_in = client.post(
        "/sign-in/",
        {"username": "admin@harbor.example.com", "password": "Harbor-admin-pass-99"},
        HTTP_HOST="harbor.localhost",
    )
    assert signed_in.status_code == 302
    assert client.get("/", HTTP_HOST="harbor.localhost").status_code == 200
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code in (302, 404)


def test_approving_twice_provisions_once(superadmin):
    hospital = PendingHospitalFactory()
    hospital_approve(actor=superadmin, hospital=hospital)

    with pytest.raises(ApplicationError) as excinfo:
        hospital_approve(actor=superadmin, hospital=hospital)

    assert excinfo.value.code == "invalid_state"
    assert schema_count(hospital.schema_name) == 1
    assert Domain.objects.filter(tenant=hospital).count() == 1
    assert AuditLog.objects.filter(action="hospital.approved", entity_id=str(hospital.pk)).count() == 1


def test_approve_twice_over_http_is_a_409(as_user, superadmin):
    hospital = PendingHospitalFactory()
    client = as_user(superadmin)
    assert client.post(f"/api/admin/hospitals/{hospital.pk}/approve/").status_code == 200
    again = client.post(f"/api/admin/hospitals/{hospital.pk}/approve/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state"


def test_approve_after_reject_is_a_409(as_user, superadmin):
    hospital = PendingHospitalFactory()
    client = as_user(superadmin)
    assert client.post(f"/api/admin/hospitals/{hospital.pk}/reject/", {"reason": "Incomplete"}).status_code == 200
    assert client.post(f"/api/admin/hospitals/{hospital.pk}/approve/").status_code == 409
    assert schema_count(hospital.schema_name) == 0


def test_rejection_records_and_emails_the_reason(superadmin):
    hospital = PendingHospitalFactory()
    hospital_reject(actor=superadmin, hospital=hospital, reason="Registration number could not be verified.")

    hospital.refresh_from_db()
    assert (hospital.status, hospital.rejection_reason) == ("rejected", "Registration number could not be verified.")
    assert AuditLog.objects.filter(action="hospital.rejected", entity_id=str(hospital.pk)).exists()
    mail.outbox.clear()
    send_all_queued()
    rejection = next(m for m in mail.outbox if m.to == [hospital.email] and "application" in m.subject)
    assert "could not be verified" in rejection.body


def test_reject_requires_a_reason(as_user, superadmin):
    hospital = PendingHospitalFactory()
    response = as_user(superadmin).post(f"/api/admin/hospitals/{hospital.pk}/reject/", {})
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_a_failure_midway_through_provisioning_leaves_nothing_behind(superadmin, monkeypatch):
    hospital = PendingHospitalFactory()
    users_before = User.objects.count()

    def explode(**kwargs):
        raise RuntimeError("mail server exploded")

    monkeypatch.setattr(hospital_services, "password_link_send", explode)
    with pytest.raises(RuntimeError):
        hospital_approve(actor=superadmin, hospital=hospital)

    hospital.refresh_from_db()
    assert hospital.status == HospitalStatus.PENDING
    assert schema_count(hospital.schema_name) == 0
    assert not Domain.objects.filter(tenant=hospital).exists()
    assert User.objects.count() == users_before
    assert not HospitalMembership.objects.filter(hospital=hospital).exists()


def test_approval_refuses_when_the_hospital_email_belongs_to_a_patient(superadmin, patient):
    hospital = PendingHospitalFactory(email=patient.email)
    with pytest.raises(ApplicationError) as excinfo:
        hospital_approve(actor=superadmin, hospital=hospital)
    assert excinfo.value.code == "email_in_use"


@pytest.mark.parametrize("who", ["anonymous", "patient", "hospital_admin"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/admin/hospitals/pending/"),
        ("post", "/api/admin/hospitals/{id}/approve/"),
        ("post", "/api/admin/hospitals/{id}/reject/"),
    ],
)
def test_only_the_superadmin_reaches_the_admin_endpoints(api, as_user, patient, alpha_admin, who, method, path):
    hospital = PendingHospitalFactory()
    client = {"anonymous": api, "patient": as_user(patient), "hospital_admin": as_user(alpha_admin)}[who]

    response = getattr(client, method)(path.format(id=hospital.pk), {"reason": "x"})

    assert response.status_code == (401 if who == "anonymous" else 403)
    hospital.refresh_from_db()
    assert hospital.status == HospitalStatus.PENDING


def test_approving_an_unknown_hospital_is_a_404(as_user, superadmin):
    assert as_user(superadmin).post("/api/admin/hospitals/999999/approve/").status_code == 404
    assert as_user(superadmin).post(f"/api/admin/hospitals/{'9' * 40}/approve/").status_code == 404


def test_provisioning_refuses_a_stale_template(superadmin):
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations WHERE app = 'doctors' AND name = '0001_initial'"
        )
    hospital = PendingHospitalFactory()

    assert template_missing_migrations() == ["doctors.0001_initial"]
    with pytest.raises(ApplicationError) as excinfo:
        hospital_approve(actor=superadmin, hospital=hospital)

    assert excinfo.value.code == "template_outdated"
    assert excinfo.value.status == 503
    assert schema_count(hospital.schema_name) == 0


def test_the_template_is_current_after_migrate():
    assert template_missing_migrations() == []


@pytest.fixture(params=["snapshot", "clone"])
def way_of_making(request, monkeypatch):
    """Both ways a schema is made: the template's captured SQL replayed, and clone_schema (without pg_dump)."""
    if request.param == "clone":
        monkeypatch.setattr("shared_apps.hospitals.tenancy.provisioning.snapshot_statements", lambda template: None)
    return request.param


def test_a_made_schema_has_the_same_columns_constraints_and_indexes_as_a_migrated_one(way_of_making):
    hospital = PendingHospitalFactory()
    provision_schema(hospital)  # a copy of the template, which migrate_schemas built by running migrations

    cloned, migrated = schema_shape(hospital.schema_name), schema_shape(TEMPLATE_SCHEMA)

    assert migrated["constraints"], "the template has tenant tables"
    assert cloned["columns"] == migrated["columns"]
    assert cloned["constraints"] == migrated["constraints"]
    assert cloned["indexes"] == migrated["indexes"]


def test_migrate_schemas_skips_hospitals_that_have_no_schema():
    from shared_apps.hospitals.tenancy import _schemas_to_migrate

    pending = PendingHospitalFactory()
    assert _schemas_to_migrate([pending.schema_name, "h_alpha"]) == [TEMPLATE_SCHEMA, "h_alpha"]


def test_hospital_admin_user_is_created_with_an_unusable_password(superadmin):
    hospital = hospital_approve(actor=superadmin, hospital=PendingHospitalFactory())
    admin = User.objects.get(email=hospital.email)
    assert admin.role == Role.HOSPITAL_ADMIN
    assert not admin.has_usable_password()
    notification = Notification.objects.get(hospital=hospital, template="hospital_approved")
    assert notification.context == {"user_id": admin.pk, "hospital_id": hospital.pk}  # ids only, no token


def test_cloning_keeps_the_names_of_plain_unique_constraints(monkeypatch):
    # The clone function renames plain UNIQUE constraints to PostgreSQL's defaults; provisioning renames them back.
    # (The snapshot keeps every name: pg_dump writes them. It is of the committed template, so cloning here.)
    monkeypatch.setattr("shared_apps.hospitals.tenancy.provisioning.snapshot_statements", lambda template: None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {TEMPLATE_SCHEMA}.doctors_doctor "
            "ADD CONSTRAINT doctors_doctor_name_spec_uniq UNIQUE (name, specialization)"
        )
    hospital = PendingHospitalFactory()
    provision_schema(hospital)

    names = {row[1] for row in schema_shape(hospital.schema_name)["constraints"]}
    assert "doctors_doctor_name_spec_uniq" in names
    assert schema_shape(hospital.schema_name) == schema_shape(TEMPLATE_SCHEMA)


def test_approval_claims_a_pooled_clone_and_the_refill_tops_the_pool_up(superadmin, django_capture_on_commit_callbacks):
    from shared_apps.hospitals.models import PooledSchema
    from shared_apps.hospitals.tenancy import schema_pool_fill

    assert schema_pool_fill(2) == 2
    pooled = list(PooledSchema.objects.values_list("name", flat=True))
    hospital = PendingHospitalFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        hospital_approve(actor=superadmin, hospital=hospital)

    assert PooledSchema.objects.count() == 1
    assert schema_count(pooled[0]) == 0  # renamed, not copied
    assert schema_count(hospital.schema_name) == 1
    assert schema_shape(hospital.schema_name) == schema_shape(TEMPLATE_SCHEMA)
    assert any(getattr(c, "__name__", "") == "_refill_schema_pool" for c in callbacks)


def test_a_pooled_clone_behind_the_migrations_is_discarded_not_used(superadmin):
    from shared_apps.hospitals.models import PooledSchema
    from shared_apps.hospitals.tenancy import schema_pool_fill

    schema_pool_fill(1)
    stale = PooledSchema.objects.get().name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {stale}.django_migrations WHERE app = 'doctors'")
    hospital = PendingHospitalFactory()

    hospital_approve(actor=superadmin, hospital=hospital)

    assert schema_count(stale) == 0
    assert not PooledSchema.objects.exists()
    assert template_missing_migrations(hospital.schema_name) == []


def test_a_failed_approval_gives_the_pooled_clone_back(superadmin, monkeypatch):
    from shared_apps.hospitals.models import PooledSchema
    from shared_apps.hospitals.tenancy import schema_pool_fill

    schema_pool_fill(1)
    pooled = PooledSchema.objects.get().name
    monkeypatch.setattr(hospital_services, "password_link_send", lambda **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        hospital_approve(actor=superadmin, hospital=PendingHospitalFactory())
    assert list(PooledSchema.objects.values_list("name", flat=True)) == [pooled]
    assert schema_count(pooled) == 1


def test_migrate_schemas_also_migrates_the_pool():
    from shared_apps.hospitals.models import PooledSchema
    from shared_apps.hospitals.tenancy import _schemas_to_migrate, schema_pool_fill

    schema_pool_fill(1)
    assert PooledSchema.objects.get().name in _schemas_to_migrate(["h_alpha"])


def test_migrate_skips_schemas_that_are_current_and_keeps_those_that_are_behind():
    from shared_apps.hospitals.tenancy import _plain_migrate, _schemas_behind

    assert _schemas_behind([TEMPLATE_SCHEMA, "h_alpha", "h_beta"]) == []
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM h_alpha.django_migrations WHERE app = 'directory'")  # a shared app: no matter
        cursor.execute("DELETE FROM h_beta.django_migrations WHERE app = 'doctors'")
    assert _schemas_behind([TEMPLATE_SCHEMA, "h_alpha", "h_beta"]) == ["h_beta"]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations WHERE app = 'directory'")
    assert _schemas_behind([TEMPLATE_SCHEMA, "h_alpha", "h_beta"]) == [TEMPLATE_SCHEMA, "h_beta"]
    assert _plain_migrate({"verbosity": 1, "interactive": False})
    assert not _plain_migrate({"app_label": "doctors"})
    assert not _plain_migrate({"fake": True})


def test_migrate_captures_the_template_once_per_set_of_migrations():
    from shared_apps.hospitals.models import TemplateSnapshot
    from shared_apps.hospitals.tenancy.snapshot import PLACEHOLDER, migrations_key

    (snapshot,) = TemplateSnapshot.objects.all()  # taken by the test database's migrate_schemas
    assert snapshot.migrations_key == migrations_key()
    assert snapshot.statements.startswith(f"CREATE SCHEMA {PLACEHOLDER};")
    assert f'INSERT INTO {PLACEHOLDER}."django_migrations"' in snapshot.statements  # its migration records


def test_a_made_schema_records_the_templates_migrations(superadmin):
    hospital = hospital_approve(actor=superadmin, hospital=PendingHospitalFactory())
    assert template_missing_migrations(hospital.schema_name, tenant_only=True) == []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{hospital.schema_name}".django_migrations')
        made = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {TEMPLATE_SCHEMA}.django_migrations")
        assert made == cursor.fetchone()[0]
        cursor.execute(  # its identity goes on after the copied rows
            f'INSERT INTO "{hospital.schema_name}".django_migrations (app, name, applied) VALUES (%s, %s, now())',
            ["later", "0001"],
        )


def test_a_template_holding_what_the_snapshot_does_not_copy_is_cloned():
    from shared_apps.hospitals.tenancy.snapshot import snapshot_take

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIEW {TEMPLATE_SCHEMA}.doctor_names AS SELECT name FROM {TEMPLATE_SCHEMA}.doctors_doctor"
        )
    assert snapshot_take(TEMPLATE_SCHEMA) is None
