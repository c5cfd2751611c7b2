"""The API's one door to the access policy (access/policy.py).

Every API view takes its rows from ``PolicyMixin``: lists are ``policy.scope`` of the
view's queryset, single objects and the parents of nested routes come from
``policy.get_or_refuse`` (404 for people outside the course, 403 for its members
without the right). No view checks a role itself. ``ApiPermission`` adds what is the
API's own: a request must be authenticated, and a read-only token may only read.
"""

from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from access import policy

from .models import PersonalAccessToken

READ_ONLY_TOKEN = "This token is read-only. Create a read-and-write token to change anything."  # noqa: S105 - a message


class ApiPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method.lower() not in view.http_method_names or not hasattr(
            view, request.method.lower()
        ):
            # Before the token's scope: a read-only token writing where nothing can be
            # written (POST /api/v1/me/) was told it is read-only, not that nothing is.
            raise MethodNotAllowed(request.method)
        token = request.auth
        if (
            isinstance(token, PersonalAccessToken)
            and not token.can_write
            and request.method not in SAFE_METHODS
        ):
            self.message = READ_ONLY_TOKEN
            return False
        return True


class PolicyMixin:
    """Rows and objects of a view, as the access policy lets the request's user have them.

    ``base_queryset()`` is the view's rows before access (with what the serializer
    needs loaded); ``view_action`` and ``view_roles`` say what a list shows (the
    grading lists show a course's staff what they grade, as the grader's queue does);
    ``write_action`` is what changing or deleting one object asks.
    """

    model: type[Model]
    view_action: str = policy.VIEW
    view_roles: Collection[str] | None = None
    write_action: str = policy.TEACH

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return self.model._default_manager.none()
        return policy.scope(
            self.request.user, self.view_action, self.base_queryset(), roles=self.view_roles
        )

    def object_action(self) -> tuple[str, Collection[str] | None]:
        if self.request.method in SAFE_METHODS:
            return self.view_action, self.view_roles
        return self.write_action, None

    def get_object(self) -> Model:
        action, roles = self.object_action()
        try:
            obj = self.fetch(self.base_queryset(), action, roles=roles, pk=self.kwargs["pk"])
        except PermissionDenied:
            # A read of a row the list hides (a grader's version, which only its group
            # and teachers read here) is not confirmed: a 403 told the id exists.
            if self.request.method in SAFE_METHODS:
                raise Http404(policy.NOT_FOUND) from None
            raise
        self.check_object_permissions(self.request, obj)
        return obj

    def fetch(self, queryset, action: str, *, roles=None, **lookup) -> Model:
        """Return the object of QUERYSET matching LOOKUP if the user may ACTION it (or refuse)."""
        return policy.get_or_refuse(self.request.user, action, queryset, roles=roles, **lookup)
