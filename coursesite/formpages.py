"""Forms that outlive a session: nothing typed is lost when a login ends.

A student types a long regrade request, the session expires (or they logged out in
another tab), they press Send: Django's ``login_required`` sent them to the login page
with ``?next=`` pointing at the POST-only action, and after logging in they met a bare
405 with their text gone. Every view that receives a form is decorated here instead:

* ``@form_view(page)`` replaces ``@require_POST @login_required`` on a POST-only
  action and ``@login_required`` on a page that shows and receives its own form. PAGE
  says which page shows the form (the view's own URL when omitted).
* An anonymous POST keeps its fields (never its files) in the visitor's session and
  goes to the login page with ``next=`` that page. Django's ``login()`` cycles the
  session key but keeps its data (it flushes only a session that belonged to another
  user, which an anonymous one never does), so the fields are there after login.
* ``kept_fields(request)`` on that page, after login, returns them once, to use as the
  initial values of its forms, and says so in a message.
* A GET of a POST-only action redirects to its page with a message, never a 405.

The fields are kept only after the POST passed the CSRF check, or, failing it, when the
browser says it was sent from one of our pages (Origin or Referer, which no other site can
set: ``csrf_failure``), so another site cannot plant text in anyone's form; they live
two hours at most and are restored only to a page the person who logs in may open (the
view checks access before asking for them), and only if that person is the one who
typed them: a signed cookie names the browser's last user (``FormOwnerMiddleware``), so
on a shared computer the next person to log in never sees what the previous one typed.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

SESSION_KEY = "_kept_forms"
KEEP_SECONDS = 2 * 60 * 60
# Whatever a form of ours holds fits easily; a bigger body is not worth a session row.
MAX_KEPT_CHARS = 200_000
MAX_KEPT_FORMS = 5
# Every form of the site's pages names, signed, who it was shown to (coursesite/jinja2.py,
# beside the CSRF token): what it brings is kept for that person only.
OWNER_FIELD = "form_owner"
# Nor is a password ever kept: it would sit in the session store, readable on the server.
PASSWORD_FIELDS = frozenset(
    {"password", "current_password", "old_password", "password1", "password2"}
    | {"new_password1", "new_password2"}
)
NOT_KEPT_FIELDS = frozenset({"csrfmiddlewaretoken", OWNER_FIELD}) | PASSWORD_FIELDS

SIGNED_OUT = "You were signed out before your form was sent. Log in again to continue."
KEPT = "What you typed is back in the form below: check it, then send it again."
FILE_AGAIN = "Files are not kept: choose your file again."
TOO_LONG = "What you typed was too long to keep: please type it again."
TOO_MANY_SIGNED_OUT = (
    "What you typed could not be kept: too many forms were sent from your network while "
    "signed out this hour. Log in, then type it again."
)
POST_ONLY = "That address is where a form is sent, not a page to open: here is the form itself."
STALE_TAB = "Your session changed in another tab; we kept what you typed — check it and send again."
OTHER_PERSON = (
    "That form was sent from a page shown to someone else on this browser, before you "
    "logged in: nothing of it was kept or saved."
)

PageUrl = Callable[..., str]

OWNER_COOKIE = "form_owner"

# What a page that shows a form and receives it answers: 405 naming these otherwise.
PAGE_WITH_FORM_METHODS = ["GET", "HEAD", "POST"]
page_with_form = require_http_methods(PAGE_WITH_FORM_METHODS)
OWNER_COOKIE_SECONDS = 30 * 24 * 60 * 60
# No timestamp: the same user always gets the same value, so it is compared, not parsed,
# on each request.
_owner_signer = signing.Signer(salt="coursesite.formpages.owner")


class FormOwnerMiddleware:
    """Remember, in a signed cookie, who last used this browser while logged in.

    After a session ends, the anonymous POST that is kept is stamped with that person, and
    ``kept_fields`` gives it back only to them.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            value = _owner_value(user.pk)
            if request.COOKIES.get(OWNER_COOKIE) != value:
                response.set_cookie(
                    OWNER_COOKIE,
                    value,
                    max_age=OWNER_COOKIE_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        return response


@functools.lru_cache(maxsize=4096)
def _owner_value(user_pk) -> str:
    """Return the cookie value naming USER_PK.

    Deterministic (no timestamp) and the signer's key is fixed at import, so it is
    computed once per user and process rather than an HMAC on every response.
    """
    return _owner_signer.sign(str(user_pk))


def _browser_owner(request: HttpRequest) -> int | None:
    """Return the id of the last user of this browser, if its cookie is genuine."""
    return _owner_of(request.COOKIES.get(OWNER_COOKIE, ""))


def _owner_of(value: str) -> int | None:
    try:
        return int(_owner_signer.unsign(value))
    except (signing.BadSignature, ValueError):
        return None


def form_owner_value(request: HttpRequest) -> str:
    """Return the value of the OWNER_FIELD the page's forms carry ("" when logged out)."""
    user = getattr(request, "user", None)
    return _owner_value(user.pk) if user is not None and user.is_authenticated else ""


def _typed_by(request: HttpRequest) -> int | None:
    """Return who the posted form was shown to: its own signed field, else the browser's
    last user (a page from before forms carried the field)."""
    posted = request.POST.get(OWNER_FIELD)
    return _owner_of(posted) if posted else _browser_owner(request)


def page(name: str, *same: str, **renamed: str) -> PageUrl:
    """Return a function giving the URL NAME, filled from the view's keyword arguments.

    SAME names arguments passed on as they are, RENAMED maps the page's argument to the
    view's (``page("grading:feedback", pk="pk")``).
    """
    mapping = {key: key for key in same} | renamed

    def url(request: HttpRequest, **kwargs) -> str:
        return reverse(name, kwargs={key: kwargs[source] for key, source in mapping.items()})

    return url


def form_view(
    form_page: PageUrl | None = None,
    *,
    login: bool = True,
    keep: bool = True,
    kept_message: str = KEPT,
) -> Callable:
    """Decorate a view that receives a form shown on FORM_PAGE (its own page if None).

    With FORM_PAGE the view is POST-only: GET and HEAD redirect to the page, other
    methods get 405. Without, it answers GET, HEAD and POST, and 405 to the rest. With
    LOGIN, anonymous visitors are sent to log in; with KEEP, what their POST carried is
    kept for the page (which must ask ``kept_fields`` for it), which then says
    KEPT_MESSAGE (a form of one button says what to press again).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if form_page is not None and request.method != "POST":
                if request.method not in ("GET", "HEAD"):
                    return HttpResponseNotAllowed(["POST"])
                messages.info(request, POST_ONLY)
                return redirect(form_page(request, **kwargs))
            if request.method not in PAGE_WITH_FORM_METHODS:  # PUT, DELETE, OPTIONS...
                return HttpResponseNotAllowed(PAGE_WITH_FORM_METHODS)
            if login and not request.user.is_authenticated:
                if request.method != "POST":
                    return redirect_to_login(request.get_full_path())
                target = form_page(request, **kwargs) if form_page else request.get_full_path()
                if not keep:
                    messages.warning(request, SIGNED_OUT)
                    return redirect_to_login(target)
                return keep_signed_out_post(request, target, kept_message)
            return view(request, *args, **kwargs)

        wrapper.form_page = form_page  # the tests find every POST-only action by it
        wrapper.keeps = keep  # csrf_failure keeps what a stale tab posted here too
        wrapper.kept_message = kept_message
        return wrapper

    return decorator


def keep_signed_out_post(
    request: HttpRequest, target: str, message: str = KEPT, login_url: str | None = None
) -> HttpResponse:
    """Answer a form posted after its session ended: keep its fields for the page TARGET
    (which says MESSAGE when it gives them back) and send the visitor to log in."""
    if not hasattr(request, "_files"):
        # An upload's files are never read, only noted (views that read uploads are
        # csrf_exempt, so nothing has parsed the body yet).
        request.upload_handlers = [_SkipFiles()]
    messages.warning(request, SIGNED_OUT)
    return _keep_and_log_in(request, target, message, login_url)


@csrf_protect  # views that read uploads are csrf_exempt; what is kept must pass it too
def _keep_and_log_in(
    request: HttpRequest, target: str, message: str, login_url: str | None
) -> HttpResponse:
    _keep(request, target, _typed_by(request), message)
    return redirect_to_login(target, login_url)


def _keep(request: HttpRequest, target: str, owner: int | None, message: str = KEPT) -> None:
    """Keep the fields (never the files) REQUEST posted, for OWNER on the page TARGET."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_KEPT_FIELDS
        for value in values
    ]
    handlers = request.upload_handlers
    files = [name for handler in handlers for name in getattr(handler, "skipped", [])]
    files += list(getattr(request, "_files", None) or [])  # parsed before we were asked
    if sum(len(name) + len(value) for name, value in fields) > MAX_KEPT_CHARS:
        messages.warning(request, TOO_LONG)
    elif (fields or files) and owner is not None and not _may_keep_signed_out(request):
        messages.warning(request, TOO_MANY_SIGNED_OUT)
    elif (fields or files) and owner is not None:
        kept = _fresh(request.session.get(SESSION_KEY, {}))
        kept.pop(target, None)  # the newest last
        kept[target] = {
            "at": int(time.time()),
            "owner": owner,
            "fields": fields,
            "files": bool(files),
            "message": message,
        }
        # At most MAX_KEPT_CHARS in all, the newest forms first: each page address (its
        # query string) was kept apart, and sixty posts grew the session row to 12 MB.
        while len(kept) > MAX_KEPT_FORMS or _kept_size(kept) > MAX_KEPT_CHARS:
            del kept[next(iter(kept))]
        request.session[SESSION_KEY] = kept


