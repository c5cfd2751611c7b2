"""Idle-session expiry without a database write on every request; the user loaded once."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse

REFRESHED_AT = "_refreshed_at"


class SessionIdleRefreshMiddleware:
    """Push a session's expiry forward on activity, at most once a minute.

    SESSION_SAVE_EVERY_REQUEST gives the same idle expiry but writes the session
    (an UPDATE and a commit) on every request, the largest single cost of a page in
    the benchmark (docs/performance.md). Here a request that used the session marks it
    modified only when its last refresh is SESSION_REFRESH_SECONDS old or more, so
    SessionMiddleware saves it, with a new expiry, about once a minute per active
    user. Idle sessions still expire SESSION_COOKIE_AGE after the last activity, give
    or take those seconds. Sits just below SessionMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions this request loaded anyway: never an extra query to decide.
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        refreshed = session.get(REFRESHED_AT)
        if not isinstance(refreshed, int) or now - refreshed >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_AT] = now
        return response


class LoadedUserMiddleware:
    """Put the user itself in ``request.user``, instead of Django's lazy stand-in.

    AuthenticationMiddleware sets a SimpleLazyObject that loads the user when first
    used; every later attribute read goes through two Python calls, and a page reads
    its user a few hundred times (the access policy asks about it on every check), about
    0.2 ms a page. Every page of a session shows its user, so loading it here costs no
    extra query; a request without a session gets AnonymousUser without one. Sits just
    below AuthenticationMiddleware; ``get_user`` is what the lazy object calls, and
    remembers the user on the request, so it is never loaded twice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "user"):
            request.user = get_user(request)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Tell browsers and proxies not to store what a logged-in person was shown.

    Marks, feedback and code are read on shared lab computers: a page kept in the
    browser's cache (or its back-forward cache) showed them again after the student
    logged out, to whoever pressed Back. Responses that say how to cache themselves
    (static files, downloads) keep their own header. A page with a form, even for
    someone not logged in (sign-up, password reset), holds that browser's CSRF token:
    no shared cache may keep it either.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # The token was printed: the cookie is (re)sent with it, now or further out.
        has_token = request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or (
            settings.CSRF_COOKIE_NAME in response.cookies
        )
        personal = (user is not None and user.is_authenticated) or has_token
        if personal and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response
