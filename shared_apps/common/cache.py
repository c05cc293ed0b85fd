"""The cache fails open while Redis is unreachable (django-redis' IGNORE_EXCEPTIONS): reads miss, writes are dropped.

The cache holds only what can be rebuilt (catalogue responses, throttle and rate-limit counters), so an outage costs
speed and rate limiting for its duration, never a 500. An outage is logged twice, when it starts and when it ends
(with the number of calls that failed), not once per call: `RedisOutage` keeps that count, for the cache and for
the notification queue.
"""

import logging
import sys
import threading

from django_redis.cache import RedisCache
from redis.connection import ConnectionPool

logger = logging.getLogger(__name__)


class RedisOutage:
    """One outage log for one use of Redis: a line when calls start failing, one when a call succeeds again."""

    def __init__(self, what: str):
        self.what = what
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException | None = None) -> None:
        with self._lock:
            self.failures += 1
            first = self.failures == 1
        if first:
            reason = type(getattr(exc, "__cause__", None) or exc).__name__  # django-redis wraps redis' error
            logger.warning("Redis unavailable for the %s (%s); failing open until it answers", self.what, reason)

    def recovered(self) -> None:
        if not self.failures:  # the usual case: no lock, nothing to say
            return
        with self._lock:
            count, self.failures = self.failures, 0
        if count:
            logger.warning("Redis answers again for the %s; %d calls failed during the outage", self.what, count)


CACHE_OUTAGE = RedisOutage("cache")


class _OutageLogger:
    """Stands in for the logger django-redis reports each ignored exception to (`logger.exception(...)`)."""

    def exception(self, *args, **kwargs) -> None:
        CACHE_OUTAGE.failed(sys.exc_info()[1])


class FailOpenRedisCache(RedisCache):
    """django-redis' cache (OPTIONS: IGNORE_EXCEPTIONS) whose ignored exceptions feed the outage log."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._log_ignored_exceptions = True
        self.logger = _OutageLogger()


class OutageAwareConnectionPool(ConnectionPool):
    """The cache's connection pool (OPTIONS: CONNECTION_POOL_CLASS): a connection handed out ends an outage."""

    def get_connection(self, *args, **kwargs):
        connection = super().get_connection(*args, **kwargs)
        CACHE_OUTAGE.recovered()
        return connection