def _may_keep_signed_out(request: HttpRequest) -> bool:
    """Whether a form sent while signed out may be kept: at most SIGNED_OUT_KEPT_LIMIT
    an hour per address. Each one kept signed out is a new session row of up to
    MAX_KEPT_CHARS, and the signed owner it needs is any account's own: unlimited, a
    script filled the session table at 8 MB a second."""
    if request.user.is_authenticated:
        return True
    from accounts.throttle import kept_form_throttle  # accounts imports this module

    return kept_form_throttle.allows(kept_form_throttle.subject(request))


def _kept_size(kept: dict) -> int:
    return sum(len(n) + len(v) for entry in kept.values() for n, v in entry["fields"])


REFUSED = "What you typed is back in the form: correct it, then send it again."


def keep_refused(request: HttpRequest, target: str) -> None:
    """Keep what REQUEST posted for the page TARGET, whose form it came from.

    For a form that is one row of a page (its action redirects back there): refused,
    its fields come back through ``kept_fields`` on that page, with REFUSED.
    """
    _keep(request, target, request.user.pk, REFUSED)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Answer a request refused by the CSRF check (``CSRF_FAILURE_VIEW``); act on nothing.

    A form sent from one of our own pages whose token went stale (its person logged out
    and in again in another tab) is kept, as for an ended session, and its page comes
    back filled in. Anything else, a post from another site above all, keeps nothing and
    gets a plain 403 page.
    """
    target, kept_message = _stale_form_page(request)
    if target is None:
        # From one of our pages whose form is not kept (a list's action, a button): its
        # session changed since the page was shown; "only from this site's pages" was wrong.
        context = {"from_this_site": request.method == "POST" and _from_this_site(request)}
        return render(request, "errors/403_csrf.html", context, status=403)
    message = STALE_TAB if kept_message == KEPT else kept_message
    if not hasattr(request, "_files"):
        request.upload_handlers = [_SkipFiles()]  # files are never read, only noted
    if request.user.is_authenticated:
        # On a shared computer the person logged in now may not be the one the form's
        # page was shown to: their typing is kept only for themselves.
        if _owner_of(request.POST.get(OWNER_FIELD, "")) != request.user.pk:
            messages.warning(request, OTHER_PERSON)
            return redirect(target)
        _keep(request, target, request.user.pk, message)
        return redirect(target)
    _keep(request, target, _typed_by(request), message)
    messages.warning(request, SIGNED_OUT)
    return redirect_to_login(target)


def _stale_form_page(request: HttpRequest) -> tuple[str | None, str]:
    """Return the page showing the form REQUEST posted, if it came from this site and that
    form's fields may be kept (else None), and what that page says of them."""
    if request.method != "POST" or not _from_this_site(request):
        return None, KEPT
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None, KEPT
    if not getattr(match.func, "keeps", False):
        return None, KEPT
    form_page = match.func.form_page
    target = form_page(request, **match.kwargs) if form_page else request.get_full_path()
    return target, match.func.kept_message


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _from_this_site(request: HttpRequest) -> bool:
    """Whether the browser says the request comes from a page of this site.

    Browsers send Origin (or at least Referer) with a form's POST, and no page of another
    site can set either to ours: a match means a stale token, never a forged request.
    """
    origin = request.META.get("HTTP_ORIGIN") or _origin(request.META.get("HTTP_REFERER", ""))
    if not origin or origin == "null":
        return False
    ours = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    if settings.SITE_URL:
        ours.add(_origin(settings.SITE_URL))
    return origin in ours


