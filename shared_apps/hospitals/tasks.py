from celery import shared_task
from django.conf import settings

from shared_apps.hospitals.tenancy import schema_pool_fill


@shared_task(ignore_result=True)
def schema_pool_refill() -> int:
    """Top the pool of pre-cloned schemas back up to SCHEMA_POOL_SIZE (after an approval claimed one)."""
    return schema_pool_fill(settings.SCHEMA_POOL_SIZE)
