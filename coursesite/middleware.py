"""Middleware of the whole site, ahead of the apps' own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware import csrf
from django.shortcuts import render
from django.urls import NoReverseMatch, Resolver404, ResolverMatch, resolve, reverse
from whitenoise.base import scantree
from whitenoise.middleware import WhiteNoiseMiddleware

from .formpages import script_refusal, wants_json

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
            raise ExplainedBadRequest("The address holds a NUL character, which no page takes.")
        if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if NUL not in name and NUL not in value
            }
        return self.get_response(request)


class ExplainedBadRequest(BadRequest):
    """A 400 whose message is written for the person who sent the request: the error
    page (and the API's problem detail) shows it. Django's own 400s keep theirs hidden."""


_FORM_TYPE = "application/x-www-form-urlencoded"


class UndecodableFormMiddleware:
    """Refuse a form whose text is not UTF-8 (400), before anything saves it.

    Django decodes form fields replacing what is not UTF-8 with "\ufffd": a quiz answer,
    an exercise's code or a review sent with such bytes was saved as "\ufffd\ufffd" (and
    counted as a try) with no word said. No browser sends them from the site's pages, so
    the form is refused whole, naming the field. Multipart bodies are parsed by the
    views that take files (after their upload limits are in place): their text fields
    refuse "\ufffd" themselves (``coursesite.forms.refuse_undecoded``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == _FORM_TYPE:
            if name := undecodable_field(request.body):
                # A script sends the API its forms: no page of the site to send it from.
                again = (
                    "Send it again as UTF-8 text."
                    if request.path.startswith("/api/")
                    else "Send the form again from the site's page."
                )
                raise ExplainedBadRequest(
                    f"The form's field “{name}” holds bytes that are not UTF-8 text, so "
                    f"nothing was saved. {again}"
                )
        return self.get_response(request)


# An escape of a byte over 0x7F: without one (nor a raw one), a body is ASCII, and UTF-8.
_HIGH_ESCAPE = re.compile(rb"%[89a-fA-F]")


def undecodable_field(body: bytes) -> str | None:
    """Return the name of the first field of the url-encoded BODY that is not UTF-8."""
    if body.isascii() and not _HIGH_ESCAPE.search(body):
        return None  # most forms: one scan, no field decoded twice
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            unquote_to_bytes(name.replace(b"+", b" ")).decode()
            unquote_to_bytes(value.replace(b"+", b" ")).decode()
        except UnicodeDecodeError:
            return unquote_to_bytes(name.replace(b"+", b" ")).decode(errors="replace")[:60]
    return None


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF check, which the methods no page of the site takes skip.

    PUT, PATCH, DELETE and the like, sent without a token by a script or a scanner, got
    the "this form was not sent" page (403) where the site promises 405 naming what the
    page takes. Every page answers them 405 itself (coursesite/formpages.py's decorators,
    the back office through the same ones): the check is left to POST, the one unsafe
    method a page takes. coursesite/tests/test_formpages.py asserts, for every route of
    the site and the back office, that such a request is refused 405 and changes
    nothing, so a view that took one would fail there before it went unprotected. The
    API (``/api/``) is exempt from this middleware and checks its sessions itself.
    """

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if request.method not in _CHECKED_METHODS:
            return None  # the view answers 405 (a view's own csrf_protect still checks)
        return super().process_view(request, callback, callback_args, callback_kwargs)


# Django's safe methods (accepted as they are) and POST, the one unsafe method a page takes.
_CHECKED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "POST"})


class MethodNotAllowedPageMiddleware:
    """Give the site's 405s a page like its other errors, keeping their Allow header.

    Django's method decorators (and the formpages ones) answer 405 with no body: a
    browser showed a blank page. The API's 405s are problem details already; a 405
    that has a body of its own is left as it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or response.streaming
            or response.content
            or request.path.startswith("/api/")
        ):
            return response
        allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
        if wants_json(request):  # a page's script: the reason, as its views give theirs
            said = (
                f"This address does not accept a {request.method[:20]} request: it takes "
                f"{', '.join(allowed)} only."
            )
            page = script_refusal(said, status=405)
        else:
            page = render(request, "errors/405.html", {"allowed": allowed}, status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


class ErrorPageHeadersMiddleware:
    """The security headers on a response no middleware below got to: an address for
    another host (``DisallowedHost``, raised by SecurityMiddleware itself) answered a
    400 page with none. First in MIDDLEWARE; headers a response has are kept. Errors
    are never stored by a shared cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        # No policy means no middleware ran: the page's own is not known, so none loads.
        if "Content-Security-Policy" not in response and response.status_code >= 400:
            response["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"
            )
        if response.status_code >= 400:
            # An error answered before the user is known (a NUL in the address, a bad
            # host), by the login lockout or by the API's 401 had no Cache-Control: a
            # shared proxy may not keep any refusal either (probe 35).
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


class HeadWithoutBodyMiddleware:
    """Answer HEAD with the GET's headers and no body. Django's views write the page
    either way (its own server and test client drop it); gunicorn dropped it too, with a
    warning in the error log for every HEAD. First in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                close = getattr(response, "close", None)
                response.streaming_content = []
                if close is not None:
                    close()  # a file being streamed is let go now
            else:
                length = response.get("Content-Length", str(len(response.content)))
                response.content = b""
                response["Content-Length"] = length  # the GET's, as RFC 9110 allows
        return response


class FormerAddressMiddleware:
    """Redirect a page not found at a renamed object's former address to its new one.

    Only pages not found are looked at (one status check on every other response). A
    subclass says, from the route matched, which URL arguments name the page now
    (``new_kwargs``), or None: nothing was renamed, or the request's user may not see it
    (an outsider's old link stays a 404 that names nothing). The redirect is temporary
    (302): a former slug may be taken by a new object. A form posted to the old address
    (a lesson page opened before the rename, its exercise code typed since) is sent on
    with 307, which has the browser post the same form again to the new address: what
    was typed is not lost. The view found nothing to change at the old address, so the
    form is acted on once, there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD", "POST"):
            return response
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return response
        kwargs = self.new_kwargs(request, match)
        if kwargs is None or kwargs == match.kwargs:
            return response
        try:
            target = reverse(match.view_name, kwargs=kwargs)
        except NoReverseMatch:
            return response
        query = request.META.get("QUERY_STRING", "")
        # A POST is sent on with 307 (Django's preserve_request), which keeps its body.
        return HttpResponseRedirect(
            f"{target}?{query}" if query else target, preserve_request=request.method == "POST"
        )

    def new_kwargs(self, request: HttpRequest, match: ResolverMatch) -> dict | None:
        raise NotImplementedError


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which reads each directory of static files once per process.

    A server builds its middleware once, so nothing changes there. Django's test client
    builds it for every test, and reading the ~400 collected files again (a stat and
    headers for each, with their compressed variants) took a fifth of the suite's time.
    The directory's listing with sizes and times is part of the key, so files collected
    anew are read anew, as are other settings (a test's own maximum age).
    """

    _read: ClassVar[dict[tuple, dict]] = {}

    def update_files_dictionary(self, root: str, prefix: str) -> None:
        listing = frozenset(
            (path, entry.st_size, entry.st_mtime_ns) for path, entry in scantree(root)
        )
        key = (root, prefix, listing, *self._settings_read())
        files = self._read.get(key)
        if files is None:
            own, self.files = self.files, {}
            try:
                super().update_files_dictionary(root, prefix)
                files = self._read[key] = self.files
            finally:
                self.files = own
        self.files.update(files)

    def _settings_read(self) -> tuple:
        immutable = self.immutable_file_test
        return (
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.add_headers_function,
            self.index_file,
            tuple(sorted(self.media_types.types_map.items())),
            getattr(immutable, "__func__", immutable),
        )
