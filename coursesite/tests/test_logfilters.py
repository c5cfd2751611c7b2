"""A refused request (4xx) is one line in the log; a server error keeps its traceback."""

from __future__ import annotations

import logging

from coursesite.logfilters import RefusalsInOneLine


def record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError as exc:
        entry = logging.LogRecord(
            "django.request",
            logging.WARNING,
            __file__,
            1,
            "Forbidden: /x/",
            None,
            (type(exc), exc, exc.__traceback__),
        )
    entry.status_code = status
    return entry


def test_a_refusal_is_logged_without_its_traceback_and_an_error_with_it():
    handler = logging.StreamHandler()
    handler.addFilter(RefusalsInOneLine())
    handler.setFormatter(logging.Formatter("%(message)s"))
    for status, lines in ((400, 1), (403, 1), (404, 1), (413, 1), (500, 2), (503, 2)):
        entry = record(status)
        assert handler.filter(entry)
        text = handler.format(entry)
        assert len(text.splitlines()) >= lines
        assert ("Traceback" in text) == (status >= 500), status


def test_the_console_handler_of_the_settings_uses_it(settings):
    assert "refusals_in_one_line" in settings.LOGGING["handlers"]["console"]["filters"]
