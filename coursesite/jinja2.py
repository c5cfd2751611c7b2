"""Jinja2 for the site's pages: the environment, and a backend Django's test client can watch.

The pages (templates/jinja2/) render with Jinja2, which builds a lesson page several
times faster than Django's template engine; the admin, crispy-forms' field templates
and the emails stay on Django templates, the second engine of ``settings.TEMPLATES``.

What the pages had from Django's tags and filters, they get here under the same names:
``url(name, *args)``, ``static(path)``, ``|as_crispy_field`` (crispy-forms' own
rendering, so fields keep their HTML), the project widgets of
``projects/templatetags/projects_tags.py``, and Django's filters whose output Jinja
would spell differently (``|floatformat("-2")``, ``|date("Y-m-d")``, ``|pluralize``...).

Undefined variables: under pytest a template that prints or tests a name the view did
not pass raises (``StrictUndefined``), so a misspelt variable fails the tests instead of
rendering empty. The site itself renders missing values empty, as Django templates
did, chains included (``ChainableUndefined``: ``{{ a.b.c }}`` with ``a.b`` missing is
empty, not a 500). A template that really takes an optional name says so
(``{% if key_id is defined %}``, ``|default("")``). Likewise, under pytest printing a
method raises: Django templates called ``{{ course.get_absolute_url }}``, Jinja needs
the ``()`` and would otherwise print "<bound method ...>".
"""

from __future__ import annotations

import re
import secrets
import sys
import time
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

import jinja2
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.conf import settings
from django.core.signals import request_started, setting_changed
from django.dispatch import receiver
from django.forms import BaseForm
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template import TemplateDoesNotExist, TemplateSyntaxError, defaultfilters
from django.template.backends.jinja2 import Jinja2, get_exception_info
from django.template.backends.jinja2 import Template as DjangoJinjaTemplate
from django.templatetags.static import static as django_static
from django.test.signals import template_rendered
from django.utils.formats import get_format
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from markupsafe import Markup, escape

from autograding import results as autograding_results
from coursesite.formpages import OWNER_FIELD, form_owner_value
from coursesite.invisible import IN_CODE, INVISIBLE, badged
from coursesite.memo import ProcessMemo
from coursesite.urlpaths import path_of
from grading.fragments import gradebook_rows
from grading.todo import render_student_todo, render_teacher_todo
from lessons.fragments import course_modules, lesson_sidebar
from lessons.rendering import feedback_to_html, fell_back, markdown_deadline
from practice import fragments as practice_fragments
from projects.templatetags import projects_tags


def static(path: str) -> str:
    """Return the URL of the static file PATH, as ``{% static %}`` did, remembered per path.

    The manifest of hashed names is read once and does not change while the process
    runs; asking the storage costs ~20 Python calls and two URL joins, eight times a page.
    """
    return _static(path)


@lru_cache(maxsize=1024)
def _static(path: str) -> str:
    return django_static(path)


@receiver(setting_changed)
def _forget_static_urls(*, setting: str, **kwargs) -> None:
    if setting in {"STORAGES", "STATIC_URL", "STATIC_ROOT", "DEBUG"}:
        _static.cache_clear()


def date(value, arg: str | None = None) -> str:
    """Django's ``|date``, on the value in the current time zone as Django templates do."""
    return defaultfilters.date(template_localtime(value), arg)


def linebreaksbr(value) -> str:
    """Django's ``|linebreaksbr``: escape VALUE (unless safe), then newlines to ``<br>``."""
    return defaultfilters.linebreaksbr(value, autoescape=True)


# Rendered fields of unbound forms, by everything their HTML depends on (_field_key).
_field_html = ProcessMemo(1024)


def crispy_field(field):
    """crispy-forms' ``as_crispy_field``, remembered for the fields of unbound forms.

    Rendering one field through crispy's Django templates costs about a millisecond; a
    project page shows four. An unbound field's HTML depends only on its definition and
    initial value, which make the key, so the same empty form renders once per process.
    Bound fields (a form sent back with its errors) and choice fields (whose choices
    may come from the database) are rendered every time.
    """
    key = _field_key(field)
    if key is None:
        return _crispy_html(field)
    html = _field_html.get(key)
    if html is None:
        html = _crispy_html(field)
        _field_html.set(key, html)
    return html


# crispy's mark of a required field, which screen readers read out as part of the field's
# name ("Join code star"; probe 87): the field says it is required itself.
_ASTERISK = '<span class="asteriskField">*</span>'


def _crispy_html(field) -> Markup:
    html = as_crispy_field(field)
    marked = html.replace(_ASTERISK, _ASTERISK.replace(">*", ' aria-hidden="true">*'))
    return Markup(marked)  # noqa: S704 - crispy's HTML, its values escaped by it


