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

from dataclasses import dataclass, replace

from django.core.cache import cache

from access import policy
from coursesite.memo import ProcessMemo

from .models import Course, Lesson, Module, lesson_url_builder

TIMEOUT = 24 * 60 * 60  # a new version makes a new key: old ones just expire
# In front of the cache, in each process: what a key names never changes (coursesite/memo.py).
_kept = ProcessMemo()


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
    # The cache key it is kept under: names this course revision as this audience sees
    # it, for the HTML built from it (lessons/fragments.py).
    key: str = ""

    @property
    def lessons(self) -> list[OutlineLesson]:
        """Every lesson, in course order."""
        return [lesson for _module, lessons in self.modules for lesson in lessons]


def course_outline(user, course: Course) -> CourseOutline:
    """Return the outline of COURSE as USER may see it."""
    return course_outlines(user, [course])[course.pk]


def course_outlines(user, courses: list[Course]) -> dict[int, CourseOutline]:
    """Return {course id: outline} of COURSES as USER may see them.

    From this process's memory when it has them, else one cache round trip for all of
    them; the missing ones are read together, in two queries whatever their number.
    """
    keys = {course.pk: _key(user, course) for course in courses}
    outlines = {pk: _kept.get(key) for pk, key in keys.items()}
    wanted = {pk: key for pk, key in keys.items() if outlines[pk] is None}
    if wanted:
        found = cache.get_many(list(wanted.values()))
        outlines.update({pk: found[key] for pk, key in wanted.items() if key in found})
        missing = [course for course in courses if outlines[course.pk] is None]
        if missing:
            built = {
                pk: replace(outline, key=keys[pk]) for pk, outline in _build(user, missing).items()
            }
            cache.set_many({keys[pk]: outline for pk, outline in built.items()}, TIMEOUT)
            outlines.update(built)
        for pk in wanted:
            _kept.set(keys[pk], outlines[pk])
    return outlines


def _key(user, course: Course) -> str:
    audience = "all" if policy.is_superuser(user) else policy.role_in(user, course)
    return f"outline:{course.pk}:{course.content_version}:{audience}"


def _build(user, courses: list[Course]) -> dict[int, CourseOutline]:
    by_id = {course.pk: course for course in courses}
    modules = policy.scope(user, policy.VIEW, Module.objects.filter(course__in=by_id))
    lessons = policy.scope(user, policy.VIEW, Lesson.objects.filter(module__course__in=by_id))
    module_rows: dict[int, OutlineModule] = {}
    module_course: dict[int, int] = {}
    for row in modules.order_by("order", "pk").values(
        "pk", "order", "title", "summary_html", "is_published", "course_id"
    ):
        module_course[row["pk"]] = row.pop("course_id")
        module_rows[row["pk"]] = OutlineModule(**row)
    urls = {pk: lesson_url_builder(course.slug) for pk, course in by_id.items()}
    by_module: dict[int, list[OutlineLesson]] = {}
    for row in lessons.order_by("order", "pk").values(
        "pk", "slug", "title", "estimated_minutes", "is_published", "module_id"
    ):
        module = module_rows.get(row.pop("module_id"))
        if module is not None:
            url = urls[module_course[module.pk]](row["slug"])
            by_module.setdefault(module.pk, []).append(OutlineLesson(url=url, module=module, **row))
    outlines: dict[int, list] = {pk: [] for pk in by_id}
    for pk, module in module_rows.items():
        outlines[module_course[pk]].append((module, tuple(by_module.get(pk, ()))))
    return {pk: CourseOutline(modules=tuple(rows)) for pk, rows in outlines.items()}
