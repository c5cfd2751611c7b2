"""A course's outline (its modules and lessons), read once per content version.

Every student of a course sees the same outline, only their progress differs, so the
course and lesson pages take it from the cache instead of reading and building it on
every request. It is kept under the course's ``content_version``, which moves with any
change to its modules and lessons (lessons/models.py), so a changed course is read
afresh. What it lists is what the access policy lets the reader see, and the policy's
answer for a course's lessons depends only on the reader's role there: the outline is
kept per role (drafts for its teachers, published lessons for everyone else).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from access import policy

from .models import Course, Lesson, Module, lesson_url_builder

TIMEOUT = 24 * 60 * 60  # a new version makes a new key: old ones just expire


@dataclass(frozen=True)
class OutlineModule:
    pk: int
    order: int
    title: str
    summary_html: str
    is_published: bool


@dataclass(frozen=True)
class OutlineLesson:
    pk: int
    slug: str
    title: str
    url: str
    estimated_minutes: int
    is_published: bool
    module: OutlineModule

    @property
    def module_id(self) -> int:
        return self.module.pk

    @property
    def counts(self) -> bool:
        """Whether it counts for progress: students see it (drafts count for nobody)."""
        return self.is_published and self.module.is_published


@dataclass(frozen=True)
class CourseOutline:
    modules: tuple[tuple[OutlineModule, tuple[OutlineLesson, ...]], ...]

    @property
    def lessons(self) -> list[OutlineLesson]:
        """Every lesson, in course order."""
        return [lesson for _module, lessons in self.modules for lesson in lessons]


def course_outline(user, course: Course) -> CourseOutline:
    """Return the outline of COURSE as USER may see it."""
    audience = "all" if policy.is_superuser(user) else policy.role_in(user, course)
    key = f"outline:{course.pk}:{course.content_version}:{audience}"
    outline = cache.get(key)
    if outline is None:
        outline = _build(user, course)
        cache.set(key, outline, TIMEOUT)
    return outline


def _build(user, course: Course) -> CourseOutline:
    modules = policy.scope(user, policy.VIEW, Module.objects.filter(course=course))
    lessons = policy.scope(user, policy.VIEW, Lesson.objects.filter(module__course=course))
    url = lesson_url_builder(course.slug)
    by_module: dict[int, list[OutlineLesson]] = {}
    module_rows = {
        row["pk"]: OutlineModule(**row)
        for row in modules.order_by("order", "pk").values(
            "pk", "order", "title", "summary_html", "is_published"
        )
    }
    for row in lessons.order_by("order", "pk").values(
        "pk", "slug", "title", "estimated_minutes", "is_published", "module_id"
    ):
        module = module_rows.get(row.pop("module_id"))
        if module is not None:
            lesson = OutlineLesson(url=url(row["slug"]), module=module, **row)
            by_module.setdefault(module.pk, []).append(lesson)
    return CourseOutline(
        modules=tuple((module, tuple(by_module.get(pk, ()))) for pk, module in module_rows.items())
    )
