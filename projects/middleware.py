"""Old addresses of renamed projects lead to their new ones."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import ResolverMatch

from access import policy
from coursesite import middleware

from .models import FormerProjectSlug


class FormerProjectAddressMiddleware(middleware.FormerAddressMiddleware):
    """Redirect a project page not found at the project's former slug to its new address,
    for whoever may see the project now. A course renamed as well is followed first
    (lessons.middleware.FormerAddressMiddleware comes before this one)."""

    def new_kwargs(self, request: HttpRequest, match: ResolverMatch) -> dict | None:
        kwargs = match.kwargs
        if match.namespace != "projects" or not {"course_slug", "slug"} <= kwargs.keys():
            return None
        former = (
            FormerProjectSlug.objects.filter(
                course__slug=kwargs["course_slug"], slug=kwargs["slug"]
            )
            .select_related("assignment__course")
            .first()
        )
        if former is None or not policy.can(request.user, policy.VIEW, former.assignment):
            return None
        return {**kwargs, "slug": former.assignment.slug}
