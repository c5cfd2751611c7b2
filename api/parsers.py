"""The API's parsers: JSON, and the bound on what any of them reads."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json as drf_json


class BodyTooLarge(APIException):
    status_code = 413
    default_code = "too_large"


# The JSON an address reads unless its view says more (``json_max_bytes``): a few fields
# take a few KB. Parsed, JSON takes up to 25 times its size in memory, kept until
# Python's cycle collector runs: a student's 10 MB of "[{},{},…]" took 250 MB a request,
# and one worker reached 2.2 GB (probe 63). The views that take long texts or many rows
# (lessons, rosters, reviews: ``json_max_bytes = None``) read up to the API's limit,
# DATA_UPLOAD_MAX_MEMORY_SIZE.
JSON_MAX_BYTES = 1024 * 1024


def body_too_large_detail(limit: int | None = None) -> str:
    """What a body past LIMIT (DATA_UPLOAD_MAX_MEMORY_SIZE if None) is told, whoever
    refused it (our parsers, or Django's own check: coursesite.views.bad_request)."""
    if limit is None:
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return (
            f"The request body is larger than {megabytes} MB, the most the API reads. "
            "Send less at a time."
        )
    return (
        f"The request body is larger than {limit // 1024:,} KB, the most this address "
        "reads. Send less at a time."
    )


def read_body(stream, limit: int | None = None) -> bytes:
    """Return the request body STREAM, refusing one past LIMIT bytes
    (DATA_UPLOAD_MAX_MEMORY_SIZE if None).

    Django applies that limit when a view reads ``request.body`` or a form; DRF's
    parsers read the stream themselves, so without this any body, 12 MB of CSV or
    1 GB of JSON, was read into memory whole before anything checked its size.
    """
    if stream is None:
        return b""
    most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    body = stream.read(most + 1)
    if len(body) > most:
        raise BodyTooLarge(body_too_large_detail(limit))
    return body


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 to what it cannot decode into text.

    Python's decoder recurses once per level: ``[[[…]]]`` 10,000 levels deep (20 KB)
    raised RecursionError, which DRF does not catch (it catches ValueError), and
    every JSON endpoint answered 500. JSON may also escape half of a UTF-16 pair
    (``"\\ud800"``): no text holds it, and an error message that repeated the value
    ("is not a valid choice") could not be encoded in the response (a 500 too).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        limit = getattr(view, "json_max_bytes", JSON_MAX_BYTES)  # None: the API's limit
        if limit is not None and limit >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = None
        raw = read_body(stream, limit)
        # JSON is UTF-8 (RFC 8259); DRF decoded it with whatever charset the Content-Type
        # named, so "café" sent as UTF-8 labelled latin-1 was saved "cafÃ©" (probe 110).
        # Checked whole here: DRF's stream reader dropped an unfinished character at the
        # end, and its error was Python's "'utf-8' codec can't decode…" (probes 113, 114).
        # A byte-order mark may come first (RFC 8259 lets a reader ignore it).
        start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
        try:
            text = raw[start:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = start + exc.start
            raise ParseError(
                f"JSON parse error - the body is not UTF-8 text (byte 0x{raw[at]:02x} at "
                f"position {at}): send JSON in UTF-8, whatever charset the Content-Type "
                "names."
            ) from exc
        # Read as DRF's parse() does, from the text decoded once.
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            data = drf_json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError as exc:
            raise ParseError(
                "JSON parse error - the text holds half of a UTF-16 surrogate pair "
                f"(\\u{ord(exc.object[exc.start]):04x}), which is no character."
            ) from exc
        return data
