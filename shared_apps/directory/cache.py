"""A response cache for the public catalogue (hospital list, doctor directory), invalidated by version.

Every write that changes what patients browse bumps the catalogue version after commit, so the next request
misses and rebuilds; the TTL only bounds memory. A hit is one Redis round trip and no SQL: the stored entry
carries the version it was built at and the rendered JSON.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

VERSION_KEY = "catalog:version"


def catalog_changed() -> None:
    """Invalidate every cached catalogue response once the current transaction commits."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # first bump: the key does not exist yet
        cache.add(VERSION_KEY, 1, timeout=None) or cache.incr(VERSION_KEY)


def cached_catalog_response(request, scope: str, build) -> HttpResponse:
    """This URL's JSON at the current catalogue version: from the cache, or `build()` rendered and stored."""
    if not settings.CATALOG_CACHE_SECONDS:
        return _json(JSONRenderer().render(build()))
    key = f"catalog:{scope}:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY, 0)
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return _json(entry[1])
    content = JSONRenderer().render(build())
    cache.set(key, (version, content), timeout=settings.CATALOG_CACHE_SECONDS)
    return _json(content)


def _json(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="application/json")
