from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """Expose the role flags the navbar needs, computed once per request."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "site_name": settings.SITE_NAME,
        "nav_is_instructor": authenticated and user.is_instructor,
        "nav_is_grader": authenticated and (user.is_grader or user.is_instructor),
    }
