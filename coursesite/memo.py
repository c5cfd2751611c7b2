"""Values kept in this process under keys that name their version.

The course outline, a lesson's questions and the sidebar's pieces are cached under keys
that carry the course's ``content_version``: a changed course gets new keys, so what a
key names never changes (nor does an empty form field's HTML, keyed by all it depends
on: coursesite/jinja2.py). Each process keeps the ones it uses in memory in front of the
shared cache, which spares the page a cache round trip (Redis) and the unpickling of the
value (both backends) on every request. Values must be immutable (frozen dataclasses,
tuples, strings): every request of the process shares them.

The test suite rolls the database back after each test, so ids and versions repeat with
other contents: ``clear_all()`` runs with the cache's clearing between tests (conftest).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any


class ProcessMemo:
    """A bounded dict of immutable values under version-naming keys."""

    _every: weakref.WeakSet[ProcessMemo] = weakref.WeakSet()

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._values: dict[Any, Any] = {}
        ProcessMemo._every.add(self)

    def get(self, key: Hashable, default: Any = None) -> Any:
        return self._values.get(key, default)

    def set(self, key: Hashable, value: Any) -> None:
        # Old versions are never asked for again: emptying all at the bound is enough.
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = value

    def clear(self) -> None:
        self._values.clear()

    @classmethod
    def clear_all(cls) -> None:
        for memo in list(cls._every):
            memo.clear()
