"""Lesson search: PostgreSQL full-text search, or a plain substring search elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Lesson, LessonQuerySet

MAX_RESULTS = 50
SNIPPET_RADIUS = 90
# Markers PostgreSQL puts around matches; the text is escaped before they become
# <mark> tags, so nothing from a lesson body is ever inserted as HTML.
START, STOP = "\ue000", "\ue001"


@dataclass
class SearchResult:
    lesson: Lesson
    snippet: SafeString


def search_lessons(lessons: LessonQuerySet, query: str) -> list[SearchResult]:
    """Return up to MAX_RESULTS of LESSONS matching QUERY, best first (one query)."""
    query = " ".join(query.split())
    if not query:
        return []
    lessons = lessons.select_related("module__course")
    if connection.vendor == "postgresql":
        return _search_postgres(lessons, query)
    return search_simple(lessons, query)


def _search_postgres(lessons: LessonQuerySet, query: str) -> list[SearchResult]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVectorField,
    )

    # The title (weight A) and text (B) as lessons/migrations/0009 stores them.
    vector = RawSQL('"lessons_lesson"."search_vector"', (), output_field=SearchVectorField())
    search_query = SearchQuery(query, search_type="websearch", config="english")
    found = (
        lessons.annotate(
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
        .filter(Q(search=search_query) | Q(title__icontains=query))
        .order_by("-rank", "module__course__title", "module__order", "order")
        .defer("body", "body_html", "toc_html", "body_text")[:MAX_RESULTS]
    )
    return [
        SearchResult(lesson=lesson, snippet=_highlight_markers(lesson.headline)) for lesson in found
    ]


def search_simple(lessons: LessonQuerySet, query: str) -> list[SearchResult]:
    """Match every word of QUERY in the title or text, case-insensitively (any database)."""
    terms = query.split()[:10]
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(body_text__icontains=term)
    title_hit = Q()
    for term in terms:
        title_hit |= Q(title__icontains=term)
    found = (
        lessons.filter(condition)
        .annotate(
            title_hit=Case(
                When(title_hit, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("title_hit", "module__course__title", "module__order", "order")
        .defer("body", "body_html", "toc_html")[:MAX_RESULTS]
    )
    return [
        SearchResult(lesson=lesson, snippet=snippet(lesson.body_text, terms)) for lesson in found
    ]


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
