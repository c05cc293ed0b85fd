"""Cached JSON responses, invalidated by version keys that writes bump after commit.

An entry remembers the versions it was built at; a request reads those versions and the entry in one Redis round
trip and serves the entry only if they still match. Writes bump a version with `bump_after_commit(key)`. The TTL
bounds memory and, for bodies that depend on the clock (free slots, "upcoming"), staleness.
"""

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer


def bump_after_commit(*keys: str) -> None:
    """Invalidate every cached response built under these version keys, once the transaction commits."""
    transaction.on_commit(lambda: [_bump(key) for key in keys])


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the key does not exist yet
        cache.add(key, 1, timeout=None) or cache.incr(key)


def cached_json(request, *, scope: str, versions: list[str], ttl: int, build, vary: str = "") -> HttpResponse:
    """`build()`'s body as JSON, served from the cache while `versions` are unchanged (and for at most `ttl` s).

    The entry is keyed by the full URL (and `vary`, e.g. the user id, for per-user bodies).
    """
    if ttl <= 0:
        return _json(JSONRenderer().render(build()))
    digest = hashlib.sha256(f"{vary}|{request.build_absolute_uri()}".encode()).hexdigest()[:32]
    key = f"response:{scope}:{digest}"
    found = cache.get_many([*versions, key])
    current = tuple(found.get(version, 0) for version in versions)
    entry = found.get(key)
    if entry is not None and entry[0] == current:
        return _json(entry[1])
    content = JSONRenderer().render(build())
    cache.set(key, (current, content), timeout=ttl)
    return _json(content)


def _json(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="application/json")
