"""Files in the storage that follow the database rows pointing at them."""

from __future__ import annotations

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

    def save(self, field_file: FieldFile, name: str, content: File) -> None:
        """Store CONTENT as FIELD_FILE's file (the field's folder, NAME made safe); not the row."""
        field_file.save(name, content, save=False)
        self._stored.append((field_file.storage, field_file.name))

    def delete(self) -> None:
        for storage, name in self._stored:
            storage.delete(name)
        self._stored.clear()
