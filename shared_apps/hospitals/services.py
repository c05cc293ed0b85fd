from django.conf import settings
from django.db import transaction

from shared_apps.hospitals.models import PUBLIC_SCHEMA, Domain, Hospital, HospitalStatus


@transaction.atomic
def platform_ensure() -> Hospital:
    """Create (once) the public tenant row and its domain for BASE_DOMAIN. Idempotent."""
    platform, _ = Hospital.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA,
        defaults={
            "name": "RHMS platform",
            "slug": "platform",
            "registration_number": "platform",
            "email": f"platform@{settings.BASE_DOMAIN}",
            "address": "-",
            "phone_number": "-",
            "city": "-",
            "status": HospitalStatus.APPROVED,
        },
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": platform, "is_primary": True})
    return platform
