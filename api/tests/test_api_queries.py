"""Query budgets of the API's lists: the same number of queries for four times the rows.

Each list is read by course A's instructor (with a token, as a script would) over one
course, then again once they teach three more courses built alike; every row is on the
page (page_size=200), so an extra query per row would show.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.tests.tenants import build_tenant
from accounts.models import Role
from lessons.models import Enrollment

from .conftest import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]

LISTS = [
    "/me/progress/",
    "/courses/",
    "/modules/",
    "/lessons/",
    "/enrollments/",
    "/assignments/",
    "/groups/",
    "/memberships/",
    "/submissions/",
    "/reviews/",
    "/line-comments/",
    "/regrades/",
    "/overrides/",
]
PER_COURSE = ["/courses/{id}/progress/", "/courses/{id}/gradebook/"]


def measure(client, url: str) -> tuple[int, int]:
    """Return (queries, rows) of URL, asked a second time (the token's first use is written)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries), response.json()["count"]


def test_lists_do_not_grow_with_their_rows(world, django_assert_max_num_queries):
    a, _, _ = world
    client = token_client(a.instructor)
    urls = [f"/api/v1{path}?page_size=200" for path in LISTS]
    urls += [f"/api/v1{path.format(id=a.course.pk)}?page_size=200" for path in PER_COURSE]
    small = {url: measure(client, url) for url in urls}

    for word in ("Cherry", "Damson", "Elder"):
        more = build_tenant(word)
        Enrollment.objects.create(user=a.instructor, course=more.course, role=Role.INSTRUCTOR)
        # Course A grows too, for the lists of one course.
        for n in range(3):
            student = more.classmate.__class__.objects.create(
                username=f"{word}-{n}", email=f"{word}-{n}@example.org"
            )
            Enrollment.objects.create(user=student, course=a.course, role=Role.STUDENT)

    for url, (queries, rows) in small.items():
        client.get(url)
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        assert response.json()["count"] > rows, f"{url} did not list more rows"
