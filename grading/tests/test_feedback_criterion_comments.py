"""A student reads each criterion's comment rendered, as the overall feedback is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from grading import services
from lessons.rendering import markdown_to_html

from .factories import complete_review

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


def test_the_level_chosen_is_named_with_its_description_and_escaped(client, world, alice, bob):
    # The student read "7 / 10" where the grader had picked "Good"; the rubric's words
    # for that level are what says why.
    good = world.correctness.levels.get(label="Good")
    good.description = "Handles the main cases; <b>edge</b> cases fail."
    good.save()
    services.review_save(
        review=world.review,
        by=world.review.grader,
        # 7 is Correctness's "Good"; Style has no levels, so its 4 names none.
        scores={world.correctness.pk: (Decimal(7), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="Fine.",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    html = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    table = html[html.index('id="criteria"') : html.index("</table>", html.index('id="criteria"'))]
    rows = table.split("<tr>")
    correctness = next(row for row in rows if "Correctness" in row)
    style = next(row for row in rows if "Style" in row)
    assert ">Good</span>" in correctness
    assert "Handles the main cases; &lt;b&gt;edge&lt;/b&gt; cases fail." in correctness
    assert "Excellent" not in correctness and "Needs work" not in correctness
    assert "level-scored" not in style


def test_points_between_levels_name_no_level(client, world, alice, bob):
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal(5), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="Fine.",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    html = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    assert "5 / 10" in html
    assert "level-scored" not in html


def test_every_line_comment_is_listed_with_a_link_to_its_line(client, world, alice, bob, grace):
    """Probe 71: the code browser shows one file's comments at a time, so a printed
    feedback page (or a quick read) held none of them until each file was opened."""
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    for path, line, text in (
        ("app.py", 2, "Name this `handler` *better*. <script>alert(1)</script>"),
        ("README.md", 1, "Say how to run it."),
    ):
        services.line_comment_add(review=world.review, by=grace, path=path, line=line, text=text)
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    page = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    listed = page[page.index('id="all-line-comments"') : page.index("</details>")]
    assert "All the grader's line comments (2)" in listed
    # In file order, each linked to its line, rendered and sanitised as on the code.
    assert listed.index("README.md, line 1") < listed.index("app.py, line 2")
    assert 'href="?path=app.py#L2"' in listed
    assert "Name this <code>handler</code> <em>better</em>." in listed
    assert "<script" not in listed  # shown as text at most, never run
