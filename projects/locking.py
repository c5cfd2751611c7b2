"""Serialize writers that must not interleave (group joins, submission numbering).

On PostgreSQL, ``select_for_update()`` on the group row is the lock: a second
transaction waits for the first to commit, then sees its rows.

SQLite has no row locks and ignores ``select_for_update()``. Two deferred
transactions that both read before writing fail with "database is locked" (the
busy timeout is not even consulted, since waiting could deadlock), and the test
suite's shared-cache in-memory database reports "table is locked" immediately.
So on SQLite the outermost block starts with ``BEGIN IMMEDIATE`` (the write lock
is taken first, and other processes wait on the busy timeout) and threads of one
process queue on a process-wide lock before they begin.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, connections, transaction

_SQLITE_WRITERS = threading.RLock()


@contextmanager
def serialized_atomic(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Open ``transaction.atomic`` that also serializes writers on SQLite."""
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # Nested blocks run inside a transaction that is already open (and locked).
        with transaction.atomic(using=using):
            yield
        return
    with _SQLITE_WRITERS:
        connection.ensure_connection()
        previous = connection.transaction_mode
        connection.transaction_mode = "IMMEDIATE"
        try:
            with transaction.atomic(using=using):
                connection.transaction_mode = previous
                yield
        finally:
            connection.transaction_mode = previous


def serialized[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service like ``@transaction.atomic``, with ``serialized_atomic``."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with serialized_atomic():
            return func(*args, **kwargs)

    return wrapper
