"""The grading back office: rubric inlines, the round-robin action, the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Review

from .factories import add_group

pytestmark = pytest.mark.django_db


def test_instructors_edit_the_rubric_with_criteria_inline(client, world, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:grading_rubric_change", args=[world.rubric.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Correctness" in html and "criteria-TOTAL_FORMS" in html
    response = client.get(reverse("admin:grading_criterion_change", args=[world.correctness.pk]))
    assert "Excellent" in response.content.decode()  # levels inline on the criterion


def test_round_robin_admin_action(client, world, alice):
    add_group(world.assignment, [UserFactory()], name="Fresh")
    client.force_login(alice)
    response = client.post(
        reverse("admin:grading_rubric_changelist"),
        {"action": "assign_round_robin", "_selected_action": [world.rubric.pk]},
        follow=True,
    )
    assert "1 submission(s) assigned" in response.content.decode()
    assert Review.objects.count() == 2


def test_manual_assignment_in_the_admin_checks_the_grader(client, world, alice, charlie):
    group, _ = add_group(world.assignment, [UserFactory()], name="Manual")
    client.force_login(alice)
    url = reverse("admin:grading_review_add")
    response = client.post(url, {"group": group.pk, "grader": charlie.pk})
    assert "not a grader or instructor" in response.content.decode()
    response = client.post(url, {"group": group.pk, "grader": world.review.grader.pk})
    assert response.status_code == 302
    assert Review.objects.get(group=group).submission.group == group


def test_score_changes_are_in_the_history(client, world, alice, grace):
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(5), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="",
    )
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(9), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="",
        complete=True,
    )
    client.force_login(alice)
    response = client.get(reverse("admin:grading_review_history", args=[world.review.pk]))
    assert response.status_code == 200
    assert "completed" in response.content.decode()
    score = world.review.scores.get(criterion=world.correctness)
    history = list(score.history.order_by("history_date"))
    assert [h.points for h in history] == [5, 9]
    assert {h.history_user for h in history} == {grace}
    assert world.review.history.latest().history_user == grace
    response = client.get(reverse("admin:grading_criterionscore_history", args=[score.pk]))
    assert response.status_code == 200


def test_graders_and_students_stay_out_of_the_admin(client, world, grace, bob):
    for user in (grace, bob):
        client.force_login(user)
        response = client.get(reverse("admin:grading_review_changelist"))
        assert response.status_code == 302


def test_an_unfinished_review_changes_grader_in_the_admin(client, world, alice):
    from accounts.models import Role
    from accounts.tests.factories import GraderFactory

    from .factories import enroll

    gina = enroll(GraderFactory(username="gina"), world.course, Role.GRADER)
    client.force_login(alice)
    url = reverse("admin:grading_review_change", args=[world.review.pk])
    response = client.post(
        url,
        {
            "grader": gina.pk,
            **{
                f"{prefix}-{key}": value
                for prefix in ("scores", "line_comments")
                for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.review.refresh_from_db()
    assert world.review.grader == gina
