"""Old addresses of renamed projects lead to their new ones."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from access import policy

from .models import FormerProjectSlug


class FormerProjectAddressMiddleware:
    """Redirect a project page not found at the project's former slug to its new address.

    As lessons.middleware.FormerAddressMiddleware does for courses and lessons (a course
    renamed as well is followed there first): only pages not found are looked at, only
    for whoever may see the project now (an outsider's old link stays a 404 that names
    nothing), and the redirect is temporary, since another project may take the slug.
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
        if former is None or former.assignment.slug == kwargs["slug"]:
            return None
        if not policy.can(request.user, policy.VIEW, former.assignment):
            return None
        try:
            target = reverse(match.view_name, kwargs={**kwargs, "slug": former.assignment.slug})
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(f"{target}?{query}" if query else target)
