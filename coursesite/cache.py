"""Django's Redis cache backend: one redis-py client per pool, and no outage can break a page.

One client per pool: Django's RedisCacheClient.get_client() builds a new ``redis.Redis``
for every cache call. The connections are pooled, but building the client is not free:
redis-py fills its table of response callbacks each time, about 0.2 ms, so a page making
three cache calls spent longer building clients than talking to Redis (profiled for
docs/performance.md). A ``redis.Redis`` is safe to share between threads, so one per
pool is kept and reused. The memcached key checks are skipped too: Redis accepts any key.

Outages: Redis is a cache, so while it cannot be reached (stopped, restarting, out of
memory, or hung) reads are misses and writes are skipped, and the site serves from the
database. Nothing a view or a transaction asks of the cache can raise because of Redis.
A skipped write can leave Redis holding an older value (a session that was logged out,
a user who changed name) if Redis kept its data; so each process remembers the keys it
could not write and deletes them first when Redis answers again. After a failure the
process leaves Redis alone for OUTAGE_RETRY_SECONDS, so a dead Redis costs one short
timeout every few seconds instead of one per cache call, and needs no restart to be
used again. REDIS_URL must name a database used by this cache alone: if more keys were
skipped than a process remembers, it empties that database when Redis returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Loopback answers in well under a millisecond; these only bound what an unreachable
# or hung Redis costs a request (redis-py waits 5 s for each by default).
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
DEFAULT_RETRY_SECONDS = 5.0
WARNING_INTERVAL_SECONDS = 60.0
MAX_REMEMBERED_KEYS = 10_000
_MISSING = object()


class _Outage:
    """What one process knows about the reachability of one Redis location.

    Shared by every thread's cache object (Django keeps one per thread), so a key one
    thread failed to write is dropped before any thread reads from Redis again.
    """

    def __init__(self, retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.unwritten: set[str] = set()
        self.flush_on_return = False
        self.last_warning = float("-inf")

    def remember(self, keys: Iterable[str]) -> None:
        with self.lock:
            self.unwritten.update(keys)
            if len(self.unwritten) > MAX_REMEMBERED_KEYS:
                self.unwritten.clear()
                self.flush_on_return = True

    def went_down(self, exc: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.down_until = now + self.retry_seconds
            warn = now - self.last_warning >= WARNING_INTERVAL_SECONDS
            if warn:
                self.last_warning = now
        if warn:  # at most once a minute, however many requests fail meanwhile
            logger.warning(
                "Redis is unreachable (%s): serving without the cache, trying again every %g s.",
                exc,
                self.retry_seconds,
            )


_outages: dict[tuple[str, ...], _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(servers: Iterable[str], retry_seconds: float) -> _Outage:
    key = tuple(servers)
    with _outages_lock:
        if key not in _outages:
            _outages[key] = _Outage(retry_seconds)
        _outages[key].retry_seconds = retry_seconds  # the settings in force (tests change them)
        return _outages[key]


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, *, outage_retry_seconds: float, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._outage = _outage_for(servers, outage_retry_seconds)

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client

    # Every call goes through _guarded: DEFAULT is what a call returns when Redis is
    # out of reach, WRITTEN the keys whose value in Redis may then be out of date.
    def _guarded(self, call: Callable[[], Any], default: Any, written: Iterable[str] = ()):
        outage = self._outage
        try:
            if time.monotonic() < outage.down_until or not self._catch_up():
                outage.remember(written)
                return default
            return call()
        except RedisError as exc:
            outage.went_down(exc)
            outage.remember(written)
            return default

    def _catch_up(self) -> bool:
        """Drop what could not be written while Redis was away; return False if it still is."""
        outage = self._outage
        if not outage.unwritten and not outage.flush_on_return:
            return True
        with outage.lock:
            keys, flush = list(outage.unwritten), outage.flush_on_return
        if flush:
            super().clear()
        elif keys:
            super().delete_many(keys)
        with outage.lock:
            outage.unwritten.difference_update(keys)
            if flush:
                outage.flush_on_return = False
        logger.info(
            "Redis answers again: %s written while it was away.",
            "emptied the cache, too many keys were" if flush else f"dropped {len(keys)} keys",
        )
        return True

    def add(self, key, value, timeout):
        return self._guarded(partial(super().add, key, value, timeout), False, [key])

    def get(self, key, default):
        return self._guarded(partial(super().get, key, default), default)

    def set(self, key, value, timeout):
        self._guarded(partial(super().set, key, value, timeout), None, [key])

    def touch(self, key, timeout):
        return self._guarded(partial(super().touch, key, timeout), False)

    def delete(self, key):
        return self._guarded(partial(super().delete, key), False, [key])

    def get_many(self, keys):
        return self._guarded(partial(super().get_many, keys), {})

    def has_key(self, key):
        return self._guarded(partial(super().has_key, key), False)

    def incr(self, key, delta):
        value = self._guarded(partial(super().incr, key, delta), _MISSING, [key])
        if value is _MISSING:  # what Django's caches do for a key they do not have
            raise ValueError(f"Key {key!r} not found: the cache is unreachable.")
        return value

    def set_many(self, data, timeout):
        self._guarded(partial(super().set_many, data, timeout), None, list(data))

    def delete_many(self, keys):
        keys = list(keys)
        self._guarded(partial(super().delete_many, keys), None, keys)

    def clear(self):
        cleared = self._guarded(partial(super().clear), _MISSING)
        if cleared is _MISSING:
            with self._outage.lock:
                self._outage.flush_on_return = True
            return False
        return cleared


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        options = {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}
        retry_seconds = float(options.pop("OUTAGE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        self._options = {**options, "outage_retry_seconds": retry_seconds}

    def reachable(self) -> bool:
        """False while this process leaves Redis alone after a failure (its reads are
        misses then: counters kept in it, such as the API's rates, must count elsewhere)."""
        return time.monotonic() >= self._cache._outage.down_until

    def missed(self, key: str, version: int | None = None) -> bool:
        """Whether a write (or delete) of KEY was skipped while Redis was away and is not
        made yet (accounts.cached_sessions asks it of a session it deleted)."""
        outage = self._cache._outage
        made = self.make_key(key, version=version)
        with outage.lock:
            return made in outage.unwritten or outage.flush_on_return

    def validate_key(self, key: str) -> None:
        # BaseCache warns, character by character, about keys memcached would refuse;
        # Redis takes any key, and this runs for every key of every cache call.
        return
