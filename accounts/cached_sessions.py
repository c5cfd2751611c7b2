"""The session engine of the site with Redis: Django's cached_db sessions, whose cached
copies never outlive a logout that Redis missed.

While Redis is unreachable a logout deletes the session's row but not its copy in Redis,
which comes back with Redis (coursesite/cache.py deletes the keys a process remembers
skipping, but a restart forgets them, and other workers may read first). So the copies'
keys carry a generation, kept in the database: a delete that Redis missed raises it, and
every process, reading it at most every GENERATION_SECONDS, then looks for sessions under
new keys, falling back to the database as for any cache miss.
"""

from __future__ import annotations

import threading
import time

from django.contrib.sessions.backends import cached_db
from django.db.models import F

from .models import SessionCacheGeneration

# How stale a process's idea of the generation may be: one query that often, at most.
GENERATION_SECONDS = 2.0

_lock = threading.Lock()
_known = {"number": 0, "read_at": float("-inf")}


def current_generation() -> int:
    now = time.monotonic()
    if now - _known["read_at"] >= GENERATION_SECONDS:
        number = SessionCacheGeneration.objects.filter(pk=1).values_list("number", flat=True)
        with _lock:
            _known.update(number=number.first() or 0, read_at=now)
    return _known["number"]


def raise_generation() -> None:
    if not SessionCacheGeneration.objects.filter(pk=1).update(number=F("number") + 1):
        SessionCacheGeneration.objects.get_or_create(pk=1, defaults={"number": 1})
    with _lock:
        _known["read_at"] = float("-inf")  # this process reads it again at once


class SessionStore(cached_db.SessionStore):
    @property
    def cache_key_prefix(self) -> str:
        return f"{cached_db.KEY_PREFIX}:{current_generation()}:"

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        missed = getattr(self._cache, "missed", None)  # coursesite.cache.ReusingRedisCache
        if key and missed is not None and missed(self.cache_key_prefix + key):
            raise_generation()
