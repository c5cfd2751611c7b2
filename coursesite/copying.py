"""Rows and files copied for a new run of a course (lessons.services.course_copy)."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.core.files import File
from django.db.models import Model
from django.db.models.fields.files import FieldFile

from .files import store_file


def copy_of[M: Model](row: M, **changes) -> M:
    """Return a new, unsaved row with ROW's values, CHANGES applied over them.

    Not its id, nor the times Django sets itself (created, updated): the copy is new.
    Files are not copied here (``copy_file``): the copy would share the original's.
    """
    values = {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if not field.primary_key
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    }
    return type(row)(**{**values, **changes})


def copy_file(source: FieldFile, target: FieldFile) -> None:
    """Store SOURCE's content as TARGET's file, under the same file name (not saved).

    Raise FileNotFoundError when SOURCE's file is missing from the storage. Inside
    ``coursesite.files.files_removed_on_failure``, it is deleted again if the copy fails.
    """
    with source.open("rb") as handle:
        store_file(target, PurePosixPath(source.name).name, File(handle))
