"""Lesson search: PostgreSQL full-text search, or a plain substring search elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from access import policy
from accounts.models import User
from coursesite.prepared import prepared_per

from .models import Lesson

MAX_RESULTS = 50
MAX_WORDS = 10  # of a query, searched on databases without full-text search
SNIPPET_RADIUS = 90
# Markers PostgreSQL puts around matches; the text is escaped before they become
# <mark> tags, so nothing from a lesson body is ever inserted as HTML.
START, STOP = "\ue000", "\ue001"


@dataclass
class SearchResult:
    lesson: Lesson
    snippet: SafeString


def search_lessons(user, query: str) -> list[SearchResult]:
    """Return up to MAX_RESULTS of the lessons USER may see matching QUERY, best first.

    One query, prepared per the user's roles (coursesite/prepared.py): compiling the
    policy's filter, the match and the ranking was most of the page's build.
    """
    query = " ".join(query.split())
    if not query_terms(query):  # punctuation alone: no word to look for, on any database
        return []
    if connection.vendor != "postgresql":
        return search_words(user, query)
    found = _full_text_matches(user=user, query=query)
    return [SearchResult(lesson, _highlight_markers(lesson.headline)) for lesson in found]


# A phrase in double quotes (straight or curly), or a word; a word led by "-" is left out
# of what must match, as search engines take it.
_TERM = re.compile(r'["\u201c\u201d]([^"\u201c\u201d]+)["\u201c\u201d]?|(\S+)')
# Around a word: not a leading "." (.env) nor a trailing "+" or "#" (C++, C#).
_EDGE_PUNCTUATION = re.compile(r"^[^\w.]+|^\.+$|[^\w+#]+$")


def query_terms(query: str) -> list[str]:
    """The words and "quoted phrases" of QUERY, each without the punctuation around it
    (probe 126: `"cookies"`, `flask?` and `cookies,` were searched with their quotes,
    question mark and comma, and found nothing; a lone `"` or `-` matched every lesson).
    Punctuation inside a word stays (`pytest-django`, `cookie's`); a word led by "-"
    means "without it" to search engines, so it is not required."""
    terms = []
    for phrase, word in _TERM.findall(query):
        if word.startswith("-") and len(word) > 1:
            continue
        term = _EDGE_PUNCTUATION.sub("", " ".join((phrase or word).split()))
        if not any(character.isalnum() for character in term):
            continue  # "_", "+++": no word to look for
        if term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return terms


def search_words(user, query: str) -> list[SearchResult]:
    """Return the lessons USER may see with every word (or quoted phrase) of QUERY in
    their title or text, in any case (any database), those with one in the title first."""
    words = query_terms(query)[:MAX_WORDS]
    if not words:
        return []
    # Every slot filled: a word repeated changes neither "all words" nor "any in the title".
    slots = {f"word{index}": words[index % len(words)] for index in range(MAX_WORDS)}
    return [
        SearchResult(lesson, snippet(lesson.body_text, words))
        for lesson in _substring_matches(user=user, **slots)
    ]


def _visible(user) -> QuerySet:
    lessons = policy.scope(user, policy.VIEW, Lesson.objects)
    return lessons.select_related("module__course")


def _contains(field: str, text) -> GreaterThan:
    """FIELD contains TEXT, in any case: as ``icontains``, which rewrites its value (to
    ``%text%``) and so cannot be prepared; with no wildcard characters to escape."""
    fold = Upper if connection.vendor == "postgresql" else Casefold
    return GreaterThan(StrIndex(fold(F(field)), fold(Value(text))), 0)


class Casefold(Func):
    """Python's ``str.casefold`` on SQLite, whose lower() folds ASCII letters only (probe
    53: "введение" did not find "Введение", nor "übungen" "Übungen")."""

    function = "casefold"
    arity = 1


def register_casefold(sender, connection, **kwargs) -> None:
    """Give each new SQLite connection the ``casefold`` function (connection_created)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


@prepared_per(policy.variant)
def _full_text_matches(user: User, query: str):
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVectorField,
    )

    # The title (weight A) and text (B) as lessons/migrations/0009 stores them.
    vector = RawSQL('"lessons_lesson"."search_vector"', (), output_field=SearchVectorField())
    search_query = SearchQuery(query, search_type="websearch", config="english")
    return (
        _visible(user)
        .annotate(
            search=vector,
            rank=SearchRank(vector, search_query),
            headline=SearchHeadline(
                "body_text",
                search_query,
                config="english",
                start_sel=START,
                stop_sel=STOP,
                min_words=15,
                max_words=35,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        # The title substring match catches prefixes ("flas") that stemming does not.
        .filter(Q(search=search_query) | Q(_contains("title", query)))
        .order_by("-rank", "module__course__title", "module__order", "order")
        .defer("body", "body_html", "toc_html", "body_text")[:MAX_RESULTS]
    )


@prepared_per(policy.variant)
def _substring_matches(
    user: User,
    word0: str,
    word1: str,
    word2: str,
    word3: str,
    word4: str,
    word5: str,
    word6: str,
    word7: str,
    word8: str,
    word9: str,
):
    """Every word in the title or the text, case-insensitively (any database); lessons
    with a word in the title first."""
    words = (word0, word1, word2, word3, word4, word5, word6, word7, word8, word9)
    every_word = Q()
    in_title = Q()
    for word in words:
        every_word &= Q(_contains("title", word)) | Q(_contains("body_text", word))
        in_title |= Q(_contains("title", word))
    return (
        _visible(user)
        .filter(every_word)
        .annotate(
            title_hit=Case(
                When(in_title, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("title_hit", "module__course__title", "module__order", "order")
        .defer("body", "body_html", "toc_html")[:MAX_RESULTS]
    )


def snippet(text: str, terms: list[str]) -> SafeString:
    """Return an escaped excerpt of TEXT around the first of TERMS, matches in <mark>."""
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    match = pattern.search(text)
    if match is None:
        excerpt = text[: 2 * SNIPPET_RADIUS]
        return mark_safe(escape(excerpt) + (" …" if len(text) > len(excerpt) else ""))  # noqa: S308
    start = max(0, match.start() - SNIPPET_RADIUS)
    end = min(len(text), match.end() + SNIPPET_RADIUS)
    # Cut at word boundaries so the excerpt does not start mid-word.
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", 0, end) if text.rfind(" ", 0, end) > match.end() else end
    excerpt = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", text[start:end])
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return _highlight_markers(prefix + excerpt + suffix)


def _highlight_markers(text: str) -> SafeString:
    html = escape(text or "").replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - everything but our own tags was escaped
