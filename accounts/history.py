"""The back office's history, once a person it names is anonymised.

django.contrib.admin keeps, for each change made in the back office, the changed row's
name as it was (``LogEntry.object_repr``) and, for the rows of a form's inline tables,
their names in the change message of the form's object ("Added group membership “Sam
Student in Team Gamma”"). Many rows are named after a person (an enrollment, a
membership, a rating). accounts knows which only through the apps that own them: each
answers ``rows_naming_requested`` with the person's rows, so accounts never imports them.

Only the entries about those rows change: an entry about the row itself (found by its id,
deleted rows too when their app keeps their history), the change messages of the object
whose form listed it (the group), and, when no other account bears the person's name,
an entry about a row deleted since that nothing else ties to them than that name (an
answer "Name · question · wrong", an enrollment of a course they were removed from).
Another person, even of the same name, keeps theirs (probe 119: matched by name alone, it
renamed a namesake's enrollments in another course; probe 120); so does a name merely
holding the former one ("Mary Ann Lee" for "Mary Ann": probe 116).

An entry about one of the person's rows may have been written before the row's other parts
changed (the enrollment's role, the group's name, the course's title) or under a name the
person had before (the back office's history of their account keeps it): there the
person's names are replaced where the row's name puts the person, and only there (probe
122: matched against the row's name as it is now, such entries kept the person's name).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q
from django.dispatch import Signal

from .models import User

# Sent with ``person``; each receiver returns the person's rows as NamedRow.
rows_naming_requested = Signal()

# Django writes the rows of a form's inline tables in a change message so.
_ACTIONS = ("added", "changed", "deleted")

# Stands for the person in a row's name, to find where the name puts them.
_MARK = "\ue000"

# Entries written back at once: one CASE over 40,000 grew quadratic (29 s: probe 127).
_BATCH = 500


@dataclass(frozen=True)
class NamedRow:
    """A row of the person's whose name (``str``) may be in the history: saved, or
    rebuilt for a row deleted since (its pk None if unknown)."""

    row: Model
    field: str | tuple[str, ...]  # the row's foreign keys to the person
    within: Model | None = None  # the object whose form lists it in an inline table
    # The other people (ids) whose rows the WITHIN form lists beside it (the group's
    # other members): where a name of theirs, now or before, fits a change message as
    # well, it is not taken for the person's (probe 128). A row whose person never
    # changes names only them in its own entries (probe 129).
    beside: tuple[int, ...] = ()
    # For a row whose person changes (a review handed over): whether it was the person's
    # at a moment, from its own history. An entry written while it was another's is
    # theirs, whatever they were called (probe 131: renamed since on their profile,
    # which the back office's history does not record, their entry was taken).
    theirs_at: Callable[[datetime], bool] | None = None


@dataclass(frozen=True)
class _Renamed:
    content_type: ContentType
    pk: str | None
    verbose_name: str
    then: str
    now: str
    within: tuple[int, str] | None  # the form's object: (content type id, pk)
    template: str  # the row's name with _MARK for the person
    beside: tuple[int, ...]
    theirs_at: Callable[[datetime], bool] | None


class _Names:
    """The names the person was known by in the history, and how to replace them in a
    name written when the row's other parts were different."""

    def __init__(self, former: Iterable[str], now: str):
        self.now = now
        # The longest first, so that "Bob Student" is replaced whole, not its "Bob".
        names = sorted({name for name in former if name.strip() and name != now}, key=len)
        self.either = "|".join(re.escape(name) for name in reversed(names)) or "(?!)"

    def replaced(self, text: str, template: str, others: tuple[str, ...] = ()) -> str:
        """TEXT with the person's former names where TEMPLATE (the row's name with _MARK
        for the person) puts them, and only between what the template has on each side
        of them: "Review of X by Lee" is Lee's, "… by Mary Lee" is not (probe 127), "Lee
        in Team" is, "Lee Ingram in Team" is not; nor where the name of one of OTHERS
        fits as well (another member's "Sophie in 't Veld in Team": probe 128)."""
        pieces = template.split(_MARK)
        for index in range(len(pieces) - 1):
            before = _context_before(pieces[index], first=index == 0)
            after = _context_after(pieces[index + 1], last=index == len(pieces) - 2)
            found = re.compile(f"({before})((?:{self.either}))(?={after})")
            text = found.sub(partial(self._rename, after=re.compile(after), others=others), text)
        return text

    def _rename(self, match: re.Match, *, after: re.Pattern, others: tuple[str, ...]) -> str:
        start, name, text = match.end(1), match[2], match.string
        for other in others:
            fits = len(other) >= len(name) and text.startswith(other, start)
            if fits and after.match(text, start + len(other)):
                return match[0]  # theirs as well as the person's: not taken
        return match[1] + self.now


