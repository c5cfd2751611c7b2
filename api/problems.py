"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API has the same shape::

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "The request is not valid: see errors.", "instance": "/api/v1/...",
     "errors": {"field": ["message", ...]}}

``errors`` is there for invalid input only: per field, and ``non_field_errors`` for
what concerns the request as a whole. The services' ValidationError messages (written
for students) are passed on as they are.
"""

from __future__ import annotations

import math
from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from access import policy
from coursesite.locks import collided

PROBLEM_JSON = "application/problem+json"
INVALID = "The request is not valid: see errors."


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Someone changed this at the same moment. Please try again."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, **members) -> None:
        super().__init__(detail, code)
        # Extension members of the problem (RFC 9457): what a script acts on, such as
        # the id of the enrollment that is already there.
        self.members = members


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "This changed since you read it: nothing was saved. Read it again."
    default_code = "precondition_failed"


# The policy's 404, said of the API's records rather than of pages.
NOT_FOUND = "Not found: it does not exist, or it is outside your courses (the two look the same)."


NOT_AUTHENTICATED = (
    "Send a personal access token as “Authorization: Bearer <token>” (make one on your "
    "profile page), or log in to the site."
)


def problem_handler(exc, context):
    if isinstance(exc, Http404) and str(exc) == policy.NOT_FOUND:
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(detail=serializers.as_serializer_error(exc))
    elif collided(exc):
        exc = Conflict()
    elif isinstance(exc, exceptions.NotAuthenticated):
        # DRF's "Authentication credentials were not provided." was all a script sending
        # "Authorization: Basic …" (or nothing) was told.
        replaced = exceptions.NotAuthenticated(NOT_AUTHENTICATED)
        # Its challenge too (DRF put it on the original): without it a 401 with no token
        # had no WWW-Authenticate header, where a bad token's had one (probe 33).
        replaced.auth_header = getattr(exc, "auth_header", None)
        exc = replaced
    elif isinstance(exc, exceptions.UnsupportedMediaType) and (request := context.get("request")):
        # DRF named only the type refused: say which ones the address takes.
        taken = " or ".join(dict.fromkeys(p.media_type for p in request.parsers))
        sent = request.content_type.split(";")[0].strip()[:100]
        exc = exceptions.UnsupportedMediaType(
            sent, detail=f"This address does not take “{sent}”: send {taken}."
        )
    else:
        exc = _in_our_words(exc, context)
    response = exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": "",
        "instance": context["request"].path if context.get("request") else "",
    }
    if isinstance(exc, exceptions.ValidationError):
        errors = _items_as_lists(response.data)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        problem["detail"] = INVALID
        problem["errors"] = errors
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        problem["detail"] = str(detail or HTTPStatus(status).description)
    problem.update(getattr(exc, "members", {}))
    response.data = problem
    response.content_type = PROBLEM_JSON
    # Written as JSON whatever the view's renderers (the schema's first is YAML) and
    # whatever the request accepts: a 406 cannot be written in a type it refused.
    if request := context.get("request"):
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), PROBLEM_JSON
    return response


def _in_our_words(exc, context):
    """Return EXC with what the address takes, where DRF's own message said only what
    was refused ("Method "PUT" not allowed.", "Could not satisfy the request Accept
    header.", "Request was throttled.": probe 110); a message of ours stays."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None:
        return exc
    drfs = str(getattr(exc, "default_detail", ""))
    if isinstance(exc, exceptions.MethodNotAllowed) and str(exc.detail) == drfs.format(
        method=request.method
    ):
        takes = ", ".join(m for m in view.allowed_methods if m not in ("HEAD", "OPTIONS"))
        return exceptions.MethodNotAllowed(
            request.method,
            detail=f"This address does not take {request.method[:20]}: it takes {takes}.",
        )
    if isinstance(exc, exceptions.NotAcceptable) and str(exc.detail) == drfs:
        answers = " or ".join(dict.fromkeys(r.media_type for r in view.get_renderers()))
        return exceptions.NotAcceptable(
            detail=f"This address answers in {answers}, which the request's Accept header "
            "does not name."
        )
    if isinstance(exc, exceptions.Throttled) and str(exc.detail).startswith(drfs):
        seconds = math.ceil(exc.wait) if exc.wait is not None else None
        unit = "second" if seconds == 1 else "seconds"
        wait = f"wait {seconds} {unit}, then " if seconds is not None else ""
        # Set, not passed: Throttled() would add DRF's "Expected available in …" again.
        exc.detail = exceptions.ErrorDetail(
            f"Too many requests: {wait}send this one again.", code=exc.default_code
        )
    return exc


def _items_as_lists(errors):
    """Return ERRORS with the errors of a list's items at their places in a list.

    DRF reports a list's items as an object keyed by index (``{"1": {...}}``), where the
    checks made after it (the rubric's, a roster's) report a list with ``{}`` for each
    valid item, as the docs show: one shape for clients to read.
    """
    if isinstance(errors, dict):
        # DRF keys a list's items by their index, an int, and only those make a list.
        # A name the client chose stays a name: a query parameter or a JSON key named
        # "10000000" made a list of ten million items (probe 62: 730 MB in the worker).
        if errors and all(isinstance(key, int) and key >= 0 for key in errors):
            items = {key: _items_as_lists(value) for key, value in errors.items()}
            return [items.get(index, {}) for index in range(max(items) + 1)]
        grouped: dict = {}
        for key, value in errors.items():
            # Django names what concerns the whole object "__all__" (a model's unique
            # slug, a form's clean()): the API says non_field_errors everywhere.
            key = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key
            value = _items_as_lists(value)
            if isinstance(grouped.get(key), list) and isinstance(value, list):
                value = grouped[key] + value
            grouped[key] = value
        return grouped
    if isinstance(errors, list):
        return [_items_as_lists(value) for value in errors]
    return errors
