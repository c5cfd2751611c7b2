"""HTML the course's pages share between students, built once per outline.

The list of a course's lessons beside every lesson page is the same for all students
who see the same outline (lessons/outline.py: a course revision, as one audience sees
it); only the current lesson and the ticks differ. Its escaped pieces are built once per
outline and process, and each page joins them with its own current lesson and ticks:
rendering the 30-odd entries through the template was a quarter of the page's build.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from markupsafe import Markup, escape

from coursesite.memo import ProcessMemo

from .outline import CourseOutline

_DONE = '<span class="tick text-success" aria-label="completed">✓</span></li>'
_NOT_DONE = '<span class="tick text-success d-none" aria-label="completed">✓</span></li>'
_KEPT = 64  # outlines whose pieces are kept: courses x audiences in use at once


class _Entry(NamedTuple):
    pk: int
    head: str  # the module's heading when it starts here, and the entry's opening tag
    link: str  # the lesson as a link
    here: str  # the lesson as the current page


_pieces = ProcessMemo(_KEPT)


def lesson_sidebar(outline: CourseOutline, current_pk: int, completed: Collection[int]) -> Markup:
    """Return the course's lessons as list items, CURRENT_PK marked as the page, COMPLETED
    ticked (the script of the page shows a tick when the lesson is completed)."""
    entries = _pieces.get(outline.key) if outline.key else None
    if entries is None:
        entries = _build(outline)
        if outline.key:
            _pieces.set(outline.key, entries)
    parts = []
    for entry in entries:
        parts.append(entry.head)
        parts.append(entry.here if entry.pk == current_pk else entry.link)
        parts.append(_DONE if entry.pk in completed else _NOT_DONE)
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped when built


def _build(outline: CourseOutline) -> tuple[_Entry, ...]:
    entries = []
    for module, lessons in outline.modules:
        heading = f'<li class="fw-semibold mt-2">{escape(module.title)}</li>'
        for lesson in lessons:
            title = escape(lesson.title)
            entries.append(
                _Entry(
                    pk=lesson.pk,
                    head=f'{heading}<li class="ps-2" data-lesson="{lesson.pk}">',
                    link=f'<a href="{escape(lesson.url)}">{title}</a> ',
                    here=f'<span aria-current="page" class="fw-semibold">{title}</span> ',
                )
            )
            heading = ""
    return tuple(entries)
