"""The API's JSON parser."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 to a document nested too deeply to decode.

    Python's decoder recurses once per level: ``[[[…]]]`` 10,000 levels deep (20 KB)
    raised RecursionError, which DRF does not catch (it catches ValueError), and
    every JSON endpoint answered 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
