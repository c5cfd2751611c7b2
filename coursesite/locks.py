"""Row locks that make two writes at the same moment queue one after the other."""

from __future__ import annotations

from django.db import IntegrityError, OperationalError
from django.db.models import QuerySet


def lock_rows(queryset: QuerySet) -> None:
    """Lock QUERYSET's rows until the transaction ends, reading only their keys.

    A write that decides on what other rows hold (the last instructor, the order of a
    course's modules) locks their parent first: a second such write waits for the
    first to commit and decides on what it left. PostgreSQL takes the locks
    (``SELECT ... FOR UPDATE``); SQLite runs one write transaction at a time anyway.
    Must run inside ``transaction.atomic()``.
    """
    list(queryset.select_for_update().values_list("pk", flat=True))


# PostgreSQL's "deadlock detected" and "could not serialize": the same request again,
# alone, would go through.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def collided(exc: Exception) -> bool:
    """Whether EXC is two writes at the same moment colliding (a constraint another just
    took, a deadlock the database broke): the user is told to try again, not a 500."""
    return isinstance(exc, IntegrityError) or (
        isinstance(exc, OperationalError)
        and getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES
    )
