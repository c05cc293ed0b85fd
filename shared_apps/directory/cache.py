"""The public catalogue (hospital list, doctor directory) as cached responses under one version key.

Every write that changes what patients browse calls `catalog_changed()`; see shared_apps/common/response_cache.py.
"""

from django.conf import settings

from shared_apps.common.cache_versions import CATALOG_VERSION, FREE_SLOTS_VERSION
from shared_apps.common.response_cache import bump_after_commit, cached_json


def catalog_changed() -> None:
    """Invalidate every cached catalogue response once the current transaction commits."""
    bump_after_commit(CATALOG_VERSION)


def free_slots_changed() -> None:
    """Invalidate every cached response that shows free-slot facts (the doctor directory) once the transaction
    commits, so the next request after a booking sees it."""
    bump_after_commit(FREE_SLOTS_VERSION)


def cached_catalog_response(request, scope: str, build, *, free_slots: bool = False):
    """A cached catalogue response; `free_slots` when it shows free-slot facts (stale after any booking)."""
    versions = [CATALOG_VERSION, FREE_SLOTS_VERSION] if free_slots else [CATALOG_VERSION]
    return cached_json(request, scope=scope, versions=versions, ttl=settings.CATALOG_CACHE_SECONDS, build=build)
