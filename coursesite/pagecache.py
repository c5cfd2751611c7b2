"""Per-user page cache, made safe by generation counters.

The busiest pages (dashboard, course, lesson, project, grader queue, review) are
personal, so no shared cache can serve them, and rebuilding one costs 7-42 ms of ORM
work and template rendering against 0.3 ms for the framework's floor
(docs/performance.md). ``@per_user_page`` keeps the HTML a view rendered for one user
and serves it again to that user, without running the view, until something the page
may show has changed.

"Has changed" is two counters in the cache rather than a list of what each page reads:

* the **site generation**, bumped by any write to a course, module, lesson,
  enrollment, project, group, submission, review, score, release... (every model of
  the ``lessons`` and ``projects`` apps, watched through signals by ``watch_app``, plus
  explicit ``bump_site()`` calls where a bulk write skips the signals);
* the **user generation**, bumped by the user's own progress (completions, "continue
  where you left off"), and by any change to the user row (but its last_login stamp)
  or its role groups.

A cached page is stored with the two generations read *before* the view read any
data; a request serves it only if both are still the same. Writes bump the counters
at once and again when their transaction commits, so a page rendered from data that
was not yet committed is never served afterwards. Pages are also kept at most
PAGE_CACHE_SECONDS (60 s by default), which bounds how stale a "due in 3 days" or a
write that bypassed the ORM can be.

The cache must be shared by every worker for the counters to mean anything, so the
page cache is on only with Redis (``PAGE_CACHE_SECONDS`` is 0 otherwise; the test
suite turns it on with its single-process cache, so every test runs through it).
A page is never cached or served from the cache for a request that has flash messages
to show. The per-request CSRF token and CSP nonce are kept out of the stored HTML:
pages are rendered with placeholders, replaced by this request's values on every
response. Near the end of its lifetime a page is rebuilt by one request while the
others are still served the copy (``_refresh_now``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache as memoize
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.csp import CONTEXT_KEY as CSP_CONTEXT_KEY

SITE_GENERATION = "gen:site"
REFRESH_AFTER = 0.75  # of PAGE_CACHE_SECONDS: when one request starts rebuilding a page
REFRESH_LOCK_SECONDS = 10
RENDERING_FLAG = "_renders_for_page_cache"


def user_generation_key(user_id: int) -> str:
    return f"gen:user:{user_id}"


def page_key(user_id, session_auth_hash: str, full_path: str) -> str:
    # The session's password-derived hash is part of the key: a session opened before a
    # password change never shares pages with one opened after it.
    digest = hashlib.sha256(f"{session_auth_hash}\0{full_path}".encode()).hexdigest()[:40]
    return f"page:{user_id}:{digest}"


@memoize
def _placeholder(name: str) -> str:
    # Derived from SECRET_KEY, the same in every worker, so that no lesson text or
    # upload can contain it by chance or by design and have a token pasted into it.
    digest = salted_hmac("coursesite.pagecache", f"{name}-placeholder", algorithm="sha256")
    return f"{name}-{digest.hexdigest()}"


def csrf_placeholder() -> str:
    """Return the stand-in for the CSRF token in stored HTML."""
    return _placeholder("csrf")


def nonce_placeholder() -> str:
    """Return the stand-in for the CSP nonce in stored HTML."""
    return _placeholder("nonce")


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


# Generations ------------------------------------------------------------------
# The bumps made by the view being rendered now, per counter (see per_user_page);
# None for a counter that had to be re-created meanwhile.
_own_bumps: ContextVar[dict[str, int | None] | None] = ContextVar(
    "pagecache_own_bumps", default=None
)


def _start_counter(key: str) -> None:
    # Missing (never set, or evicted): start from the clock rather than from 1, so a
    # re-created counter can never match the generation of a page stored earlier.
    cache.add(key, time.time_ns(), timeout=None)


def _bump(key: str) -> None:
    own = _own_bumps.get()
    try:
        cache.incr(key)
    except ValueError:
        _start_counter(key)
        if own is not None:
            own[key] = None
        return
    if own is not None and own.get(key, 0) is not None:
        own[key] = own.get(key, 0) + 1


def now_and_on_commit(action: Callable[[], None]) -> None:
    """Run ACTION now and again when the current transaction commits.

    For anything that forgets cached state after a write: a request that read the old
    rows between the write and its commit may have cached them again meanwhile.
    """
    action()
    transaction.on_commit(action)


def bump_site() -> None:
    """Retire every cached page: call after a bulk write that sends no signals."""
    if enabled():
        now_and_on_commit(lambda: _bump(SITE_GENERATION))


def bump_user(user_id: int) -> None:
    """Retire the cached pages of one user."""
    if enabled():
        now_and_on_commit(lambda: _bump(user_generation_key(user_id)))


def _site_changed(sender, **kwargs) -> None:
    bump_site()


def watch_app(app_config, *, exclude: tuple[str, ...] = ()) -> None:
    """Bump the site generation on every save, delete and m2m change of APP_CONFIG's models.

    EXCLUDE names models whose writes belong to a user generation instead (their code
    bumps it), so a student's progress does not retire everybody's pages. History
    tables are left out: they are written together with the rows they record.
    """
    # Migrations and flush write through historical models, which send no signals here.
    post_migrate.connect(_site_changed, dispatch_uid="pagecache.migrate")
    for model in app_config.get_models():
        if model.__name__ in exclude or model.__name__.startswith("Historical"):
            continue
        uid = f"pagecache.{model._meta.label}"
        post_save.connect(_site_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_site_changed, sender=model, dispatch_uid=uid + ".delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _site_changed, sender=field.remote_field.through, dispatch_uid=uid + field.name
            )


def _generations(keys: list[str], values: dict) -> tuple[int, ...] | None:
    """Return the current generations, or None (and create them) where one is missing."""
    missing = [key for key in keys if key not in values]
    for key in missing:
        _start_counter(key)
    return None if missing else tuple(values[key] for key in keys)


# The decorator -----------------------------------------------------------------
def per_user_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve VIEW's GET responses to each user from the cache while nothing has changed.

    Put it *above* ``@login_required``. A stored page is found from the session alone
    (its user id and password-derived hash), without loading the user: the page was
    stored after authentication succeeded for that session, and anything that could
    make it fail now (the user deactivated, deleted, its password or roles changed)
    bumps the user's generation. Everything else goes through the view, and so through
    ``@login_required``. A response is stored only when it is a full 200 HTML page
    rendered, without flash messages, for the user the session names.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        session = request.session
        user_id = session.get(SESSION_KEY)
        auth_hash = session.get(HASH_SESSION_KEY)
        if (
            not enabled()
            or request.method != "GET"
            or user_id is None
            or not isinstance(auth_hash, str)
            or messages.get_messages(request)
        ):
            return view(request, *args, **kwargs)

        key = page_key(user_id, auth_hash, request.get_full_path())
        generation_keys = [SITE_GENERATION, user_generation_key(user_id)]
        values = cache.get_many([key, *generation_keys])
        generations = _generations(generation_keys, values)
        stored = values.get(key)
        if (
            generations is not None
            and stored is not None
            and stored[0] == generations
            and not _refresh_now(key, built_at=stored[2])
        ):
            return HttpResponse(_with_request_parts(stored[1], request))

        setattr(request, RENDERING_FLAG, True)
        own_bumps = _own_bumps.set({})
        try:
            response = view(request, *args, **kwargs)
            bumped = _own_bumps.get()
        finally:
            # An error page rendered after this must carry the real token.
            setattr(request, RENDERING_FLAG, False)
            _own_bumps.reset(own_bumps)
        if response.status_code != 200 or response.streaming or not _is_html(response):
            return response
        html = response.content.decode(response.charset)
        user = request.user  # loaded by @login_required below us
        renderable_for_session = user.is_authenticated and str(user.pk) == str(user_id)
        # Flash messages added while rendering belong to this response only.
        if (
            generations is not None
            and renderable_for_session
            and not messages.get_messages(request)
        ):
            if bumped:
                generations = _after_own_writes(generation_keys, generations, bumped)
            cache.set(key, (generations, html, time.time()), settings.PAGE_CACHE_SECONDS)
        response.content = _with_request_parts(html, request)
        return response

    return wrapper


def _refresh_now(key: str, *, built_at: float) -> bool:
    """Return whether this request should rebuild a page that is still valid.

    A page nearing the end of its PAGE_CACHE_SECONDS is rebuilt ahead of time by the
    one request that wins a short lock, while the others keep being served the stored
    copy. Without this, every request arriving when it expires rebuilds it at once (a
    stampede: 16 concurrent rebuilds showed as 150-200 ms p99 in `make bench`).
    """
    if time.time() - built_at < settings.PAGE_CACHE_SECONDS * REFRESH_AFTER:
        return False
    return cache.add(f"{key}:refresh", 1, timeout=REFRESH_LOCK_SECONDS)


def _after_own_writes(keys: list[str], before: tuple[int, ...], bumped: dict) -> tuple:
    """Return the generations to store a page under when its own view wrote something.

    The lesson page records "continue where you left off", which bumps the reader's
    generation, so storing the page under the generations read before the view would
    make the next visit miss. If the counters moved by exactly this request's own bumps,
    nobody else wrote in between and the page is current under the new values;
    otherwise it keeps the old ones and is simply never served.
    """
    if any(key in bumped and bumped[key] is None for key in keys):
        return before
    values = cache.get_many(keys)
    after = tuple(values.get(key) for key in keys)
    expected = tuple(value + bumped.get(key, 0) for key, value in zip(keys, before, strict=True))
    return after if after == expected else before


def placeholders_context(request: HttpRequest) -> dict:
    """Context processor: render placeholders for the CSRF token and CSP nonce to store.

    Listed after Django's csrf and csp processors in TEMPLATES, so it overrides them.
    """
    if getattr(request, RENDERING_FLAG, False):
        return {"csrf_token": csrf_placeholder(), CSP_CONTEXT_KEY: nonce_placeholder()}
    return {}


def _with_request_parts(html: str, request: HttpRequest) -> str:
    """Fill this request's own CSRF token and CSP nonce into stored HTML."""
    html = html.replace(csrf_placeholder(), get_token(request))
    if nonce_placeholder() in html:
        html = html.replace(nonce_placeholder(), str(get_nonce(request)))
    return html


def _is_html(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("text/html")
