"""The one way this site writes a CSV download: every export goes through here.

Names, emails, group names and titles in our exports are typed by students and
instructors, and spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (CSV injection). Following OWASP's "CSV Injection" page, every
text cell that a spreadsheet could read as a formula gets a leading single quote,
and every cell is wrapped in double quotes (embedded quotes doubled) so that a
separator or a quote inside a value cannot start a new cell.

Numbers stay numbers. A value of a numeric type (``int``, ``float``, ``Decimal``)
and a string that is exactly a decimal number (``-2.50``, as the gradebook writes
marks) are written unchanged: a spreadsheet reads them as that number and can run
nothing from them, and a quote in front would turn a negative mark into text that
no longer sums.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

# OWASP's list (= + - @ tab CR LF), the NUL that ASVS 1.2.10 adds, and the full-width
# forms that East Asian spreadsheet locales also accept as the start of a formula.
FORMULA_STARTS = frozenset("=+-@\t\r\n\0\uff1d\uff0b\uff0d\uff20")
# Spreadsheets skip leading spaces before looking for a formula sign.
_LEADING_BLANKS = " \u00a0\u3000"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
CSV_MEDIA_TYPE = "text/csv"  # also what the API accepts a roster as, and offers exports as
BOM = "\ufeff"  # Excel reads the file as UTF-8 only with a byte-order mark


def csv_cell(value: Any) -> str | int | float | Decimal:
    """Return VALUE as a cell no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    if text.lstrip(_LEADING_BLANKS)[:1] in FORMULA_STARTS or text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def safe_filename(name: str) -> str:
    """Return NAME reduced to ASCII letters, digits, dots, dashes and underscores."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, "csv"
    stem = _UNSAFE_FILENAME.sub("-", stem).strip("-.") or "export"
    return f"{stem[:100]}.{_UNSAFE_FILENAME.sub('', extension) or 'csv'}"


class SafeWriter:
    """A ``csv.writer`` that escapes every cell with ``csv_cell`` and quotes them all."""

    def __init__(self, stream) -> None:
        self._writer = csv.writer(stream, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class CsvResponse(HttpResponse):
    """A CSV attachment (UTF-8 with a byte-order mark) whose ``writer`` escapes cells.

    ``response = CsvResponse("gradebook.csv"); response.writer.writerow([...])``.
    """

    def __init__(self, filename: str, **kwargs) -> None:
        super().__init__(content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", **kwargs)
        self["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=safe_filename(filename)
        )
        self.write(BOM)
        self.writer = SafeWriter(self)


class _Line:
    """A file-like object that keeps only the last line written to it."""

    value = ""

    def write(self, text: str) -> None:
        self.value = text


class CsvStreamingResponse(StreamingHttpResponse):
    """A CSV attachment sent row by row as ROWS yields them, escaped like ``CsvResponse``.

    For exports that grow with a course: the body is never held whole in memory, and
    ROWS (an iterator) can read the database in chunks while the first rows are sent.
    ``CsvStreamingResponse("gradebook.csv", rows)``; the first row is the header.
    """

    def __init__(self, filename: str, rows: Iterable[Iterable[Any]], **kwargs) -> None:
        super().__init__(
            _csv_lines(rows), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", **kwargs
        )
        self["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=safe_filename(filename)
        )


def _csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    line = _Line()
    writer = SafeWriter(line)
    yield BOM.encode()
    for row in rows:
        writer.writerow(row)
        yield line.value.encode()
