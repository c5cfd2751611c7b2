from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from access import policy


def navigation(request: HttpRequest) -> dict:
    """Expose what the navbar links to, from the user's roles in their courses."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "site_name": settings.SITE_NAME,
        "nav_is_instructor": authenticated and policy.uses_back_office(user),
        "nav_is_grader": authenticated and policy.grades_anywhere(user),
        # Feedback is a student's; graders and instructors read it from their pages.
        "nav_is_student": authenticated and policy.studies_anywhere(user),
        # Their dashboard redirects to the queue: "My courses" asks for the list itself.
        "nav_courses_query": "?all=1" if authenticated and policy.grades_only(user) else "",
        "nav_section": _section(request),
    }


# The navbar's sections, by the namespace and name of the page's view: the one a page is
# in is marked for the eye and for screen readers (probe 126: none was).
_SECTIONS = {
    ("lessons", "search"): "search",
    ("grading", "feedback_list"): "feedback",
    ("grading", "grader_queue"): "grading",
    ("projects", "mine"): "projects",
    ("lessons", "dashboard"): "courses",
}


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return _SECTIONS.get((match.namespace, match.url_name), "")
