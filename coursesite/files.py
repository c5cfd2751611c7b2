"""Files in the storage that follow the database rows pointing at them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePosixPath

from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile


def delete_file_on_commit(storage: Storage, name: str) -> None:
    """Delete the file NAME from STORAGE once the current transaction commits.

    A file whose row was deleted or given another file (a handout taken down, hidden
    tests replaced) must not stay on the server; a change rolled back keeps it. Outside
    a transaction the file goes at once.
    """
    if name:
        transaction.on_commit(lambda: storage.delete(name))


class FilesStored:
    """Files saved to storage for rows of a transaction that may yet be rolled back.

    Django tells of a commit (``on_commit``), never of a rollback: whoever rolls back
    calls ``delete`` so that no file is left that no row names.
    """

    def __init__(self) -> None:
        self._stored: list[tuple[Storage, str]] = []

    def add(self, field_file: FieldFile) -> None:
        self._stored.append((field_file.storage, field_file.name))

    def delete(self) -> None:
        for storage, name in self._stored:
            storage.delete(name)
            _remove_empty_folder(storage, name)
        self._stored.clear()


def _remove_empty_folder(storage: Storage, name: str) -> None:
    """Remove the folder of NAME (deleted) in STORAGE if nothing is left in it: a failed
    import or a dry run left one empty folder per lesson, named by an id (probe 68).
    Not a top folder ("lessons/"), which an operator may have given its own permissions
    (probe 70); only on a disk, as an object store has no folders."""
    folder = PurePosixPath(name).parent
    if not hasattr(storage, "path") or folder.parent == PurePosixPath("."):
        return
    try:
        os.rmdir(storage.path(str(folder)))
    except OSError:
        pass  # not empty (another file of the folder's row), or gone already


_stored: ContextVar[FilesStored | None] = ContextVar("files_stored", default=None)


def store_file(field_file: FieldFile, name: str, content: File) -> None:
    """Store CONTENT as FIELD_FILE's file (the field's folder, NAME made safe); not the row.

    Inside ``files_removed_on_failure``, the file is deleted again if the block fails.
    """
    field_file.save(name, content, save=False)
    stored = _stored.get()
    if stored is not None:
        stored.add(field_file)


@contextmanager
def files_removed_on_failure() -> Iterator[FilesStored]:
    """Delete the files ``store_file`` stores in the block if the block raises.

    Their rows are rolled back with it; the files are not (probe 49: a course copy
    stopped by a test suite's lost zip left the lesson files copied before it on disk,
    in folders named by ids a later lesson may get). The block may also ``delete()``
    them on purpose (an import's dry run).
    """
    stored = FilesStored()
    token = _stored.set(stored)
    try:
        yield stored
    except BaseException:
        stored.delete()
        raise
    finally:
        _stored.reset(token)
