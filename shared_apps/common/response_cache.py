"""Cached JSON responses, invalidated by version keys that writes bump after commit.

An entry remembers the versions it was built at; a request reads those versions and the entry in one Redis round
trip and serves the entry only if they still match. Writes bump a version with `bump_after_commit(key)`. The TTL
bounds memory and, for bodies that depend on the clock (free slots, "upcoming"), staleness. An entry keeps its
body's ETag, so a conditional request served from the cache is answered 304 without serializing or hashing.
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


def cached_json(
    request, *, scope: str, versions: list[str], ttl: int, build, vary: str = "", good_for=None
) -> HttpResponse:
    """`build()`'s body as JSON, served from the cache while `versions` are unchanged (and for at most `ttl` s).

    The entry is keyed by the full URL (and `vary`, e.g. the user id, for per-user bodies). `good_for(body)`, when
    given, caps the entry's life at the seconds the body stays true (it shows something that lapses at a set time).
    """
    if ttl <= 0:
        return _json(JSONRenderer().render(build()))
    digest = hashlib.sha256(f"{vary}|{request.build_absolute_uri()}".encode()).hexdigest()[:32]
    key = f"response:{scope}:{digest}"
    found = cache.get_many([*versions, key])
    current = tuple(found.get(version, 0) for version in versions)
    entry = found.get(key)
    if entry is not None and entry[0] == current and len(entry) == 3:
        return _json(entry[1], etag=entry[2])  # no serialization, no hashing: a 304 costs the one round trip
    body = build()
    content = JSONRenderer().render(body)
    etag = content_etag(content)
    timeout = int(ttl if good_for is None else min(ttl, good_for(body)))
    if timeout > 0:
        cache.set(key, (current, content, etag), timeout=timeout)
    return _json(content, etag=etag)


def content_etag(content: bytes) -> str:
    """A strong ETag of a body: the same bytes, the same tag."""
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def _json(content: bytes, *, etag: str | None = None) -> HttpResponse:
    """The body with its ETag; ConditionalGetMiddleware turns it into a 304 when If-None-Match has that tag."""
    response = HttpResponse(content, content_type="application/json")
    response["ETag"] = etag or content_etag(content)
    return response
