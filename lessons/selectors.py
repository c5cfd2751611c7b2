"""The reads every course and lesson page repeats with other ids, compiled once.

See coursesite/prepared.py: each is an ordinary queryset, compiled to SQL once per
connection instead of on every request.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from coursesite.prepared import prepared

from .models import Course, Lesson, LessonAttachment, LessonCompletion


@prepared
def course_by_slug(slug: str):
    # The page shows the descriptions as HTML: their Markdown stays in the database.
    return Course.objects.filter(slug=slug).defer(*Course.SOURCES)


@prepared
def lesson_by_slugs(course_slug: str, lesson_slug: str):
    """The lesson with its module and course, and whether it has attachments (most have
    none: their page then skips reading them), in one query.

    Without the texts the page does not show: the lesson's Markdown and search text, the
    module's and course's descriptions (more than half of what the row would carry).
    """
    attachments = LessonAttachment.objects.filter(lesson=OuterRef("pk"))
    return (
        Lesson.objects.filter(module__course__slug=course_slug, slug=lesson_slug)
        .select_related("module__course")
        .defer(*_NOT_ON_THE_LESSON_PAGE)
        .annotate(has_attachments=Exists(attachments))
    )


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
def completed_lesson_ids(user_id: int, course_id: int):
    """Ids of the lessons of the course that the user has completed."""
    return LessonCompletion.objects.filter(
        user_id=user_id, lesson__module__course_id=course_id
    ).values_list("lesson_id", flat=True)


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
