"""The API's JSON parser."""

from __future__ import annotations

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 to what it cannot decode into text.

    Python's decoder recurses once per level: ``[[[…]]]`` 10,000 levels deep (20 KB)
    raised RecursionError, which DRF does not catch (it catches ValueError), and
    every JSON endpoint answered 500. JSON may also escape half of a UTF-16 pair
    (``"\\ud800"``): no text holds it, and an error message that repeated the value
    ("is not a valid choice") could not be encoded in the response (a 500 too).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError as exc:
            raise ParseError(
                "JSON parse error - the text holds half of a UTF-16 surrogate pair "
                f"(\\u{ord(exc.object[exc.start]):04x}), which is no character."
            ) from exc
        return data
