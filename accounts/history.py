"""The back office's history, once a person it names is anonymised.

django.contrib.admin keeps, for each change made in the back office, the changed row's
name as it was (``LogEntry.object_repr``) and, for the rows of a form's inline tables,
their names in the change message of the form's object ("Added group membership “Sam
Student in Team Gamma”"). Many rows are named after a person (an enrollment, a
membership, a rating). accounts knows which only through the apps that own them: each
answers ``rows_naming_requested`` with the person's rows, so accounts never imports them.

Only the entries about those rows change: an entry about the row itself, or about a row
deleted since that had the same name (a removed enrollment, an answer deleted), and the
change messages of the object whose form listed it (the group). Another person, even of
the same name, keeps theirs elsewhere (probe 119: matched by name alone, it renamed a
namesake's enrollments in another course); so does a name merely holding the former one
("Mary Ann Lee" for "Mary Ann": probe 116).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import CharField, Model
from django.db.models.functions import Cast
from django.dispatch import Signal

from .models import User

# Sent with ``person``; each receiver returns the person's rows as NamedRow.
rows_naming_requested = Signal()

# Django writes the rows of a form's inline tables in a change message so.
_ACTIONS = ("added", "changed", "deleted")


@dataclass(frozen=True)
class NamedRow:
    """A row of the person's whose name (``str``) may be in the history: saved, or
    rebuilt for a row deleted since (its pk None if unknown)."""

    row: Model
    field: str  # the row's foreign key to the person
    within: Model | None = None  # the object whose form lists it in an inline table


@dataclass(frozen=True)
class _Renamed:
    content_type: ContentType
    pk: str | None
    verbose_name: str
    then: str
    now: str
    within: tuple[int, str] | None  # the form's object: (content type id, pk)


def history_rename(*, person_then: User, person: User) -> int:
    """Write PERSON's new name in the history wherever it named their rows by their name
    as it was (PERSON_THEN, a copy of the account before its change). Return the number
    of history entries changed. A few queries per kind of row, whatever their number."""
    renamed = list(_names_of_rows(person_then, person))
    changed = _rename_rows(renamed) | _rename_in_messages(renamed)
    return len(changed)


def _names_of_rows(person_then: User, person: User) -> Iterable[_Renamed]:
    for _receiver, rows in rows_naming_requested.send(sender=User, person=person):
        for named in rows:
            row = named.row
            try:
                setattr(row, named.field, person_then)
                then = str(row)
                setattr(row, named.field, person)
                now = str(row)
            except ObjectDoesNotExist:  # a row rebuilt from a history whose parts are gone
                continue
            if then == now:
                continue
            within = None
            if named.within is not None:
                within = (_content_type(named.within).pk, str(named.within.pk))
            pk = None if row.pk is None else str(row.pk)
            yield _Renamed(_content_type(row), pk, str(row._meta.verbose_name), then, now, within)


def _content_type(row: Model) -> ContentType:
    return ContentType.objects.get_for_model(row, for_concrete_model=False)


def _rename_rows(renamed: list[_Renamed]) -> set[int]:
    """Rename the entries about each row (by its id), and those about rows of its kind
    deleted since with its name (an enrollment removed and made again has a new id)."""
    by_type: dict[ContentType, list[_Renamed]] = defaultdict(list)
    for item in renamed:
        by_type[item.content_type].append(item)
    changed: dict[int, LogEntry] = {}
    for content_type, items in by_type.items():
        by_pk = {item.pk: item for item in items if item.pk is not None}
        by_name = {item.then: item.now for item in items}
        entries = LogEntry.objects.filter(content_type=content_type)
        for entry in entries.filter(object_id__in=list(by_pk)):
            if entry.object_repr == by_pk[entry.object_id].then:
                entry.object_repr = by_pk[entry.object_id].now
                changed[entry.pk] = entry
        model = content_type.model_class()
        existing = model._base_manager.annotate(text=Cast("pk", CharField())).values("text")
        gone = entries.filter(object_repr__in=list(by_name)).exclude(object_id__in=existing)
        for entry in gone:
            entry.object_repr = by_name[entry.object_repr]
            changed[entry.pk] = entry
    LogEntry.objects.bulk_update(changed.values(), ["object_repr"])
    return set(changed)


def _rename_in_messages(renamed: list[_Renamed]) -> set[int]:
    """Rename the person's rows in the change messages of the objects whose forms list
    them (a group's "Added group membership “…”")."""
    by_object: dict[tuple[int, str], list[_Renamed]] = defaultdict(list)
    for item in renamed:
        if item.within is not None:
            by_object[item.within].append(item)
    by_type: dict[int, set[str]] = defaultdict(set)
    for type_id, pk in by_object:
        by_type[type_id].add(pk)
    changed = []
    for type_id, pks in by_type.items():
        for entry in LogEntry.objects.filter(content_type_id=type_id, object_id__in=pks):
            items = by_object[(type_id, entry.object_id)]
            if _rename_in_message(entry, items):
                changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["change_message"])
    return {entry.pk for entry in changed}


def _rename_in_message(entry: LogEntry, items: list[_Renamed]) -> bool:
    try:
        message = json.loads(entry.change_message)
    except ValueError:
        return False  # a message written as words, as before Django 1.10: none here
    if not isinstance(message, list):
        return False
    names = {(item.verbose_name, item.then): item.now for item in items}
    found = False
    for said in _named_objects(message):
        name, text = said.get("name"), said.get("object")
        now = names.get((name, text)) if isinstance(name, str) and isinstance(text, str) else None
        if now is not None:
            said["object"] = now
            found = True
    if found:
        entry.change_message = json.dumps(message)  # as Django writes it
    return found


def _named_objects(message: list) -> Iterable[dict]:
    for item in message:
        if isinstance(item, dict):
            for action in _ACTIONS:
                said = item.get(action)
                if isinstance(said, dict):
                    yield said