def _field_key(field) -> tuple | None:
    form, definition, widget = field.form, field.field, field.field.widget
    if (
        form.is_bound
        or getattr(form, "helper", None) is not None  # a layout of its own
        or hasattr(widget, "choices")
        or hasattr(definition, "choices")
    ):
        return None
    return (
        type(form),
        type(definition),
        type(widget),
        field.html_name,
        field.auto_id,
        str(field.label),
        str(field.help_text),
        definition.required,
        definition.disabled,
        definition.show_hidden_initial,
        repr(sorted(widget.attrs.items())),
        repr(field.value()),
        field.css_classes(),
    )


GLOBALS = {
    "url": path_of,  # {% url name arg %}, remembered (coursesite/urlpaths.py)
    "static": static,
    "course_projects": projects_tags.render_course_projects,
    "upcoming_deadlines": projects_tags.render_upcoming_deadlines,
    "local_time": projects_tags.local_time,
    "student_todo": render_student_todo,
    "teacher_todo": render_teacher_todo,
    "lesson_sidebar": lesson_sidebar,
    "course_modules": course_modules,
    "gradebook_rows": gradebook_rows,
    "blank_question": practice_fragments.blank_question,
    "answered_question": practice_fragments.answered_question,
    "blank_exercise": practice_fragments.blank_exercise,
    # The test results on the project and review pages: projects and grading do not
    # import autograding, their templates ask it here.
    "autograde_for_student": autograding_results.for_student,
    "autograde_for_review": autograding_results.for_review,
}

# Where a page's context keeps its language's decimal separator, for floatformat.
_DECIMAL_SEPARATOR = "_decimal_separator"
# The places of the marks and points the grading pages print, as floatformat's argument.
_PLACES = {-2: -2, "-2": -2, "-2u": -2, 1: 1, "1": 1, 2: 2, "2": 2}


@jinja2.pass_context
def floatformat(context, value, arg=-1):
    """Django's ``floatformat``, with the marks and points pages print most done directly.

    A Decimal or an int with 1, 2 or "-2" places, printed with "." and no grouping,
    needs none of the localisation Django's filter goes through (~20 µs a number; a
    gradebook page prints hundreds): the same text, tested against Django's. The
    language's decimal separator is looked up once per page (Template.render).
    """
    places = _PLACES.get(arg) if type(arg) in (int, str) else None
    if (
        places is None
        or type(value) not in (Decimal, int)
        or settings.USE_THOUSAND_SEPARATOR
        or (context.get(_DECIMAL_SEPARATOR) or get_format("DECIMAL_SEPARATOR")) != "."
    ):
        return defaultfilters.floatformat(value, arg)
    number = Decimal(value)
    if not number.is_finite():
        return defaultfilters.floatformat(value, arg)
    if places < 0 and number == number.to_integral_value():
        return SafeString(str(int(number)))
    exponent = Decimal(1).scaleb(-abs(places))
    digits = len(number.as_tuple().digits) + abs(places) + 1
    rounded = number.quantize(exponent, ROUND_HALF_UP, Context(prec=max(28, digits)))
    return SafeString(f"{abs(rounded) if not rounded else rounded:f}")


@jinja2.pass_context
def points(context, value):
    """Points as people write them, the same on every page: at most two decimals, no
    trailing zero (17.5 / 25, 64.15 / 100, 79 / 100; not 17.50 beside 19)."""
    text = str(floatformat(context, value, "-2"))
    separator = context.get(_DECIMAL_SEPARATOR) or get_format("DECIMAL_SEPARATOR")
    if separator in text:
        text = text.rstrip("0").rstrip(separator)
    return SafeString(text)  # a number, or "" as floatformat gives for anything else


def show_invisible(value, in_code: bool = False) -> str | Markup:
    """Print VALUE (a file name, a path; a line of code, IN_CODE) escaped, with each
    invisible character shown as its code point: "rtl\u202egpj.py" would read "rtlyp.jpg"
    on a grader's page."""
    text = str(value)
    characters = IN_CODE if in_code else INVISIBLE
    if not characters.search(text):
        return text
    # The text is escaped first; the badges are ours.
    return Markup(badged(str(escape(text)), characters))  # noqa: S704


# What the pages' texts kept as typed may take to convert, all of a request together:
# each text had its own second, and a rubric of 18 criteria built to be slow held a
# worker past its timeout, on every view of a review (probe 40). Past it, a text not yet
# converted is shown as typed, and not kept: the next view tries again.
VIEW_MARKDOWN_SECONDS = 1.0
_view_deadline: ContextVar[float | None] = ContextVar("view_markdown_deadline", default=None)


@receiver(request_started, dispatch_uid="view-markdown-budget")
def _new_view_budget(**kwargs) -> None:
    _view_deadline.set(None)


