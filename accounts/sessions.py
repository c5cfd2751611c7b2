"""The session engine of the site without Redis: Django's database sessions, whose read
(every logged-in request makes it) is a prepared query (coursesite/prepared.py).

Django's store compiles ``Session.objects.get(session_key=..., expire_date__gt=now)``
anew on each request; this one runs the same read, compiled once per connection, and
checks the expiry on the row it got.
"""

from __future__ import annotations

import threading
import time
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from coursesite.prepared import prepared

from .retention import logs_past_retention_delete


@prepared
def _session_by_key(session_key: str):
    return Session.objects.filter(session_key=session_key).order_by()


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _session_by_key(session_key=self.session_key)
        if found and found[0].expire_date > timezone.now():
            return found[0]
        # As Django's store: an unknown or expired key is dropped, and a new one is
        # issued if the session is saved.
        self._session_key = None
        return None


# Expired sessions are deleted now and then, as people log in: nothing else ran Django's
# clearsessions, and every session that ended (and every form kept while signed out,
# coursesite/formpages.py) stayed in the table for good.
CLEAR_EVERY_SECONDS = 60 * 60
_last_cleared = float("-inf")  # monotonic time starts near 0 at boot: never "just now"
_clearing = threading.Lock()


def clear_expired_now_and_then(**kwargs) -> bool:
    """Delete the expired sessions, and the logs past their retention (accounts/
    retention.py), if this process has not for CLEAR_EVERY_SECONDS (a ``user_logged_in``
    receiver: a few DELETEs an hour per worker, at most).
    Return whether it did."""
    global _last_cleared
    now = time.monotonic()
    if now - _last_cleared < CLEAR_EVERY_SECONDS or not _clearing.acquire(blocking=False):
        return False
    try:
        _last_cleared = now
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        logs_past_retention_delete()
        return True
    finally:
        _clearing.release()
