"""Querysets compiled to SQL once per connection, then run with new values.

Django compiles a queryset to SQL every time it is evaluated: about 0.4 ms of Python
for a one-table filter on the benchmark machine, ten times what SQLite or a local
PostgreSQL take to answer it, and the largest share of building a student's page
(docs/performance.md). The reads every page repeats with other ids (the person's
enrollments, completions, answers, group) are written here as ordinary querysets and
compiled once; later calls put the new values into the same SQL.

    @prepared
    def completed_lesson_ids(user_id: int, course_id: int):
        return LessonCompletion.objects.filter(
            user_id=user_id, lesson__module__course_id=course_id
        ).values_list("lesson_id", flat=True)

    completed_lesson_ids(user_id=9, course_id=1)  # -> [3, 4, 7]

The builder takes keyword parameters annotated ``int``, ``str`` or ``list[int]`` (for
``__in``: compiled once per length of the list, repeats dropped; one array parameter
on PostgreSQL, see coursesite/lookups.py) and returns a
``values_list()`` (tuples, ``flat=True`` or ``named=True`` honoured), a ``values()``
(dicts) or a model queryset (instances, with ``select_related``, ``only`` and
annotations as Django builds them; no ``prefetch_related``). It is called
once per connection with placeholder values, which must reach the SQL unchanged: a
lookup that rewrites its value (``contains``, ``startswith``, dates) is refused when
the query is compiled, so a wrong query fails in the first test that runs it. Queries
go through Django's cursor: they are counted by ``assertNumQueries``, logged, and take
part in transactions like any other.

``completed_ids.page(offset=100, limit=50, user_id=9, course_id=1)`` runs the same SQL
for one page of the rows (``LIMIT``/``OFFSET`` written into it, as Django's ``Paginator``
would slice the queryset); ``Paginator(PreparedPages(query, count,
**values), 50)`` pages through them.

``@prepared_update`` does the same for an UPDATE a page makes on every visit: its
builder returns the queryset and the changes ``queryset.update()`` would take.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, transaction
from django.db.models import Model, QuerySet, Value
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql import UpdateQuery

# Placeholder values unlikely to be any other parameter of a query (a page size, a
# boolean compares equal to 0/1, so small numbers would be ambiguous).
_INT_PLACEHOLDER = 1_987_654_000
_STR_PLACEHOLDER = "\x1fprepared:{}\x1f"
# Element I of list parameter K is _LIST_PLACEHOLDER + K * _LIST_MAX + I.
_LIST_PLACEHOLDER = 1_876_000_000
_LIST_MAX = 100_000
_VARIANTS_KEPT = 256  # compiled variants per query and connection
# Where a connection keeps the queries compiled for it: on the connection object itself,
# so that they die with it. A compiled query holds its compiler (and converters), which
# hold the connection, so a cache keyed by connection anywhere else, even a
# WeakKeyDictionary, would keep every connection alive with its open files: the
# development server opens one per request thread, and leaked them until "Too many open
# files" after a few thousand requests.
_COMPILED_ATTRIBUTE = "_coursesite_prepared"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, str, int | None], ...]  # (position, parameter, list index)
    compiler: object
    converters: dict
    shape: Callable[[list], list]
    sliced: bool = False  # the builder sliced the queryset: no further page of it


class prepared:  # noqa: N801 - used as a decorator, like functools.cached_property
    """Compile the queryset BUILD returns once per connection; call with new values.

    VARIANT, for builders that also take a model instance (the viewing user, whose
    access the policy writes into the query): the query is compiled once per connection
    and per ``VARIANT(instance)``, which must name everything the builder reads of the
    instance besides its id (see ``prepared_per``).
    """

    def __init__(self, build: Callable[..., QuerySet], *, variant: Callable | None = None):
        functools.update_wrapper(self, build)
        self.build = build
        self.variant = variant
        self.kinds = _parameter_kinds(build, instances_allowed=variant is not None)
        self._lock = threading.Lock()

    def __call__(self, **values) -> list:
        compiled, params = self._prepare(values)
        return self._run(compiled, compiled.sql, params)

    def page(self, *, offset: int, limit: int, **values) -> list:
        """Return LIMIT rows from OFFSET: one page of what the call would return."""
        for name, number in (("offset", offset), ("limit", limit)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise TypeError(f"{self.__name__}.page(): {name} must be an int >= 0")
        compiled, params = self._prepare(values)
        if compiled.sliced:
            raise ImproperlyConfigured(f"{self.__name__}: a sliced queryset has no pages")
        # The numbers in the SQL, as Django writes a slice (checked ints above): a page
        # is then its own statement, planned for the rows it wants. With parameters
        # PostgreSQL planned the gradebook's page for an unknown number of rows and
        # sorted all 10,000 students for each one (17 ms) instead of walking the name
        # index for page 1 (0.5 ms).
        return self._run(compiled, f"{compiled.sql} LIMIT {limit:d} OFFSET {offset:d}", params)

    def _prepare(self, values: dict) -> tuple[_Compiled, list]:
        """Check VALUES; return the query compiled for their variant, and its parameters."""
        if values.keys() != self.kinds.keys():
            raise TypeError(f"{self.__name__}() takes {', '.join(self.kinds)}; got {values}")
        for name, kind in self.kinds.items():
            value = values[name]
            if kind is Model:
                if not isinstance(value, Model) or not isinstance(value.pk, int):
                    raise TypeError(f"{self.__name__}(): {name} must be a saved model instance")
            elif kind is list:
                if not isinstance(value, list | tuple | set | frozenset) or any(
                    not isinstance(item, int) or isinstance(item, bool) for item in value
                ):
                    raise TypeError(f"{self.__name__}(): {name} must be a list of ints")
                # As Django's __in does: each value once, in order.
                values[name] = list(dict.fromkeys(value))
                if len(values[name]) >= _LIST_MAX:
                    raise ValueError(f"{self.__name__}(): {name} has too many values")
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(f"{self.__name__}(): {name} must be {kind.__name__}")
        key = tuple(len(values[name]) for name, kind in self.kinds.items() if kind is list)
        if self.variant is not None:
            key += tuple(
                self.variant(values[name]) for name, kind in self.kinds.items() if kind is Model
            )
        connection = connections["default"]
        compiled_here = connection.__dict__.get(_COMPILED_ATTRIBUTE)
        if compiled_here is None:
            compiled_here = connection.__dict__.setdefault(_COMPILED_ATTRIBUTE, {})
        variants = compiled_here.get(self)
        compiled = variants.get(key) if variants is not None else None
        if compiled is None:
            with self._lock:
                variants = compiled_here.setdefault(self, {})
                if len(variants) >= _VARIANTS_KEPT:
                    variants.clear()
                compiled = variants[key] = self._compile(connection, values)
        params = list(compiled.params)
        for position, name, index in compiled.slots:
            value = values[name]
            if index is not None:
                value = value[index]
            params[position] = value.pk if self.kinds[name] is Model else value
        return compiled, params

    @staticmethod
    def _run(compiled: _Compiled, sql: str, params: list) -> list:
        if not compiled.sql:
            return []
        connection = connections["default"]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        return compiled.shape(rows)

    def _compile(self, connection, values: dict) -> _Compiled:
        placeholders = self._placeholders(values)
        queryset = self.build(**placeholders)
        if queryset._prefetch_related_lookups:
            raise ImproperlyConfigured(f"{self.__name__}: prefetch_related cannot be prepared")
        if queryset.db != connection.alias:
            raise ImproperlyConfigured(f"{self.__name__}: only the default database is prepared")
        compiler = queryset.query.get_compiler(using=connection.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that can match nothing (``pk__in=[]``)
            return _Compiled("", (), (), compiler, {}, lambda rows: [])
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=self._slots(placeholders, params),
            compiler=compiler,
            converters=compiler.get_converters(fields),
            shape=_shape(self.__name__, queryset, compiler),
            sliced=queryset.query.is_sliced,
        )

    def _placeholders(self, values: dict) -> dict:
        """Return a stand-in for each value: what the builder gets, to find in the SQL."""
        placeholders = {}
        for number, (name, kind) in enumerate(self.kinds.items()):
            if kind is int:
                placeholders[name] = _INT_PLACEHOLDER + number
            elif kind is str:
                placeholders[name] = _STR_PLACEHOLDER.format(name)
            elif kind is list:
                start = _LIST_PLACEHOLDER + number * _LIST_MAX
                placeholders[name] = list(range(start, start + len(values[name])))
            else:
                # A copy of the instance whose id is the placeholder: the builder reads
                # what it has loaded (the variant), the SQL gets its id as a parameter.
                stand_in = copy.copy(values[name])
                stand_in.pk = _INT_PLACEHOLDER + number
                placeholders[name] = stand_in
        return placeholders

    def _slots(self, placeholders: dict, params) -> tuple[tuple[int, str, int | None], ...]:
        """Return where each value goes among the compiled query's PARAMS."""
        wanted = {}  # placeholder -> (parameter, list index)
        whole_lists = {}  # a list's placeholders -> parameter (PostgreSQL's ``= ANY(%s)``)
        for name, placeholder in placeholders.items():
            if isinstance(placeholder, list):
                wanted.update({item: (name, index) for index, item in enumerate(placeholder)})
                whole_lists[tuple(placeholder)] = name
            else:
                value = placeholder.pk if isinstance(placeholder, Model) else placeholder
                wanted[value] = (name, None)
        slots = []
        found = set()
        for position, param in enumerate(params):
            if type(param) in (int, str) and param in wanted:
                slots.append((position, *wanted[param]))
                found.add(wanted[param])
            elif type(param) is list and tuple(param) in whole_lists:
                name = whole_lists[tuple(param)]
                slots.append((position, name, None))  # the list itself, as one value
                found.update((name, index) for index in range(len(param)))
        # An instance may reach the SQL through its variant alone (a grader's reviews
        # depend on their courses, not their id); every other value must be in it.
        missing = {
            name
            for name, index in wanted.values()
            if (name, index) not in found and self.kinds[name] is not Model
        }
        if missing:
            raise ImproperlyConfigured(
                f"{self.__name__}: {', '.join(sorted(missing))} do not reach the SQL unchanged"
                " (a lookup that rewrites its value cannot be prepared)"
            )
        return tuple(slots)