def _context_before(piece: str, *, first: bool) -> str:
    """A pattern for what stands before the person in a name whose template has PIECE
    there: the start of the text, or its last separator, with the word before it when
    the separator is only a space ("by ", "rated "), a literal of the model's name."""
    if first and not piece:
        return r"\A"
    found = re.search(r"(\w+)?(\W+)\Z", piece)
    if found is None:
        return r"(?<!\w)"
    if found[2].strip() or found[1] is None:
        return re.escape(found[2])
    return r"(?<!\w)" + re.escape(found[1] + found[2])


def _context_after(piece: str, *, last: bool) -> str:
    """As ``_context_before``, for what follows the person (" in ", " · ", ": ")."""
    if last and not piece:
        return r"\Z"
    found = re.match(r"(\W+)(\w+)?", piece)
    if found is None:
        return r"(?!\w)"
    if found[1].strip() or found[2] is None:
        return re.escape(found[1])
    return re.escape(found[1] + found[2]) + r"(?!\w)"


def history_rename(*, person_then: User, person: User) -> int:
    """Write PERSON's new name in the history wherever it named their rows by their name
    as it was (PERSON_THEN, a copy of the account before its change). Return the number
    of history entries changed. A few queries per kind of row, whatever their number."""
    renamed = list(_names_of_rows(person_then, person))
    # The person's names and the other people's, in one read: the back office's history
    # of an account keeps the names it had before a rename.
    people = {person.pk, *(pk for item in renamed for pk in item.beside)}
    names_of = _names_of_people(people)
    names = _Names([str(person_then), *names_of.get(person.pk, ())], str(person))
    changed = _rename_rows(renamed, names)
    if _name_is_theirs_alone(person_then):
        changed |= _rename_gone_rows(renamed, str(person_then), str(person), changed)
    return len(changed | _rename_in_messages(renamed, names, names_of))


def _names_of_people(ids) -> dict[int, list[str]]:
    """{account id: its names, as it is and as the back office's history of it wrote
    them before}, two queries whatever their number (probe 129: a teammate renamed since
    was not seen under the name an entry gives them)."""
    ids = list(ids)
    names: dict[int, set[str]] = {}
    for pk, *parts in User.objects.filter(pk__in=ids).values_list(
        "pk", "display_name", "first_name", "last_name", "username"
    ):
        names.setdefault(pk, set()).add(User.name_of(*parts))
    for object_id, name in LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id__in=map(str, ids)
    ).values_list("object_id", "object_repr"):
        if object_id.isdigit():
            names.setdefault(int(object_id), set()).add(name)
    return {pk: sorted(found) for pk, found in names.items()}


def _names_given(ids: tuple[int, ...], names_of: dict[int, list[str]]) -> tuple[str, ...]:
    return tuple(name for pk in ids for name in names_of.get(pk, ()) if name)


def _names_of_rows(person_then: User, person: User) -> Iterable[_Renamed]:
    marked = User(display_name=_MARK)
    for _receiver, rows in rows_naming_requested.send(sender=User, person=person):
        for named in rows:
            row = named.row
            fields = (named.field,) if isinstance(named.field, str) else named.field
            try:
                then, template, now = (
                    _name_with(row, fields, who) for who in (person_then, marked, person)
                )
            except ObjectDoesNotExist:  # a row rebuilt from a history whose parts are gone
                continue
            if then == now:
                continue
            within = None
            if named.within is not None:
                within = (_content_type(named.within).pk, str(named.within.pk))
            pk = None if row.pk is None else str(row.pk)
            verbose_name = str(row._meta.verbose_name)
            yield _Renamed(
                _content_type(row),
                pk,
                verbose_name,
                then,
                now,
                within,
                template,
                named.beside,
                named.theirs_at,
            )


def _name_with(row: Model, fields: tuple[str, ...], person: User) -> str:
    for field in fields:
        setattr(row, field, person)
    return str(row)


def _content_type(row: Model) -> ContentType:
    return ContentType.objects.get_for_model(row, for_concrete_model=False)


def _rename_rows(renamed: list[_Renamed], names: _Names) -> set[int]:
    """Rename the entries about each of the person's rows, found by its id (those since
    deleted too, when their app keeps their history), written under the row's name as it
    is or as it was."""
    by_type: dict[ContentType, dict[str, _Renamed]] = defaultdict(dict)
    for item in renamed:
        if item.pk is not None:
            by_type[item.content_type][item.pk] = item
    changed = []
    for content_type, by_pk in by_type.items():
        entries = LogEntry.objects.filter(content_type=content_type, object_id__in=list(by_pk))
        for entry in entries:
            item = by_pk[entry.object_id]
            if item.theirs_at is not None and not item.theirs_at(entry.action_time):
                continue  # written while the row was another's
            if entry.object_repr == item.then:
                entry.object_repr = item.now
            else:
                renamed_repr = names.replaced(entry.object_repr, item.template)
                if renamed_repr == entry.object_repr:
                    continue  # nothing of theirs in it
                entry.object_repr = renamed_repr[
                    : LogEntry._meta.get_field("object_repr").max_length
                ]
            changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["object_repr"], batch_size=_BATCH)
    return {entry.pk for entry in changed}


