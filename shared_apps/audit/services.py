from shared_apps.audit.context import current_client_ip
from shared_apps.audit.models import AuditLog


def audit_record(
    *,
    actor,
    action: str,
    entity: str,
    entity_id="",
    hospital=None,
    metadata: dict | None = None,
) -> AuditLog:
    """Append one audit row, in the caller's transaction (so it commits or rolls back with the change).

    `actor` may be None (anonymous) or an unsaved/anonymous user; the request's client IP is taken from context.
    """
    user = actor if getattr(actor, "pk", None) else None
    hospital_id = getattr(hospital, "pk", hospital)
    return AuditLog.objects.create(
        user=user,
        hospital_id=hospital_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id or ""),
        ip=current_client_ip(),
        metadata=metadata or {},
    )
