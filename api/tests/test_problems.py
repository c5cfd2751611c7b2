"""What the API answers when the database refuses a write made at the same moment."""

from __future__ import annotations

import psycopg
from django.db import IntegrityError, OperationalError
from rest_framework.test import APIRequestFactory

from api.problems import PROBLEM_JSON, problem_handler


def answer(exc):
    request = APIRequestFactory().post("/api/v1/reviews/7/")
    return problem_handler(exc, {"request": request})


def raised_from(cause: Exception) -> OperationalError:
    try:
        try:
            raise cause
        except psycopg.Error as error:
            raise OperationalError(str(error)) from error
    except OperationalError as wrapped:  # as Django's database wrapper raises it
        return wrapped


def test_a_deadlock_or_serialization_failure_is_a_conflict_to_retry():
    for cause in (
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
    ):
        response = answer(raised_from(cause))
        assert response.status_code == 409
        assert response.content_type == PROBLEM_JSON
        assert (
            response.data["detail"] == "Someone changed this at the same moment. Please try again."
        )
    assert answer(IntegrityError("duplicate key")).status_code == 409


def test_other_database_failures_stay_server_errors():
    """A lost connection is no conflict: Django's 500 handler answers (a problem document)."""
    assert answer(raised_from(psycopg.OperationalError("server closed the connection"))) is None
