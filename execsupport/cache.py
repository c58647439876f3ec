"""A Redis cache that a Redis outage cannot turn into server errors.

Everything this app keeps in the cache can be lost: API throttle counters, cached list pages
and overview parts keyed by data version. So when Redis is unreachable, each cache operation
answers as a miss (``get`` gives the default, ``set`` keeps nothing, ``add`` and ``delete``
say nothing happened) and logs a warning, instead of raising into the view: pages are built
afresh and API throttling lets requests through (it "degrades open") until Redis is back.

After a failure the cache does not try Redis again for ``RETRY_SECONDS`` (an option of the
cache, default 5), so an unreachable host costs one connect timeout per process and period,
not one per operation. ``/healthz`` reports the state (``cache_health``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, cast

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError
from typing_extensions import override

logger = logging.getLogger("execsupport.cache")

# What each operation of Django's RedisCacheClient answers while Redis is unreachable.
_MISS: dict[str, Any] = {
    "add": False,
    "touch": False,
    "delete": False,
    "has_key": False,
    "set": None,
    "set_many": None,
    "delete_many": None,
    "clear": False,
}


class ResilientRedisCacheClient(RedisCacheClient):
    """Django's Redis client whose operations degrade to a miss while Redis is down."""

    def __init__(self, servers, *, retry_seconds: float = 5.0, **options) -> None:
        super().__init__(servers, **options)
        self.retry_seconds = retry_seconds
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.last_error = ""

    def _call(self, name: str, fallback: Any, *args) -> Any:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return getattr(super(), name)(*args)
        except RedisError as exc:
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + self.retry_seconds
                self.last_error = f"{type(exc).__name__}: {exc}"
            if first:
                logger.warning(
                    "Cache unreachable (%s); serving without it for %.0f s: pages are built "
                    "afresh and API throttling lets requests through.",
                    self.last_error,
                    self.retry_seconds,
                )
            return fallback

    @override
    def get(self, key, default):
        return self._call("get", default, key, default)

    @override
    def get_many(self, keys):
        return self._call("get_many", {}, keys)

    @override
    def incr(self, key, delta):
        # Django's contract for a missing key; nothing in this app counts with incr.
        result = self._call("incr", None, key, delta)
        if result is None:
            raise ValueError(f"Key {key!r} not found (cache unreachable).")
        return result

    def ping(self) -> None:
        """Raise ``RedisError`` unless Redis answers now (ignores the retry period)."""
        self.get_client(write=True).ping()


def _degrading(name: str, fallback: Any):
    def method(self, *args):
        return self._call(name, fallback, *args)

    method.__name__ = name
    method.__doc__ = f"``{name}``, or ``{fallback!r}`` while Redis is unreachable."
    return method


for _name, _fallback in _MISS.items():
    setattr(ResilientRedisCacheClient, _name, _degrading(_name, _fallback))


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` over ``ResilientRedisCacheClient``.

    ``OPTIONS``: ``retry_seconds`` (default 5) plus the redis-py connection options; socket
    timeouts default to 1 s so a hung Redis cannot hold a request either."""

    _options: dict[str, Any]  # RedisCache's client options (not in the stubs)

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
        self._options = {"socket_connect_timeout": 1, "socket_timeout": 1, **self._options}

    def health(self) -> tuple[bool, str]:
        """``(reachable, detail)`` from a PING now."""
        try:
            cast(ResilientRedisCacheClient, self._cache).ping()  # its client is ours (_class)
        except RedisError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, ""