def markdown(value) -> Markup:
    """Render VALUE, Markdown someone typed (a grader's comment), to sanitised HTML.

    The same rendering and sanitiser (nh3) as the overall feedback and line comments,
    which are stored rendered; this is for text kept only as typed (rubric scores'
    comments, criteria's descriptions), rendered once per process and text, within the
    request's budget.
    """
    text = str(value or "")
    html_text = _markdown_memo.get(text)
    if html_text is None:
        deadline = _view_deadline.get()
        if deadline is None:
            deadline = time.monotonic() + VIEW_MARKDOWN_SECONDS
            _view_deadline.set(deadline)
        with markdown_deadline(deadline):
            html_text = feedback_to_html(text)  # its headings bold lines, as the feedback's
        if not fell_back(html_text):
            if len(_markdown_memo) >= 2048:
                _markdown_memo.clear()
            _markdown_memo[text] = html_text
    return Markup(html_text)  # noqa: S704 - sanitised by nh3


_markdown_memo: dict[str, str] = {}


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")


def headings_under(html, level: int) -> Markup:
    """Return HTML (sanitised, as stored) with its headings moved down to sit under a
    heading of LEVEL: its highest becomes LEVEL + 1, the others follow, h6 at most.

    A project brief's "## What to deliver" was an h2 inside the page's h2 "Brief"."""
    text = str(html or "")
    found = [int(n) for _, n in _HEADING_TAG.findall(text)]
    shift = level + 1 - min(found) if found else 0
    if shift > 0:
        text = _HEADING_TAG.sub(
            lambda tag: f"<{tag.group(1)}h{min(int(tag.group(2)) + shift, 6)}", text
        )
    return Markup(text)  # noqa: S704 - tags renamed in HTML sanitised already


# Django's filters where Jinja has none, or one with another output.
FILTERS = {
    "as_crispy_field": crispy_field,
    "countdown": projects_tags.countdown,
    # Every time a page shows: the site's zone, named ("14:00 CET").
    "local_time": projects_tags.local_time,
    "markdown": markdown,
    "date": date,
    "default_if_none": defaultfilters.default_if_none,
    "floatformat": floatformat,
    "headings_under": headings_under,
    "points": points,
    "linebreaksbr": linebreaksbr,
    "pluralize": defaultfilters.pluralize,
    "show_invisible": show_invisible,
    "urlencode": defaultfilters.urlencode,
    "yesno": defaultfilters.yesno,
}


def _under_pytest() -> bool:
    return "pytest" in sys.modules


def refuse_methods(value):
    """Return VALUE to print, unless it is a method the template forgot to call."""
    if callable(value) and not isinstance(value, jinja2.Undefined):
        raise TypeError(f"A template prints {value!r}: call it, with ().")
    return value


class Environment(jinja2.Environment):
    """Jinja's environment, with each template's globals in one plain dict.

    Jinja layers a template's globals over the environment's in a ChainMap, which each
    render copies into the page's context key by key in Python (about 20 µs a copy, and
    every include reads its keys again): 4-8 % of a student page's build. The site's
    globals are set once, in environment(), before any template loads (as Jinja asks), so
    a dict made when the template loads holds the same names.
    """

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def environment(**options) -> jinja2.Environment:
    """Return the site's Jinja2 environment (settings.TEMPLATES' ``environment``)."""
    if _under_pytest():
        options.setdefault("finalize", refuse_methods)
    # Django templates output a file's last newline; keep pages byte-for-byte alike.
    options.setdefault("keep_trailing_newline", True)
    # Every template is HTML: escaping is never turned off.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update(GLOBALS)
    env.filters.update(FILTERS)
    return env


def default_undefined() -> type[jinja2.Undefined]:
    """Return how templates treat a missing variable: fail under pytest, empty otherwise."""
    if _under_pytest():
        return jinja2.StrictUndefined
    return jinja2.ChainableUndefined


class Jinja2Backend(Jinja2):
    """Django's Jinja2 backend, whose templates tell the test client what they rendered.

    Django templates send ``template_rendered`` under test, which fills the test
    client's ``response.context`` and ``response.templates``; Django's Jinja2 backend
    does not. Only the page's own template is reported, not what it extends or
    includes (Jinja loads those itself).
    """

    def __init__(self, params: dict) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS", {}))}
        options = params["OPTIONS"]
        options.setdefault("environment", "coursesite.jinja2.environment")
        undefined = options.get("undefined") or default_undefined()
        options["undefined"] = import_string(undefined) if isinstance(undefined, str) else undefined
        super().__init__(params)

    def from_string(self, template_code: str) -> Template:
        return Template(self.env.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.env.get_template(template_name), self)
        except jinja2.TemplateNotFound as exc:
            raise TemplateDoesNotExist(exc.name, backend=self) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc


