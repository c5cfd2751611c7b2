from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE_INVALID = "Give a whole number of rows from 1 to 200."


class Pagination(PageNumberPagination):
    """Numbered pages of 50 rows by default; ``page_size`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    page_size_query_description = "Rows per page, 1 to 200 (more gives 200)."

    def get_page_size(self, request) -> int:
        # DRF ignores a page size that is no number (the default comes back): a client
        # asking for "-5" or "abc" is told so, as for a filter that is not valid.
        value = request.query_params.get(self.page_size_query_param)
        if not value:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_INVALID]})
        return min(size, self.max_page_size)

    def page_number(self, request) -> int | str:
        """Return the ``page`` asked for: a number from 1, or "last" (else 404, as the
        lists answer), for a view that pages its rows itself (the gradebook)."""
        value = request.query_params.get(self.page_query_param) or 1
        if value in self.last_page_strings:
            return value
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise NotFound(self.invalid_page_message)
        return number
