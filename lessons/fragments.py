"""HTML the course's pages share between students, built once per outline.

The list of a course's lessons beside every lesson page, and the modules and lessons of
the course page, are the same for all students who see the same outline
(lessons/outline.py: a course revision, as one audience sees it); only the current
lesson, the progress bars and the ticks differ. They are built once per outline and
process, and each page joins them with its own: rendering the 30-odd entries through
the template was a quarter of the page's build.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import NamedTuple

from jinja2 import Environment, pass_environment
from markupsafe import Markup, escape

from coursesite.memo import ProcessMemo

from .models import Progress
from .outline import CourseOutline

# "completed" in words for screen readers: an aria-label on a plain span is not read (it
# said "✓", probe 39).
_TICK_TEXT = '<span aria-hidden="true">✓</span><span class="visually-hidden">completed</span>'
_DONE = f'<span class="tick text-success">{_TICK_TEXT}</span></li>'
_NOT_DONE = f'<span class="tick text-success d-none">{_TICK_TEXT}</span></li>'
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


# Where the course page's per-student parts go: HTML comments, which no escaped title
# and no sanitized summary can contain.
_SLOT = re.compile(r"<!--slot:([pt])(\d+)-->")
_TICK = f'<span class="badge text-bg-success rounded-pill tick">{_TICK_TEXT}</span>'
_module_parts = ProcessMemo(_KEPT)


@pass_environment
def course_modules(
    environment: Environment,
    outline: CourseOutline,
    progress: Mapping[int, Progress],
    completed: Collection[int],
) -> Markup:
    """Return the course page's modules (lessons/_modules.html) with each module's
    PROGRESS (by module id) and the COMPLETED lessons ticked."""
    parts = _module_parts.get(outline.key) if outline.key else None
    if parts is None:
        html = environment.get_template("lessons/_modules.html").render(
            modules=outline.modules,
            slot_progress=lambda pk: Markup("<!--slot:p%d-->") % pk,
            slot_tick=lambda pk: Markup("<!--slot:t%d-->") % pk,
        )
        parts = tuple(_SLOT.split(html))  # text, kind, id, text, kind, id, ..., text
        if outline.key:
            _module_parts.set(outline.key, parts)
    titles = {module.pk: module.title for module, _lessons in outline.modules}
    progress_bar = environment.get_template("lessons/_macros.html").module.progress_bar
    out = [parts[0]]
    for index in range(1, len(parts), 3):
        kind, pk, text = parts[index], int(parts[index + 1]), parts[index + 2]
        if kind == "p":
            label = f"Progress in {titles[pk]}"
            out.append(
                progress_bar(progress[pk], label, key="module", key_id=pk, extra_class="mb-2")
            )
        elif pk in completed:
            out.append(_TICK)
        out.append(text)
    return Markup("".join(out))  # noqa: S704 - rendered by the template, escaped there
