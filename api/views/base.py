"""What every API view shares: the access policy, paging, and a few helpers."""

from __future__ import annotations

import json

from django.db import transaction
from django.views import View
from drf_spectacular.utils import OpenApiResponse
from rest_framework import renderers, viewsets
from rest_framework.exceptions import NotAcceptable
from rest_framework.exceptions import ValidationError as ApiValidationError

from coursesite.csvexport import CSV_MEDIA_TYPE

from ..access import PolicyMixin
from ..filters import BooleanField, refuse_other_params
from ..serializers import ProblemSerializer, refuse_unknown_fields

# OPTIONS answers 405 (the schema describes every operation): so no Allow lists it.
NO_OPTIONS = [name for name in View.http_method_names if name != "options"]


def only_params(request, *names: str) -> None:
    """Refuse (400) query parameters other than NAMES, for the pages that are no plain
    list (StrictFilterBackend guards those)."""
    refuse_other_params(request, names, what="This address has no such parameter")


def query_flag(request, name: str) -> bool:
    """Read the query parameter NAME as true or false (absent: false), in any case:
    Python's requests sends True (probe 76). Anything else is refused (400)."""
    raw = request.query_params.get(name, "false").lower()
    if raw not in BooleanField.VALUES:
        raise ApiValidationError({name: ["Give true or false."]})
    return BooleanField.VALUES[raw]


class ApiViewSet(PolicyMixin, viewsets.GenericViewSet):
    http_method_names = NO_OPTIONS
    # Ids in URLs match the site's <id:pk>: a number no row can have is a 404 before
    # it reaches the database.
    lookup_value_converter = "id"

    # The GETs of one object that take no query parameters (the others check theirs).
    PARAMETERLESS = ("retrieve", "download", "release", "rubric")
    # What a DELETE of this viewset's rows takes (a lesson's ?drop_work=true).
    destroy_params: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and self.action in self.PARAMETERLESS:
            # As the lists do: ?x=1 on /courses/2/ was ignored (a typo read as heard).
            only_params(request)
        if self.action == "destroy":
            # Before the row goes: a misspelt ?drop_wrok=true, or a body, is no DELETE
            # as the client meant it (probe 86: an override's was taken whatever came).
            only_params(request, *self.destroy_params)
            no_body(request)

    def object_for(self, action: str, *, roles=None):
        """Return the URL's object if the user may ACTION it (else 404/403)."""
        return self.fetch(self.base_queryset(), action, roles=roles, pk=self.kwargs["pk"])


def no_body(request) -> None:
    """Refuse (400) a body sent to an action that takes none: `{"released": false}` to
    the release released the grades, as if the client had been heard. An empty object
    or ``null`` is a body too: only a request without one is taken."""
    if request.stream is None:  # no body (DRF reads a Content-Length of 0 as none)
        return
    data = request.data
    if hasattr(data, "keys") and data:
        refuse_unknown_fields(data, [])  # names the fields sent
    raise ApiValidationError({"non_field_errors": ["This request takes no body."]})


def valid(serializer_class, data, **kwargs) -> dict:
    """Return DATA checked by SERIALIZER_CLASS (400 with field errors if it is not valid)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def changes(instance, data: dict) -> bool:
    """Return whether DATA (checked fields) changes INSTANCE: a PATCH of {} or of the
    values already there writes nothing, and its updated_at stays."""
    return any(getattr(instance, name) != value for name, value in data.items())


def form_input(serializer_class, data) -> dict[str, str]:
    """Return DATA checked by SERIALIZER_CLASS as the strings a site form takes.

    The site's forms read what a browser posts: one string per field. JSON can send a
    list, an object or ``true`` where a string goes (a form would store its Python
    text), or a whole body that is not an object (the form would fail): the
    serializer refuses those with the API's 400 before a form sees them.
    """
    checked = valid(serializer_class, data)
    return {name: "" if value is None else str(value) for name, value in checked.items()}


def form_valid(form) -> dict:
    """Return the cleaned data of a site FORM, or raise its errors as the API's 400."""
    if not form.is_valid():
        raise ApiValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.cleaned_data


@transaction.atomic
def save_checked(instance) -> None:
    """Save INSTANCE after the model's own checks (clean(), unique slugs, constraints)."""
    instance.full_clean()
    instance.save()


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a client that asks for a file get it; errors come as JSON problem details."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode() if data is not None else b""


def refuse_unless_accepted(request, media_type: str) -> None:
    """Refuse (406) a client whose Accept names no type of the file MEDIA_TYPE (errors
    are JSON, so JSON alone was taken: a zip came to ``Accept: application/json``)."""
    if not request._request.accepts(media_type):
        raise NotAcceptable(
            f"This address answers with a file ({media_type}): accept it, or */*, in the "
            "Accept header."
        )


class ZipRenderer(DownloadRenderer):
    media_type = "application/zip"
    format = "zip"


class CsvRenderer(DownloadRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"


def problems(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(ProblemSerializer) for status in statuses}
