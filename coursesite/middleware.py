"""Middleware of the whole site, ahead of the apps' own."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

NUL = "\x00"


class NulCharacterMiddleware:
    """Refuse a NUL character in the address (400), and drop the cookies that hold one.

    PostgreSQL stores no NUL in text, so a NUL that reached a query was a 500 there
    (SQLite took it): a back-office filter or an autocomplete term with ``%00``, a
    session cookie with one, which took every page of that browser down. The site's
    forms refuse NUL already (Django's fields do); the address and the cookies are
    checked here once, before anything reads them. A cookie is dropped rather than
    refused: another site of the domain may have set it, and its owner could not
    remove it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            raise BadRequest("The address holds a NUL character, which no page takes.")
        if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if NUL not in name and NUL not in value
            }
        return self.get_response(request)
