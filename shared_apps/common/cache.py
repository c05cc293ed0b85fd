"""Django's Redis cache, failing open: while Redis is unreachable, reads miss and writes are dropped.

The cache holds only what can be rebuilt (catalogue responses, rate-limit counters), so an outage costs speed and
rate limiting for its duration, never a 500. Each failure is logged.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _fail_open(method, fallback):
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("Cache unavailable (%s): %s skipped", type(exc).__name__, method.__name__)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    wrapper.__name__ = method.__name__
    return wrapper


class ResilientRedisCache(RedisCache):
    get = _fail_open(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _fail_open(RedisCache.get_many, {})
    set = _fail_open(RedisCache.set, None)
    set_many = _fail_open(RedisCache.set_many, [])
    add = _fail_open(RedisCache.add, False)
    delete = _fail_open(RedisCache.delete, False)
    delete_many = _fail_open(RedisCache.delete_many, None)
    has_key = _fail_open(RedisCache.has_key, False)
    touch = _fail_open(RedisCache.touch, False)
    incr = _fail_open(RedisCache.incr, 1)
    clear = _fail_open(RedisCache.clear, None)