class Template(DjangoJinjaTemplate):
    @property
    def name(self) -> str | None:
        # What assertTemplateUsed and response.templates read on Django's templates.
        return self.template.name

    def render(self, context: dict | None = None, request=None) -> str:
        # As Django's Jinja2 Template.render: the context processors run after the view's
        # context, so their names win (unlike Django templates, where the view's win).
        if context is None:
            context = {}
        # A page sent back with what is wrong says so first in its title, which a screen
        # reader reads out and a tab shows (probe 61: it kept the page's usual title).
        context[PAGE_HAS_ERRORS] = _has_errors(context)
        if request is not None:
            context["request"] = request
            token = _CsrfToken(request)
            context["csrf_input"], context["csrf_token"] = _CsrfInput(token), token
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        context[_DECIMAL_SEPARATOR] = get_format("DECIMAL_SEPARATOR")
        # Only the test client listens; a page in production skips this on an empty list.
        if template_rendered.receivers:
            template_rendered.send(sender=self, template=self, context=context)
        try:
            return self.template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc


PAGE_HAS_ERRORS = "page_has_errors"


def _has_errors(context: dict) -> bool:
    """Whether the view's CONTEXT holds a form sent back with errors, or an ``error``
    (an error *message* is seen by base.html, which shows the messages; the site's pages
    have no formsets)."""
    if context.get("error"):
        return True
    for value in context.values():  # a loop, not any(): every page renders a few of these
        if isinstance(value, BaseForm) and value.is_bound and value.errors:
            return True
    return False


class _CsrfToken:
    """The page's CSRF token, masked once for the whole page.

    Django's Jinja2 backend masks the token anew (32 random characters) each time a page
    prints it; a lesson page prints it in every question's form, and the masking was
    7 % of its build. Django templates mask once per render too (the ``csrf`` context
    processor's lazy object): masking defeats BREACH by changing the token between
    responses, not between the forms of one response. Nothing is masked, and no CSRF
    cookie set, for a page that prints no form.
    """

    __slots__ = ("_request", "_token")

    def __init__(self, request) -> None:
        self._request = request
        self._token: str | None = None

    def __str__(self) -> str:
        if self._token is None:
            self._token = masked_csrf_token(self._request)
        return self._token

    __html__ = __str__  # letters and digits only: nothing to escape


_BASE = len(CSRF_ALLOWED_CHARS)
# A random byte as a character of the mask: bytes at or past the last whole multiple of
# the alphabet's length would favour its first characters, and are dropped.
_BYTE_TO_CHAR = bytes(ord(CSRF_ALLOWED_CHARS[byte % _BASE]) for byte in range(256))
_BIASED = bytes(range(256 - 256 % _BASE, 256))
# _SHIFTED[secret char][mask char]: the secret's character moved by the mask's.
_SHIFTED = {
    char: {
        mask: CSRF_ALLOWED_CHARS[(index + shift) % _BASE]
        for shift, mask in enumerate(CSRF_ALLOWED_CHARS)
    }
    for index, char in enumerate(CSRF_ALLOWED_CHARS)
}


def masked_csrf_token(request) -> str:
    """Return what Django's ``get_token(REQUEST)`` returns, with the mask drawn in one read.

    Django draws each of the mask's 32 characters with its own call to the system's
    random source (``get_random_string``): about 55 µs, an eighth of a lesson page's
    rendering. Here the mask comes from one ``secrets.token_bytes`` read, each character
    as uniform as Django's, and the token is Django's: the mask, then the secret shifted
    by it (``_mask_cipher_secret``), which ``CsrfViewMiddleware`` unmasks as any other.
    A request without a secret yet gets Django's own ``get_token``, which makes one.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie is renewed
    mask = b""
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += secrets.token_bytes(48).translate(_BYTE_TO_CHAR, _BIASED)
    mask = mask[:CSRF_SECRET_LENGTH].decode()
    return mask + "".join([_SHIFTED[char][shift] for char, shift in zip(secret, mask, strict=True)])


class _CsrfInput:
    """The hidden form fields carrying the page's token, and (signed) who the page is for:
    a form kept after its session ended goes back to that person only (formpages.py)."""

    __slots__ = ("_token",)

    def __init__(self, token: _CsrfToken) -> None:
        self._token = token

    def __str__(self) -> str:
        field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{self._token}">'
        owner = form_owner_value(self._token._request)  # letters, digits, ":", "-", "_"
        if owner:
            field += f'<input type="hidden" name="{OWNER_FIELD}" value="{owner}">'
        return field

    __html__ = __str__


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> TemplateSyntaxError:
    """Return Django's exception for EXC, with what its debug page shows."""
    new = TemplateSyntaxError(exc.args)
    new.template_debug = get_exception_info(exc)
    return new
