"""A student reads each criterion's comment rendered, as the overall feedback is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from grading import services
from lessons.rendering import markdown_to_html

pytestmark = pytest.mark.django_db


def test_criterion_comments_are_rendered_and_sanitised_for_the_student(client, world, alice, bob):
    # They reached students as raw Markdown ("Works **mostly**.") while the overall
    # feedback and the line comments were rendered.
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={
            world.correctness.pk: (Decimal(8), "Works **mostly**.\n\n<script>alert(1)</script>"),
            world.style.pk: (Decimal(4), "Use `snake_case`."),
        },
        overall_feedback="Fine.",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    html = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    table = html[html.index('id="criteria"') : html.index("</table>", html.index('id="criteria"'))]
    assert "Works <strong>mostly</strong>." in table
    assert "**" not in table
    assert "<code>snake_case</code>" in table
    assert "<script" not in table and "alert(1)" not in table  # dropped, not shown
    # The same rendering and sanitiser as the overall feedback's.
    assert markdown_to_html("Use `snake_case`.") in table


def test_scores_read_as_the_grader_wrote_them_and_a_missing_one_as_a_dash(
    client, world, alice, bob
):
    from grading.models import CriterionScore

    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal("7.50"), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="Fine.",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    CriterionScore.objects.filter(criterion=world.style).update(points=None)  # as if unscored
    client.force_login(bob)
    html = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    table = html[html.index('id="criteria"') : html.index("</table>", html.index('id="criteria"'))]
    assert "7.5 / 10" in table and "7.50" not in table
    assert "— / 5" in table
