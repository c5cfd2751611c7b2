"""``in`` over integers (coursesite/lookups.py) gives the ORM's answer on every database.

On PostgreSQL it sends its values as one array (``= ANY(%s)``), so that a statement is
the same whatever the number of values: the tests check that the rows are those of
Django's ``IN (...)`` in every form the site uses, and that the SQL does not grow.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.models import Course, Module
from lessons.tests.factories import CourseFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def modules():
    web, other = CourseFactory(slug="web"), CourseFactory(slug="other")
    return web, other, [ModuleFactory(course=web) for _ in range(3)] + [ModuleFactory(course=other)]


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_in_answers_as_the_orm_always_did(modules, django_assert_num_queries):
    web, other, (first, second, third, elsewhere) = modules
    everyone = {first.pk, second.pk, third.pk, elsewhere.pk}
    # Repeats, None and ids no row can have change nothing.
    assert pks(Module.objects.filter(pk__in=[first.pk, first.pk, None, second.pk])) == {
        first.pk,
        second.pk,
    }
    assert pks(Module.objects.filter(pk__in=[first.pk, 2**63, -(2**63) - 1])) == {first.pk}
    # Relations by id, by instance and by subquery.
    assert pks(Module.objects.filter(course_id__in=[other.pk])) == {elsewhere.pk}
    assert pks(Module.objects.filter(course__in=[web])) == {first.pk, second.pk, third.pk}
    assert pks(Module.objects.filter(course__in=Course.objects.filter(slug="other"))) == {
        elsewhere.pk
    }
    # Negated, and joined to another condition.
    assert pks(Module.objects.exclude(pk__in=[first.pk, None])) == everyone - {first.pk}
    assert pks(Module.objects.filter(pk__in=[first.pk, elsewhere.pk], course=web)) == {first.pk}
    # Many values: a page of students' ids, a whole course's.
    many = list(range(10_000, 11_000)) + [third.pk]
    assert pks(Module.objects.filter(pk__in=many)) == {third.pk}
    with django_assert_num_queries(0):  # nothing to match: no query at all
        assert not Module.objects.filter(pk__in=[]).exists()
        assert not Module.objects.filter(pk__in=[None, 2**70]).exists()


def test_a_statement_is_the_same_whatever_the_number_of_values(modules):
    """PostgreSQL gets one array parameter; psycopg converts a statement once and caches
    none with more than 50 parameters, which made a page of 100 students' marks
    re-parse its SQL on every run (docs/performance.md). SQLite keeps ``IN (...)``."""
    _web, _other, (first, *_rest) = modules
    with CaptureQueriesContext(connection) as queries:
        for count in (1, 2, 100, 1000):
            ids = [first.pk, *range(10_000, 10_000 + count - 1)]
            assert pks(Module.objects.filter(pk__in=ids)) == {first.pk}
    statements = [query["sql"] for query in queries]
    assert len(statements) == 4
    if connection.vendor == "postgresql":
        assert all("= ANY(" in sql and " IN (" not in sql for sql in statements)
    else:
        # One placeholder per value: the statements grow with the list.
        assert len(statements[3]) > len(statements[2]) > len(statements[0])
