"""Old addresses of renamed courses and lessons lead to their new ones."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from access import policy

from .models import Course, FormerSlug, Lesson

# A course's pages are under ".../courses/<slug:...>/": the slug after "courses/" names
# the course, whatever the route calls it (slug, course_slug).
_COURSE_IN_ROUTE = re.compile(r"(?:^|/)courses/<slug:(\w+)>/")


class FormerAddressMiddleware:
    """Redirect a page not found at a course's or lesson's former slug to its new address.

    Only pages not found are looked at (one status check on every other response), and
    only for whoever may see the course (and lesson) now: an outsider's old link stays
    a 404 that names nothing. Every page under a course's address follows: its lessons,
    their files, its projects. The redirect is temporary (302): a former slug may be
    taken by a new course, whose address it then is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        return self._new_address(request) or response

    def _new_address(self, request: HttpRequest) -> HttpResponse | None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
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
        if kwargs == match.kwargs:
            return None  # nothing was renamed: the page is really not there
        try:
            target = reverse(match.view_name, kwargs=kwargs)
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(f"{target}?{query}" if query else target)

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
