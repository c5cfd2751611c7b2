"""The reads every course and lesson page repeats with other ids, compiled once.

See coursesite/prepared.py: each is an ordinary queryset, compiled to SQL once per
connection instead of on every request.
"""

from __future__ import annotations

from django.db.models import CharField, Exists, OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Cast

from accounts.history import NamedRow
from accounts.models import Role
from coursesite.prepared import prepared

from .models import Course, Enrollment, Lesson, LessonAttachment, LessonCompletion, Removal


@prepared
def course_by_slug(slug: str):
    # The page shows the descriptions as HTML: their Markdown stays in the database.
    return Course.objects.filter(slug=slug).defer(*Course.SOURCES)


@prepared
def course_by_slug_for(slug: str, user_id: int):
    """The course (as ``course_by_slug``) with the ids of its lessons USER_ID completed
    (``completed_ids``: ``completed_in_course``), in one query: the course page."""
    return (
        Course.objects.filter(slug=slug)
        .defer(*Course.SOURCES)
        .annotate(completed_ids=Subquery(_completed_in(user_id, OuterRef("pk"))))
    )


def _completed_in(user_id: int, course):
    """The lesson ids USER_ID completed in COURSE (an id or an outer reference), joined
    with commas in one value."""
    return (
        LessonCompletion.objects.filter(user_id=user_id, lesson__module__course_id=course)
        .order_by()
        .values("user_id")
        .annotate(ids=StringAgg(Cast("lesson_id", CharField()), Value(",")))
        .values("ids")
    )


@prepared
def lesson_by_slugs(course_slug: str, lesson_slug: str, user_id: int):
    """The lesson with its module and course, whether it has attachments (most have
    none: their page then skips reading them) and the lessons of its course USER_ID has
    completed (``completed_in_course``), in one query.

    Without the texts the page does not show: the lesson's Markdown and search text, the
    module's and course's descriptions (more than half of what the row would carry).
    """
    attachments = LessonAttachment.objects.filter(lesson=OuterRef("pk"))
    completed = _completed_in(user_id, OuterRef("module__course_id"))
    return (
        Lesson.objects.filter(module__course__slug=course_slug, slug=lesson_slug)
        .select_related("module__course")
        .defer(*_NOT_ON_THE_LESSON_PAGE)
        .annotate(has_attachments=Exists(attachments), completed_ids=Subquery(completed))
    )


def completed_in_course(row: Lesson | Course) -> set[int]:
    """Return the ids of the lessons its reader has completed in the course of ROW, as
    ``lesson_by_slugs`` or ``course_by_slug_for`` read them with it (a round trip fewer
    per page)."""
    return {int(pk) for pk in row.completed_ids.split(",")} if row.completed_ids else set()


_NOT_ON_THE_LESSON_PAGE = [
    "body",
    "body_text",
    "module__summary",
    "module__summary_html",
    *(f"module__course__{name}" for name in Course.TEXTS),
]


@prepared
def attachments_of(lesson_id: int):
    # Ordered here: the default ordering would join the lesson and its module.
    return LessonAttachment.objects.filter(lesson_id=lesson_id).order_by("order", "pk")


@prepared
def enrolled_courses(user_id: int):
    """The courses the user is enrolled in (any role), without their long texts."""
    return (
        Course.objects.filter(enrollments__user_id=user_id)
        .defer(*Course.TEXTS)
        .order_by("-term", "title")
    )


@prepared
def all_completed_lesson_ids(user_id: int):
    """Ids of every lesson the user has completed, in any course."""
    return LessonCompletion.objects.filter(user_id=user_id).values_list("lesson_id", flat=True)


def personal_data_of(user) -> dict:
    """USER's courses, removals and completed lessons, for their data download
    (accounts.personal_data)."""
    enrollments = Enrollment.objects.filter(user=user).select_related("course", "last_lesson")
    removals = Removal.objects.filter(user=user).select_related("course")
    completions = LessonCompletion.objects.filter(user=user).select_related(
        "lesson__module__course"
    )
    return {
        "enrollments": [
            {
                "course": e.course.title,
                "course_code": e.course.code,
                "term": e.course.term,
                "role": e.get_role_display(),
                "enrolled_at": e.created_at,
                "last_lesson_opened": e.last_lesson.title if e.last_lesson else None,
            }
            for e in enrollments.order_by("created_at", "pk")
        ],
        "removed_from_courses": [
            {"course": r.course.title, "removed_at": r.removed_at}
            for r in removals.order_by("removed_at", "pk")
        ],
        "lessons_completed": [
            {
                "course": c.lesson.module.course.title,
                "module": c.lesson.module.title,
                "lesson": c.lesson.title,
                "completed_at": c.completed_at,
            }
            for c in completions.order_by("completed_at", "pk")
        ],
    }


def rows_naming(person) -> list[NamedRow]:
    """PERSON's enrollments, those since removed rebuilt in each role, for the back
    office's history (accounts.history)."""
    rows = [
        NamedRow(e, "user") for e in Enrollment.objects.filter(user=person).select_related("course")
    ]
    for removal in Removal.objects.filter(user=person).select_related("course"):
        rows += [
            NamedRow(Enrollment(user=person, course=removal.course, role=r), "user") for r in Role
        ]
    return rows