def kept_fields(request: HttpRequest) -> dict[str, str | list[str]]:
    """Return, once, what an expired session posted for this page, as initial values.

    Empty unless the user is logged in and this page's form was kept; a field posted
    more than once (checkboxes) comes back as a list.
    """
    if not request.user.is_authenticated or request.method != "GET":
        return {}
    stored = request.session.get(SESSION_KEY)
    if not stored:
        return {}
    kept = _fresh(stored)
    entry = kept.pop(request.get_full_path(), None) or kept.pop(request.path, None)
    if kept:
        request.session[SESSION_KEY] = kept
    else:
        del request.session[SESSION_KEY]
    if entry is None or entry.get("owner") != request.user.pk:
        return {}  # nothing kept, or typed by someone else on this browser
    values: dict[str, list[str]] = {}
    for name, value in entry["fields"]:
        values.setdefault(name, []).append(value)
    message = entry.get("message", KEPT)
    messages.info(request, message + (" " + FILE_AGAIN if entry["files"] else ""))
    return {name: found[0] if len(found) == 1 else found for name, found in values.items()}


def _fresh(kept: dict) -> dict:
    now = time.time()
    return {url: entry for url, entry in kept.items() if now - entry["at"] < KEEP_SECONDS}


class _SkipFiles(FileUploadHandler):
    """Read the fields of a multipart body and skip its files, noting that there were some."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.skipped: list[str] = []

    def new_file(self, field_name, file_name, *args, **kwargs) -> None:
        if file_name:
            self.skipped.append(field_name)
        raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


def script_refusal(detail: str, *, status: int) -> JsonResponse:
    """A refusal for a page's script (``wants_json``): the reason as "error", which the
    lessons' and practice scripts read, and in "errors", which the review's autosave reads."""
    return JsonResponse({"error": detail, "errors": [detail]}, status=status)


def wants_json(request: HttpRequest) -> bool:
    """Return whether REQUEST asks for JSON rather than a page (the pages' scripts do).

    Read as content negotiation, not as a substring: "APPLICATION/JSON" is JSON,
    "application/jsonx" is not, and a browser's "*/*" gets the page.
    """
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"
