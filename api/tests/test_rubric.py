"""A script reads a project's rubric: the criteria a review's scores name by id, with
their titles, maxima and levels (probe 79: the scores said `criterion: 1`, and nothing
in the API said what 1 was or what it was out of)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.tests.tenants import build_tenant
from grading.models import Criterion, Level

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_graders_read_the_criteria_the_scores_name():
    a, b = build_tenant("Apple"), build_tenant("Banana")
    url = f"/api/v1/assignments/{a.released.pk}/rubric/"
    rubric = token_client(a.grader).get(url)
    assert rubric.status_code == 200, rubric.content
    data = rubric.json()
    assert data["assignment"] == a.released.pk
    criteria = {c["id"]: c for c in data["criteria"]}
    assert set(criteria) == {a.criterion.pk, a.other_criterion.pk}
    assert criteria[a.criterion.pk]["title"] == a.criterion.title
    assert criteria[a.criterion.pk]["max_points"] == f"{a.criterion.max_points:.2f}"
    # The review's scores name these ids.
    review = token_client(a.grader).get(f"/api/v1/reviews/{a.review_r.pk}/").json()
    assert {score["criterion"] for score in review["scores"]} <= set(criteria)

    for outsider in (a.student, b.instructor, b.grader, a.removed_grader):
        assert token_client(outsider).get(url).status_code in (403, 404), outsider
    assert token_client(a.grader).get(url + "?x=1").status_code == 400


def test_the_rubric_reads_in_constant_queries_whatever_its_size():
    a = build_tenant("Apple")
    url = f"/api/v1/assignments/{a.released.pk}/rubric/"
    api = token_client(a.instructor)

    def queries() -> int:
        api.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    before = queries()
    for order in range(3, 8):
        criterion = Criterion.objects.create(
            rubric=a.rubric, order=order, title=f"Extra {order}", max_points=10
        )
        for points in (10, 5, 0):
            Level.objects.create(criterion=criterion, label=f"L{points}", points=points)
    assert queries() == before
    levels = api.get(url).json()["criteria"][-1]["levels"]
    assert [level["points"] for level in levels] == ["10.00", "5.00", "0.00"]
