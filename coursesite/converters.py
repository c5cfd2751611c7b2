"""The path converter for database ids: ``<id:pk>`` instead of ``<int:pk>``.

Django's ``int`` converter matches any number of digits, so /reviews/99999999999999999999999/
reached the view and the database driver (SQLite cannot bind an integer past 64 bits):
a server error for a typo. An id that no row can have is simply a page that does
not exist, so the URL does not match and the visitor gets the 404 page.
"""

from __future__ import annotations

# The largest value of a BigAutoField (every primary key here) on every database.
MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is not an id")  # Django: the URL does not match
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


def is_whole_number(text: str) -> bool:
    """Return whether TEXT is written in ASCII digits alone: int() also reads " 1", "+1"
    and other scripts' digits ("１２", "٥")."""
    return text.isascii() and text.isdigit()


def parse_id(value: object) -> int | None:
    """Return VALUE (from a query string or a form) as an id, or None if no row can have it."""
    text = str(value) if value is not None else ""
    if not is_whole_number(text) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


# A search box's text: longer is no name anyone types.
SEARCH_MAX_LENGTH = 100


def search_text(value: object) -> str:
    """Return VALUE (a query's ``q``) with its spaces collapsed, cut to SEARCH_MAX_LENGTH."""
    return " ".join(str(value or "").split())[:SEARCH_MAX_LENGTH]


def page_number(value: object) -> int:
    """Return VALUE (a query's ``page``) as a page number: ASCII digits from 1 up, else 1.

    For Django's ``Paginator.get_page``, which reads "٣" as 3 and 0 or -1 as the last
    page (probe 54: two pages of one site read them differently); a number past the
    last page is still the last page.
    """
    text = str(value) if value is not None else ""
    if not is_whole_number(text) or len(text) > 100:  # int() refuses past 4,300 digits
        return 1
    return max(int(text), 1)
