"""The back office's history, once a person it names is anonymised.

django.contrib.admin keeps, for each change made in the back office, the changed row's
name as it was (``LogEntry.object_repr``) and, for the rows of a form's inline tables,
their names in the change message ("Added group membership “Sam Student in Team
Gamma”"). Many rows are named after a person (an enrollment, a membership, a rating).
accounts knows which only through the apps that own them: each answers
``rows_naming_requested`` with the person's rows whose names hold theirs, so accounts
never imports them. Only those rows' names change, as whole names: another person whose
name holds the former one ("Mary Ann Lee" for "Mary Ann") keeps theirs (probe 116).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import Signal

from .models import User

# Sent with ``person``; each receiver returns pairs (row, field): a row whose ``field``
# is the person, saved or rebuilt unsaved for a row deleted since (a group they left),
# whose name (``str``) the back office may have written in its history.
rows_naming_requested = Signal()

# Django writes the rows of a form's inline tables in a change message so.
_ACTIONS = ("added", "changed", "deleted")


def history_rename(*, person_then: User, person: User) -> int:
    """Write PERSON's new name in the history wherever it named their rows by their name
    as it was (PERSON_THEN, a copy of the account before its change). Return the number
    of history entries changed."""
    renamed = _names_of_rows(person_then, person)
    changed: set[int] = set()
    for (content_type, verbose_name, then), now in renamed.items():
        entries = LogEntry.objects.filter(content_type=content_type, object_repr=then)
        changed.update(entries.values_list("pk", flat=True))
        entries.update(object_repr=now)
        # Case-insensitive on SQLite (LIKE): the JSON is read to rename exact names only.
        for entry in LogEntry.objects.filter(change_message__contains=json.dumps(then)):
            if _rename_in_message(entry, verbose_name, then, now):
                changed.add(entry.pk)
    return len(changed)


def _names_of_rows(person_then: User, person: User) -> dict[tuple, str]:
    """(content type, verbose name, name then) → name now, for each row naming PERSON."""
    renamed: dict[tuple, str] = {}
    for _receiver, rows in rows_naming_requested.send(sender=User, person=person):
        for row, field in rows:
            setattr(row, field, person_then)
            then = str(row)
            setattr(row, field, person)
            now = str(row)
            if then != now:
                key = (_content_type(row), str(row._meta.verbose_name), then)
                renamed[key] = now
    return renamed


def _content_type(row: models.Model) -> ContentType:
    return ContentType.objects.get_for_model(row, for_concrete_model=False)


def _rename_in_message(entry: LogEntry, verbose_name: str, then: str, now: str) -> bool:
    try:
        message = json.loads(entry.change_message)
    except ValueError:
        return False  # a message written as words, as before Django 1.10: none here
    if not isinstance(message, list):
        return False
    found = False
    for said in _named_objects(message):
        if said.get("name") == verbose_name and said.get("object") == then:
            said["object"] = now
            found = True
    if found:
        entry.change_message = json.dumps(message)  # as Django writes it
        entry.save(update_fields=["change_message"])
    return found


def _named_objects(message: list) -> Iterable[dict]:
    for item in message:
        if isinstance(item, dict):
            for action in _ACTIONS:
                said = item.get(action)
                if isinstance(said, dict):
                    yield said
