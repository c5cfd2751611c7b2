"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging
import re
import time

from django.views.debug import SafeExceptionReporterFilter


class RefusalsInOneLine(logging.Filter):
    """Log a refused request (any 4xx: the sender's doing, not the site's fault) without
    the traceback of the exception that refused it; errors keep theirs.

    A 400 for a NUL in the address wrote seven lines of traceback a request: a client
    could grow the log cheaply, and operators searching it for tracebacks found no 500.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= (getattr(record, "status_code", None) or 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def database_unavailable(exc: BaseException | None) -> BaseException | None:
    """Return the database's error behind EXC (itself, or what it was raised from or
    while handling), when the database could not be reached or answer: a restart, a
    failover, a lock held too long. None otherwise."""
    from django.db import InterfaceError, OperationalError

    seen = 0
    while exc is not None and seen < 10:  # a chain, not a cycle
        if isinstance(exc, OperationalError | InterfaceError):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class DatabaseOutageInOneLine(logging.Filter):
    """Log a request the database could not serve in one line, with the database's
    words: during an outage each request wrote two tracebacks, about 170 lines (probe
    89: 2,772 lines for 16 requests), where a Redis outage writes one warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = database_unavailable(record.exc_info[1] if record.exc_info else None)
        if error is not None:
            words = str(error).strip().splitlines()
            record.msg = f"{record.getMessage()} (the database: {words[0] if words else error!r})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class FirstOfEachAsWarning(logging.Filter):
    """Let each host's refusal through once per process, as a warning, at most
    MAX_PER_HOUR of them an hour.

    For requests naming a host the site does not serve: silenced, a deployment missing
    its DJANGO_ALLOWED_HOSTS answered 400 to everyone with nothing in the log (probe 52);
    logged each time, any scanner of the server's address would fill it. A host is
    counted without its port or capitals (probe 54: each variant was a line), and
    random hosts by the thousand stop at the hourly limit. MAX_KEPT bounds the memory.
    """

    MAX_KEPT = 1000
    MAX_PER_HOUR = 60
    _HOST = re.compile(r"header: '([^']*)'")

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()
        self._hour, self._this_hour = 0, 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        found = self._HOST.search(message)
        key = (found.group(1) if found else message).lower().rsplit(":", 1)[0][:200]
        if key in self._seen:
            return False
        hour = int(time.time() // 3600)
        if hour != self._hour:
            self._hour, self._this_hour = hour, 0
        if self._this_hour >= self.MAX_PER_HOUR:
            return False
        self._this_hour += 1
        if len(self._seen) >= self.MAX_KEPT:
            self._seen.clear()
        self._seen.add(key)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        if len(message) > 300:  # a host of kilobytes, as sent
            record.msg, record.args = message[:300] + "…", ()
        return True


class SettingsFilter(SafeExceptionReporterFilter):
    """Django's filter of the debug error page, which also hides the addresses of the
    services the site reaches (probe 52: REDIS_URL and the cache's LOCATION carried the
    Redis password in the clear; Django hides only names with KEY, PASS, TOKEN...)."""

    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|REDIS|LOCATION|DATABASE",
        flags=re.IGNORECASE,
    )


class SecretsHidden(logging.Filter):
    """Hide reset, invitation and confirmation tokens (and the back office's searches)
    in the site's own log lines, as gunicorn's access log does (coursesite/accesslog.py):
    Django's "Method Not Allowed: /accounts/password/reset/<uid>/<token>/" wrote the
    token in clear (probe 76)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from coursesite.accesslog import redacted

        message = record.getMessage()
        hidden = redacted(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True
