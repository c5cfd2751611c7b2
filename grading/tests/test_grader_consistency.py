"""The hub's marking consistency: each grader's mean mark against the other graders'."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Review, Rubric
from lessons.models import Course, Enrollment

from .factories import CriterionFactory, add_group, enroll, grading_world, past_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, grace):
    return grading_world(alice=alice, bob=bob, grace=grace)


def graded(world, grader, correctness: str, style: str, *, rubric=None, complete=True) -> Review:
    """A new group of RUBRIC's assignment (the world's), its review completed by GRADER
    with these points on the rubric's two criteria (left a draft unless COMPLETE)."""
    rubric = rubric or world.rubric
    student = enroll(UserFactory(), world.course)
    group, _ = add_group(rubric.assignment, [student])
    review = services.grader_assign(group=group, grader=grader)
    first, second = rubric.criteria.order_by("order")
    return services.review_save(
        review=review,
        by=grader,
        scores={first.pk: (Decimal(correctness), ""), second.pk: (Decimal(style), "")},
        overall_feedback="",
        complete=complete,
    )


def consistency_table(client, world) -> dict[str, list[str]]:
    """The table's rows as text, by grader: reviews, whole rubric, then each criterion."""
    page = client.get(reverse("grading:assignment_hub", args=[world.assignment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    table = re.search(r'<table[^>]*id="grader-consistency".*?</table>', html, re.DOTALL)
    assert table, "no consistency table on the hub"
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table.group(0), re.DOTALL):
        cells = [re.sub(r"<[^>]+>", " ", cell) for cell in re.split(r"</t[hd]>", row)]
        cells = [" ".join(cell.replace("&nbsp;", " ").split()) for cell in cells if cell.strip()]
        rows[cells[0]] = cells[1:]
    return rows


def test_a_lenient_and_a_strict_grader_are_told_apart(client, world, alice, grace):
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    for _ in range(3):
        graded(world, grace, "10", "5")  # 100 %
        graded(world, gina, "6", "3")  # 60 %
    # Another assignment's marks are not this one's.
    other = Rubric.objects.create(
        assignment=past_assignment(world.course, title="Other project", slug="other")
    )
    CriterionFactory(rubric=other, order=1, title="Works", max_points=10)
    CriterionFactory(rubric=other, order=2, title="Reads well", max_points=5)
    graded(world, gina, "0", "0", rubric=other)
    client.force_login(alice)

    rows = consistency_table(client, world)

    assert rows["Grace Grader"] == [
        "3",
        "100 % +40 vs others' 60 %: more lenient",
        "100 % +40 vs others' 60 %: more lenient",
        "100 % +40 vs others' 60 %: more lenient",
    ]
    assert rows["Gina Grader"][0] == "3"
    assert rows["Gina Grader"][1] == "60 % -40 vs others' 100 %: stricter"


def test_a_difference_on_too_few_reviews_is_shown_but_not_flagged(client, world, alice, grace):
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    graded(world, grace, "10", "5")
    graded(world, grace, "10", "5")
    for _ in range(3):
        graded(world, gina, "5", "2.5")  # 50 %
    client.force_login(alice)

    rows = consistency_table(client, world)

    assert rows["Grace Grader"][:2] == [
        "2",
        "100 % +50 vs others' 50 %",
    ]  # two reviews: not flagged
    assert rows["Gina Grader"][1] == "50 % -50 vs others' 100 %"


def test_a_criterion_one_grader_marks_differently_is_flagged_alone(client, world, alice, grace):
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    for _ in range(3):
        graded(world, grace, "8", "5")  # style 100 %
        graded(world, gina, "8", "2")  # style 40 %
    client.force_login(alice)

    rows = consistency_table(client, world)

    correctness, style = rows["Gina Grader"][2], rows["Gina Grader"][3]
    assert correctness == "80 % ±0 vs others' 80 %"
    assert style == "40 % -60 vs others' 100 %: stricter"


def test_a_removed_graders_marks_still_count(client, world, alice, grace):
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    for _ in range(3):
        graded(world, grace, "10", "5")
        graded(world, gina, "4", "2")
    Enrollment.objects.filter(user=gina, course=world.course).delete()
    client.force_login(alice)

    rows = consistency_table(client, world)

    assert rows["Gina Grader"][1] == "40 % -60 vs others' 100 %: stricter"


def test_with_one_grader_there_is_nothing_to_compare(client, world, alice, grace):
    graded(world, grace, "10", "5")
    client.force_login(alice)
    page = client.get(reverse("grading:assignment_hub", args=[world.assignment.pk]))
    html = page.content.decode()
    assert 'id="grader-consistency"' not in html
    assert "Nothing to compare yet" in html and "Grace Grader's" in html


def test_a_graders_name_is_shown_as_text(client, world, alice, grace):
    gina = enroll(
        UserFactory(username="gina", display_name="<script>alert(1)</script>"),
        world.course,
        Role.GRADER,
    )
    graded(world, grace, "10", "5")
    graded(world, gina, "5", "5")
    client.force_login(alice)
    html = client.get(reverse("grading:assignment_hub", args=[world.assignment.pk])).content
    assert b"<script>alert(1)</script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_other_courses_instructors_and_the_graders_do_not_see_it(client, world, grace):
    gina = enroll(
        UserFactory(username="gina", display_name="Gina Grader"), world.course, Role.GRADER
    )
    graded(world, grace, "10", "5")
    graded(world, gina, "5", "5")

    course_b = Course.objects.create(title="Other", slug="other", is_published=True)
    ivan = enroll(UserFactory(username="ivan"), course_b, Role.INSTRUCTOR)
    url = reverse("grading:assignment_hub", args=[world.assignment.pk])
    for outsider in (ivan, grace, gina):
        client.force_login(outsider)
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert b"grader-consistency" not in response.content


def test_scores_left_as_the_tests_pre_filled_them_are_not_the_graders(client, world, alice, grace):
    """Probe 79: a criterion the autograder pre-filled counted as the grader's judgement,
    which hid or made drift."""
    from django.core.files.base import ContentFile

    from autograding.models import BuildStatus, PrefilledScore, Run, RunStatus, TestSuite
    from projects.tests.factories import make_zip

    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    suite = TestSuite.objects.create(
        assignment=world.assignment,
        archive=ContentFile(make_zip({"test_app.py": "def test_x():\n    pass\n"}), "t.zip"),
        archive_name="tests.zip",
        build_status=BuildStatus.READY,
    )
    for _ in range(3):
        graded(world, grace, "10", "5")  # 100 %
        review = graded(world, gina, "10", "3")  # Correctness: the tests' 10, left alone
        run = Run.objects.create(submission=review.submission, suite=suite, status=RunStatus.PASSED)
        score = review.scores.get(criterion=world.correctness)
        PrefilledScore.objects.create(score=score, run=run, points=score.points)
    # One pre-filled score the grader changed is theirs again.
    changed = graded(world, gina, "4", "3")
    run = Run.objects.create(submission=changed.submission, suite=suite, status=RunStatus.PASSED)
    PrefilledScore.objects.create(
        score=changed.scores.get(criterion=world.correctness), run=run, points=Decimal(10)
    )
    client.force_login(alice)

    gina_row = consistency_table(client, world)["Gina Grader"]

    # Style alone counts on the three, both criteria on the fourth: (3*3 + 4 + 3) / (3*5 + 15).
    assert gina_row[1].startswith("53 % -47 vs others' 100 %")
    assert gina_row[2].startswith("40 %")  # Correctness: the one score she gave, 4 of 10


def test_reviews_an_instructor_completed_count_as_theirs_not_the_graders(
    client, world, alice, grace
):
    """Probe 88: an instructor who finished two graders' reviews at the end of term made
    half of each grader's mean, unsaid."""
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    for _ in range(3):
        graded(world, grace, "10", "5")  # 100 %
        graded(world, gina, "6", "3")  # 60 %
    # Grace's draft, finished by the instructor with low marks.
    draft = graded(world, grace, "0", "0", complete=False)
    first, second = world.rubric.criteria.order_by("order")
    services.review_save(
        review=draft,
        by=alice,
        scores={first.pk: (Decimal("2"), ""), second.pk: (Decimal("1"), "")},
        overall_feedback="",
        complete=True,
    )
    assert Review.objects.get(pk=draft.pk).completed_by == alice
    client.force_login(alice)

    rows = consistency_table(client, world)

    # Grace's three reviews alone; the others' mean is Gina's 60 % with Alice's 20 %.
    assert rows["Grace Grader"][:2] == ["3", "100 % +50 vs others' 50 %: more lenient"]
    assert rows["Gina Grader"][0] == "3"
    assert rows["Alice Instructor"][0] == "1"
    # Saved completed again by Grace (a typo fixed): still completed by Alice.
    services.review_save(
        review=draft, by=grace, scores={}, overall_feedback="Typo.", complete=None, only_given=True
    )
    assert Review.objects.get(pk=draft.pk).completed_by == alice
    # A reopened review names nobody as its completer until it is completed again.
    services.review_save(
        review=draft, by=grace, scores={}, overall_feedback="", complete=False, only_given=True
    )
    assert Review.objects.get(pk=draft.pk).completed_by is None
    assert "Alice Instructor" not in consistency_table(client, world)
