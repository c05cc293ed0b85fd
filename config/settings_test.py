"""Settings for the test suite, so that a bare `pytest` from the repository root works (pyproject.toml names it).

Safe defaults for the local PostgreSQL and Redis; the environment still wins (scripts/test sets DATABASE_URL and
TEST_REDIS_URL). They are written into os.environ before config.settings reads it, so processes a test starts (a
Celery worker, `manage.py`) see the same values. The keys are random per test run: nothing is committed.
"""

import os
import secrets

_DEFAULTS = {
    "DJANGO_DEBUG": "true",
    "BASE_DOMAIN": "localhost",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rhms",  # the tests run in test_rhms (pytest-django)
    "CACHE_KEY_PREFIX": "rhms-test",
    "WEBHOOK_ALLOW_PRIVATE": "true",  # a plain http://127.0.0.1 receiver; the SSRF tests turn it off
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
}
# Its own Redis database (TEST_REDIS_URL, as in scripts/test; never REDIS_URL): the tests clear the cache, so never
# a developer's cache or queue.
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The event streams' channel layer in the database below it: clearing the cache between tests leaves it alone.
_redis_base, _, _redis_db = os.environ["REDIS_URL"].rpartition("/")
os.environ.setdefault("CHANNEL_LAYER_REDIS_URL", f"{_redis_base}/{(int(_redis_db or 0) - 1) % 16}")
for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from config.settings import *  # noqa: E402, F403
