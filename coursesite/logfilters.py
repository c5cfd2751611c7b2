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


# What the drivers say when the database cannot be reached or dropped the connection
# (PostgreSQL restarting or failing over, SQLite's file not there or held too long), as
# against the errors of a query that will fail again (a timeout, a missing column).
_OUT_OF_REACH = re.compile(
    r"connection (failed|refused|timed out|is closed|to server)|could not connect|"
    r"server closed the connection|terminating connection|the database system is "
    r"(shutting down|starting up|in recovery)|too many clients|no route to host|"
    r"unable to open database file|database is locked|ssl syscall error|"
    r"consuming input failed|timeout expired",
    re.IGNORECASE,
)


def database_unavailable(exc: BaseException | None) -> BaseException | None:
    """Return the database's error of EXC (itself, or what it was raised from) when the
    database could not be reached or lost the connection; None for anything else, a
    query's own error included (probe 93: a missing column, a statement timeout and a
    KeyError raised while handling a lock error were all said to be an outage)."""
    from django.db import InterfaceError, OperationalError

    seen = 0
    while exc is not None and seen < 10:  # a chain, not a cycle
        if isinstance(exc, InterfaceError):
            return exc  # the connection is closed or unusable
        if isinstance(exc, OperationalError) and _OUT_OF_REACH.search(str(exc)):
            return exc
        exc = exc.__cause__
        seen += 1
    return None


class DatabaseOutageInOneLine(logging.Filter):
    """Log a request the database could not serve in one line, with the database's
    words: during an outage each request wrote two tracebacks, about 170 lines (probe
    89: 2,772 lines for 16 requests), where a Redis outage writes one warning. Only
    requests' errors, and only outages: every other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "django.request" or not record.exc_info:
            return True
        error = database_unavailable(record.exc_info[1])
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