class prepared_update(prepared):  # noqa: N801 - a decorator, like prepared
    """Compile the UPDATE that BUILD describes once per connection; call with new values.

    BUILD returns the queryset to update and the changes, what ``queryset.update()``
    takes as keyword arguments; a call returns how many rows it updated. Django's
    ``update()`` builds and compiles its query anew on every call: 0.5 ms of CPU,
    three times the cost of running it (a lesson page's "continue where you left off").
    """

    def __call__(self, **values) -> int:
        compiled, params = self._prepare(values)
        if not compiled.sql:
            return 0
        connection = connections["default"]
        with transaction.mark_for_rollback_on_error(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute(compiled.sql, params)
                return cursor.rowcount

    def page(self, **values):
        raise TypeError(f"{self.__name__}: an UPDATE has no pages")

    def _compile(self, connection, values: dict) -> _Compiled:
        placeholders = self._placeholders(values)
        queryset, changes = self.build(**placeholders)
        query = queryset.query
        if query.is_sliced or query.combinator or query.distinct_fields:
            raise ImproperlyConfigured(f"{self.__name__}: update() refuses this queryset")
        if queryset.db != connection.alias:
            raise ImproperlyConfigured(f"{self.__name__}: only the default database is prepared")
        # What QuerySet.update() does, short of running it.
        query = query.chain(UpdateQuery)
        query.add_update_values(changes)
        if query.related_updates:
            raise ImproperlyConfigured(f"{self.__name__}: changes one table only")
        query.clear_select_clause()
        compiler = query.get_compiler(using=connection.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Compiled("", (), (), compiler, {}, lambda rows: rows)
        slots = self._slots(placeholders, params)
        return _Compiled(sql, tuple(params), slots, compiler, {}, lambda rows: rows)


def aggregate_row(queryset: QuerySet, **aggregates) -> QuerySet:
    """Return QUERYSET's AGGREGATES as a one-row ``values()`` queryset, to prepare.

    ``QuerySet.aggregate()`` runs at once and returns a dict, so it cannot be prepared;
    grouped by a constant (which groups nothing) the same SQL is a queryset of one row.
    """
    return queryset.order_by().annotate(one=Value(1)).values("one").annotate(**aggregates)


class PreparedPages:
    """What Django's Paginator asks of a list, for a prepared QUERY called with VALUES:
    its length (COUNT, counted already) and slices (``QUERY.page``)."""

    def __init__(self, query: prepared, count: int, **values):
        self.query, self._count, self.values = query, count, values

    def count(self) -> int:
        return self._count

    def __getitem__(self, items: slice) -> list:
        start = items.start or 0
        return self.query.page(offset=start, limit=items.stop - start, **self.values)


def prepared_per(variant: Callable) -> Callable[[Callable[..., QuerySet]], prepared]:
    """Like ``@prepared``, for builders that take a model instance besides ints and strs.

        @prepared_per(policy.variant)
        def my_reviews(user: User):
            return policy.scope(user, policy.VIEW, Review.objects.filter(...))

    Compiled once per ``variant(user)``: all students of one course share one SQL, with
    each one's id put in. The instance parameter is annotated with its model.
    """
    return functools.partial(prepared, variant=variant)


def _parameter_kinds(build: Callable, *, instances_allowed: bool) -> dict[str, type]:
    kinds = {}
    for name, parameter in inspect.signature(build).parameters.items():
        kind = {"int": int, "str": str, "list[int]": list, int: int, str: str}.get(
            parameter.annotation, list if parameter.annotation == list[int] else None
        )
        if kind is None and instances_allowed and parameter.annotation is not parameter.empty:
            kind = Model
        if kind is None or parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            raise ImproperlyConfigured(
                f"{build.__name__}: parameter {name} must be annotated int, str or list[int]"
                + (" or with its model" if instances_allowed else "")
            )
        kinds[name] = kind
    return kinds


def _shape(name: str, queryset: QuerySet, compiler) -> Callable[[list], list]:
    """Return how rows become results for QUERYSET's kind (COMPILER has compiled it)."""
    iterable = queryset._iterable_class
    if iterable is FlatValuesListIterable:
        return lambda rows: [row[0] for row in rows]
    if iterable is NamedValuesListIterable:
        row_class = namedtuple("Row", queryset._fields)
        return lambda rows: [row_class._make(row) for row in rows]
    if iterable is ValuesListIterable:
        return lambda rows: [tuple(row) for row in rows]
    if iterable is ValuesIterable:
        # As ValuesIterable names them (aggregates annotated after values() included).
        names = [
            *queryset.query.extra_select,
            *queryset.query.values_select,
            *queryset.query.annotation_select,
        ]
        return lambda rows: [dict(zip(names, row, strict=True)) for row in rows]
    if iterable is ModelIterable:
        return _instances(queryset, compiler)
    raise ImproperlyConfigured(f"{name}: cannot prepare a {iterable.__name__} queryset")


def _instances(queryset: QuerySet, compiler) -> Callable[[list], list]:
    """Build model instances as ModelIterable does: deferred fields, select_related
    relations and annotations included (the compiler's metadata is the same each run)."""
    db = queryset.db
    klass_info = compiler.klass_info
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    fetch_mode = queryset._fetch_mode
    populators = get_related_populators(klass_info, compiler.select, db, fetch_mode)
    annotations = list(compiler.annotation_col_map.items())

    def build(rows):
        objects = []
        peers = []
        for row in rows:
            obj = model.from_db(db, init_list, row[start:end], fetch_mode=fetch_mode)
            if fetch_mode.track_peers:
                peers.append(weakref.ref(obj))
                obj._state.peers = peers
            for populator in populators:
                populator.populate(row, obj)
            for attribute, column in annotations:
                setattr(obj, attribute, row[column])
            objects.append(obj)
        return objects

    return build
