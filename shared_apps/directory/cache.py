"""The public catalogue (hospital list, doctor directory) as cached responses under one version key.

Every write that changes what patients browse calls `catalog_changed()`; see shared_apps/common/response_cache.py.
"""

from django.conf import settings

from shared_apps.common.cache_versions import CATALOG_VERSION
from shared_apps.common.response_cache import bump_after_commit, cached_json


def catalog_changed() -> None:
    """Invalidate every cached catalogue response once the current transaction commits."""
    bump_after_commit(CATALOG_VERSION)


def cached_catalog_response(request, scope: str, build):
    return cached_json(
        request, scope=scope, versions=[CATALOG_VERSION], ttl=settings.CATALOG_CACHE_SECONDS, build=build
    )
