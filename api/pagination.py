from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from coursesite.converters import is_whole_number

PAGE_SIZE_INVALID = "Give a whole number of rows from 1 to 200."
# What the schema says the two parameters take, as get_page_size() and page_number()
# read them. No maximum for page_size: more than max_page_size is not refused, it
# gives max_page_size rows (so said in its description).
PAGE_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]}
PAGE_SIZE_SCHEMA = {"type": "integer", "minimum": 1}


class Pagination(PageNumberPagination):
    """Numbered pages of 50 rows by default; ``page_size`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    page_query_description = "Page number, from 1, or `last`. A page past the end is a 404."
    page_size_query_description = (
        "Rows per page, a whole number from 1 (default 50). At most 200 rows come back: "
        "a larger number gives 200."
    )
    # DRF's "Invalid page." named neither the page nor the ones there are (probe 110).
    invalid_page_message = (
        "There is no page “{page_number}”: pages are numbered from 1, and page=last is the "
        "last one."
    )

    def no_page(self, value) -> NotFound:
        """Return the 404 of a PAGE value that names no page of the list."""
        return NotFound(self.invalid_page_message.format(page_number=str(value)[:40]))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": self.page_query_description,
                "schema": PAGE_SCHEMA,
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": self.page_size_query_description,
                "schema": PAGE_SIZE_SCHEMA,
            },
        ]

    def get_page_size(self, request) -> int:
        # DRF ignores a page size that is no number (the default comes back): a client
        # asking for "-5" or "abc" is told so, as for a filter that is not valid.
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        # ASCII digits only, as the schema's integer: int() read " 5", "+5" and "٥".
        size = int(value) if is_whole_number(value) else 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_INVALID]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        # DRF reads "?page=" as page 1: it is no page number (404, as "?page=abc" is), as
        # an empty filter is no filter (400). The schema says which values are pages.
        value = request.query_params.get(self.page_query_param)
        if value is not None and not _is_page(value, self.last_page_strings):
            raise self.no_page(value)  # "+1" or "١" too, as "1.5" is
        return super().get_page_number(request, paginator)

    def page_number(self, request) -> int | str:
        """Return the ``page`` asked for: a number from 1, or "last" (else 404, as the
        lists answer), for a view that pages its rows itself (the gradebook)."""
        value = request.query_params.get(self.page_query_param, "1")
        if value in self.last_page_strings:
            return value
        number = int(value) if _is_page(value, ()) else 0
        if number < 1:
            raise self.no_page(value)
        return number


def _is_page(value: str, names: tuple[str, ...]) -> bool:
    """Return whether VALUE is a page: one of NAMES ("last"), or ASCII digits."""
    return value in names or is_whole_number(value)


def page_parameters(rows: str) -> list[OpenApiParameter]:
    """Return the schema's ``page`` and ``page_size`` of a view that pages its ROWS itself."""
    return [
        OpenApiParameter(
            Pagination.page_query_param, PAGE_SCHEMA, description=Pagination.page_query_description
        ),
        OpenApiParameter(
            Pagination.page_size_query_param,
            PAGE_SIZE_SCHEMA,
            description=Pagination.page_size_query_description.replace("Rows", rows, 1),
        ),
    ]
