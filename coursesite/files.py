"""Files in the storage that follow the database rows pointing at them."""

from __future__ import annotations

from django.core.files.storage import Storage
from django.db import transaction


def delete_file_on_commit(storage: Storage, name: str) -> None:
    """Delete the file NAME from STORAGE once the current transaction commits.

    A file whose row was deleted or given another file (a handout taken down, hidden
    tests replaced) must not stay on the server; a change rolled back keeps it. Outside
    a transaction the file goes at once.
    """
    if name:
        transaction.on_commit(lambda: storage.delete(name))
