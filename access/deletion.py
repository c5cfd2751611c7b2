"""What a deletion in the back office takes with it, read in a number of queries that
does not grow with the course.

Django's ``get_deleted_objects`` names every row a deletion cascades to: each name and
each permission check read that row's user, lesson and module one by one. A course of
20 students took 4,349 queries (3.5 s) to show its delete page; of 1,000 students,
minutes and gigabytes, for an instructor's click (probe 38). Here the rows' relations
are read in bulk first (one query per relation and kind of row), and past
``LISTED_AT_MOST`` rows the page lists the rows chosen and counts the rest by kind (its
summary), where Django wrote out tens of thousands of lines.

Past that size the rows are not even loaded (probe 50: a course of 5,000 students held
1.8 million rows, and its delete page timed out a worker after 60 s): the deletion's own
collector (``Collector``, which leaves rows nothing hangs on as queries) says what goes,
the rows it leaves as queries are counted in the database, and the policy is asked about
one row of each kind whose back office asks only the course: every row a deletion takes
hangs on the rows chosen, in their course, which the back office's lists and pages
already limit to the courses one teaches.
"""

from __future__ import annotations

from collections import defaultdict
from functools import reduce
from operator import or_

from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.db.models import (
    Model,
    ProtectedError,
    QuerySet,
    RestrictedError,
    prefetch_related_objects,
)
from django.db.models.deletion import Collector
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from . import policy

LISTED_AT_MOST = 200


def deleted_objects(objs, request: HttpRequest, admin_site):
    """Return what Django's ``get_deleted_objects`` does: the rows to show, the count
    per kind, the kinds this user may not delete, and the rows that protect others."""
    if isinstance(objs, QuerySet):
        # A list's "delete selected" passes its rows as the list reads them, with what its
        # columns show joined: 46,000 answers came with their lessons' texts (probe 50).
        objs = objs.select_related(None)
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    using = router.db_for_write(type(objs[0]))
    name = _row_namer(admin_site)
    collector = Collector(using=using, origin=objs)
    try:
        collector.collect(objs)
    except (ProtectedError, RestrictedError) as refused:
        kept = list(getattr(refused, "protected_objects", None) or refused.restricted_objects)
        perms_needed = _refused_kinds(request, admin_site, _by_kind(kept, type), {})
        return [name(obj) for obj in objs[:LISTED_AT_MOST]], {}, perms_needed, _named(kept, name)
    queries = _by_kind(collector.fast_deletes, lambda query: query.model)
    counts = _counts(collector.data, queries)
    if sum(counts.values()) <= LISTED_AT_MOST:
        return _listed(objs, request, admin_site, using, name)
    perms_needed = _refused_kinds(request, admin_site, collector.data, queries)
    _read_relations(type(objs[0]), objs[:LISTED_AT_MOST])  # what their names show
    to_delete = [name(obj) for obj in objs[:LISTED_AT_MOST]]
    if len(objs) > LISTED_AT_MOST:
        to_delete.append(f"… and {len(objs) - LISTED_AT_MOST:,} more of the rows chosen")
    others = sum(counts.values()) - len(objs)
    to_delete.append(f"… and {others:,} rows they hold, counted by kind in the summary above")
    model_count = {model._meta.verbose_name_plural: n for model, n in counts.items() if n}
    return to_delete, model_count, perms_needed, []


def _listed(objs, request, admin_site, using, name):
    """A small deletion, named row by row and nested, as Django's page does."""
    collector = NestedObjects(using=using, origin=objs)
    collector.collect(objs)
    for model, rows in collector.model_objs.items():
        _read_relations(model, list(rows))
    perms_needed: set = set()
    for model, rows in collector.model_objs.items():
        if not admin_site.is_registered(model):
            continue
        model_admin = admin_site.get_model_admin(model)
        if any(not model_admin.has_delete_permission(request, row) for row in rows):
            perms_needed.add(model._meta.verbose_name)
    model_count = {
        model._meta.verbose_name_plural: len(rows) for model, rows in collector.model_objs.items()
    }
    return collector.nested(name), model_count, perms_needed, _named(collector.protected, name)


def _named(rows, name) -> list:
    return [name(obj) for obj in list(rows)[:LISTED_AT_MOST]]


def _by_kind(items, kind_of) -> dict:
    """ITEMS (rows, or queries of rows) grouped by their kind of row."""
    grouped = defaultdict(list)
    for item in items:
        grouped[kind_of(item)].append(item)
    return grouped


def _counts(loaded: dict, queries: dict) -> dict[type[Model], int]:
    """How many rows of each kind a deletion takes: those its collector LOADED, and those
    it left as QUERIES, counted in the database (one query per kind: a row two of its
    queries reach counts once)."""
    counts = {model: len(instances) for model, instances in loaded.items()}
    for model, found in queries.items():
        ids = reduce(or_, (query.values("pk") for query in found[1:]), found[0].values("pk"))
        counts[model] = counts.get(model, 0) + model._base_manager.filter(pk__in=ids).count()
    return counts


def _refused_kinds(request, admin_site, rows: dict, queries: dict) -> set:
    """The kinds of row of a large deletion this user may not delete: ROWS loaded and
    QUERIES of rows, by kind.

    A kind whose back office asks only the course is asked about one of its rows (they
    hang on the rows chosen, in their course); a kind with rules of its own (a completed
    review, a released rubric's criterion...) about each row, read in bulk.
    """
    refused: set = set()
    for model in {*rows, *queries}:
        if not admin_site.is_registered(model):
            continue
        model_admin = admin_site.get_model_admin(model)
        course_only = _asks_only_the_course(model_admin)
        asked = list(rows.get(model, []))[: 1 if course_only else None]
        for query in queries.get(model, []):
            if course_only and asked:
                break
            asked.extend(query[:1] if course_only else query)
        _read_relations(model, asked)
        if any(not model_admin.has_delete_permission(request, row) for row in asked):
            refused.add(model._meta.verbose_name)
    return refused


def _asks_only_the_course(model_admin) -> bool:
    from .backoffice import CourseScopedMixin

    own = type(model_admin).has_delete_permission
    return own is CourseScopedMixin.has_delete_permission


def _row_namer(admin_site):
    """A row as Django's delete page names it: its kind, and a link to it if it has a page."""

    def name(obj: Model) -> str:
        opts = obj._meta
        if admin_site.is_registered(type(obj)):
            try:
                url = reverse(
                    f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    None,
                    (quote(obj.pk),),
                )
            except NoReverseMatch:
                pass
            else:
                return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)
        return f"{capfirst(opts.verbose_name)}: {obj}"

    return name


def _read_relations(model: type[Model], rows: list[Model]) -> None:
    """Read, in bulk, what naming ROWS and asking the policy about them follow: each
    row's forward relations, theirs, and the way to its course."""
    lookups = set()
    for field in model._meta.concrete_fields:
        if not field.many_to_one:
            continue
        lookups.add(field.name)
        for inner in field.related_model._meta.concrete_fields:
            if inner.many_to_one:
                lookups.add(f"{field.name}__{inner.name}")
    path = policy.course_path(model)
    if path and "__" in path:
        lookups.add(path.rsplit("__", 1)[0])
    prefetch_related_objects(rows, *sorted(lookups))