def _name_is_theirs_alone(person_then: User) -> bool:
    """Whether no other account is named as PERSON_THEN was: a row deleted since, of
    which nothing is left but its name in the history, is then theirs (probe 120: a
    namesake's deleted answer and enrollment took the pseudonym)."""
    name = str(person_then)
    words = name.split()
    # Any account whose str() could be the name, told in Python: spaces around a first
    # or last name are not in str() (probe 122: " Noor" was not seen as a Noor).
    could_be = Q(display_name=name) | Q(display_name="", username=name)
    if words:
        could_be |= Q(display_name="", first_name__contains=words[0])
        could_be |= Q(display_name="", last_name__contains=words[-1])
    alike = User.objects.exclude(pk=person_then.pk).filter(could_be)
    return not any(str(user) == name for user in alike)


def _rename_gone_rows(renamed: list[_Renamed], former: str, now: str, done: set[int]) -> set[int]:
    """Rename the entries about rows deleted since that were named after the person: as
    one of their rows an app rebuilt (an enrollment of a course they were removed from),
    or beginning with their name the way their kinds of rows do ("Name · question ·
    right", an answer deleted: probe 120)."""
    prefix = f"{former} · "
    exact = {(item.content_type.pk, item.then): item.now for item in renamed if item.pk is None}
    entries = LogEntry.objects.exclude(pk__in=done).filter(
        Q(object_repr__startswith=prefix) | Q(object_repr__in=[then for _type, then in exact])
    )
    by_type: dict[int, list[LogEntry]] = defaultdict(list)
    for entry in entries:
        if entry.content_type_id is not None:  # of a kind since removed (probe 122: a 500)
            by_type[entry.content_type_id].append(entry)
    changed = []
    for type_id, found in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        existing = {
            str(pk)
            for pk in model._base_manager.filter(
                pk__in=[
                    e.object_id for e in found if e.object_id.isascii() and e.object_id.isdigit()
                ]
            ).values_list("pk", flat=True)
        }
        for entry in found:
            if entry.object_id in existing:
                continue  # a row of someone else's now: not the person's
            if (type_id, entry.object_repr) in exact:
                entry.object_repr = exact[(type_id, entry.object_repr)]
            elif entry.object_repr.startswith(prefix):
                entry.object_repr = f"{now} · {entry.object_repr[len(prefix) :]}"
            else:
                continue
            changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["object_repr"], batch_size=_BATCH)
    return {entry.pk for entry in changed}


def _rename_in_messages(
    renamed: list[_Renamed], names: _Names, names_of: dict[int, list[str]]
) -> set[int]:
    """Rename the person's rows in the change messages of the objects whose forms list
    them (a group's "Added group membership “…”")."""
    by_object: dict[tuple[int, str], list[_Renamed]] = defaultdict(list)
    for item in renamed:
        if item.within is not None:
            by_object[item.within].append(item)
    by_type: dict[int, set[str]] = defaultdict(set)
    for type_id, pk in by_object:
        by_type[type_id].add(pk)
    said_of = {key: _FormRows(items, names_of) for key, items in by_object.items()}
    changed = []
    for type_id, pks in by_type.items():
        for entry in LogEntry.objects.filter(content_type_id=type_id, object_id__in=pks):
            if _rename_in_message(entry, said_of[(type_id, entry.object_id)], names):
                changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["change_message"], batch_size=_BATCH)
    return {entry.pk for entry in changed}


class _FormRows:
    """What an object's form listed of the person's rows, by kind (verbose name): their
    names now and as they were, their templates, and the names of the other people of
    the rows of that kind (the group's other members)."""

    def __init__(self, items: list[_Renamed], names_of: dict[int, list[str]]):
        self.exact = {(item.verbose_name, item.then): item.now for item in items}
        self.templates = {item.verbose_name: item.template for item in items}
        self.others = {item.verbose_name: _names_given(item.beside, names_of) for item in items}


def _rename_in_message(entry: LogEntry, rows: _FormRows, names: _Names) -> bool:
    try:
        message = json.loads(entry.change_message)
    except ValueError:
        return False  # a message written as words, as before Django 1.10: none here
    if not isinstance(message, list):
        return False
    found = False
    for said in _named_objects(message):
        kind, text = said.get("name"), said.get("object")
        if not (isinstance(kind, str) and isinstance(text, str)) or kind not in rows.templates:
            continue
        # As the row was named then: the group since renamed, a former name of theirs.
        now = rows.exact.get((kind, text)) or names.replaced(
            text, rows.templates[kind], rows.others[kind]
        )
        if now != text:
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
