"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging


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
