"""Request routing: a hospital's subdomain to its schema, every other allowed host to the platform."""

from django.conf import settings
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from shared_apps.common.outage import database_outage_response, is_database_outage
from shared_apps.hospitals.models import Domain, Hospital, HospitalStatus


class HospitalMiddleware(TenantMainMiddleware):
    """Serve an approved hospital's schema on its subdomain; the platform on every other allowed host.

    A pending, rejected, deactivated or unknown subdomain of BASE_DOMAIN is a 404, as if it did not exist. While the
    database is unreachable the lookup answers 503 (shared_apps/common/outage.py), before any other middleware runs.
    """

    def process_request(self, request):
        try:
            return super().process_request(request)
        except Exception as exc:
            if is_database_outage(exc):
                return database_outage_response(request, exc)
            raise

    def get_tenant(self, domain_model, hostname):
        base = settings.BASE_DOMAIN
        if hostname != base and hostname.endswith("." + base):
            hospital = hospital_for_host(hostname)
            if hospital is None:
                raise domain_model.DoesNotExist
            return hospital
        return _platform_tenant()


def hospital_for_host(hostname: str) -> Hospital | None:
    """The approved, active hospital served on this subdomain, or None."""
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, tenant__status=HospitalStatus.APPROVED, tenant__is_active=True)
        .first()
    )
    return None if domain is None else domain.tenant


def _platform_tenant() -> Hospital:
    """The public tenant row, read once per process: it never changes, and the platform host is the busiest."""
    global _platform
    if _platform is None:
        _platform = Hospital.objects.get(schema_name=get_public_schema_name())
    return _platform


_platform: Hospital | None = None
