"""Old addresses of renamed courses and lessons lead to their new ones."""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.urls import ResolverMatch

from access import policy
from coursesite import middleware

from .models import Course, FormerSlug, Lesson

# A course's pages are under ".../courses/<slug:...>/": the slug after "courses/" names
# the course, whatever the route calls it (slug, course_slug).
_COURSE_IN_ROUTE = re.compile(r"(?:^|/)courses/<slug:(\w+)>/")


class FormerAddressMiddleware(middleware.FormerAddressMiddleware):
    """Redirect a page not found at a course's or lesson's former slug to its new address.

    For whoever may see the course (and lesson) now. Every page under a course's
    address follows: its lessons, their files, its projects.
    """

    def new_kwargs(self, request: HttpRequest, match: ResolverMatch) -> dict | None:
        kwargs = dict(match.kwargs)
        found = _COURSE_IN_ROUTE.search(match.route or "")
        course_key = found.group(1) if found else None
        if course_key not in kwargs:
            return None
        course = self._course(kwargs[course_key])
        if course is None or not policy.can(request.user, policy.VIEW, course):
            return None
        kwargs[course_key] = course.slug
        if "lesson_slug" in kwargs:
            lesson = self._lesson(course, kwargs["lesson_slug"])
            if lesson is None or not policy.can(request.user, policy.VIEW, lesson):
                return None
            kwargs["lesson_slug"] = lesson.slug
        return kwargs

    @staticmethod
    def _course(slug: str) -> Course | None:
        current = Course.objects.filter(slug=slug).first()
        if current is not None:
            return current
        former = FormerSlug.objects.filter(slug=slug, lesson=None).select_related("course")
        found = former.first()
        return found.course if found else None

    @staticmethod
    def _lesson(course: Course, slug: str) -> Lesson | None:
        lessons = Lesson.objects.filter(module__course=course).select_related("module__course")
        current = lessons.filter(slug=slug).first()
        if current is not None:
            return current
        former = FormerSlug.objects.filter(course=course, slug=slug, lesson__isnull=False)
        found = former.values_list("lesson_id", flat=True).first()
        return lessons.filter(pk=found).first() if found else None
