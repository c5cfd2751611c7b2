"""Grading pages run a fixed number of queries, however much data there is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from grading import services
from grading.models import (
    CriterionScore,
    LineComment,
    PeerRating,
    Review,
    ReviewStatus,
    Rubric,
)
from lessons.models import LessonCompletion
from lessons.tests.factories import LessonFactory, ModuleFactory

from .factories import (
    CriterionFactory,
    LevelFactory,
    add_group,
    enroll,
    grading_world,
    past_assignment,
)

# Counted with the caches off: the cost of a page built from scratch.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]


def grow(world, grace, *, groups: int, criteria: int, lessons: int) -> None:
    """Add GROUPS graded groups of 3, CRITERIA criteria with levels, LESSONS lessons."""
    for _ in range(criteria):
        criterion = CriterionFactory(rubric=world.rubric, max_points=5)
        LevelFactory(criterion=criterion, points=4)
        LevelFactory(criterion=criterion, label="Weak", points=1)
    module = ModuleFactory(course=world.course)
    new_lessons = [LessonFactory(module=module) for _ in range(lessons)]
    all_criteria = list(world.rubric.criteria.all())
    for _ in range(groups):
        students = [enroll(UserFactory(), world.course) for _ in range(3)]
        group, _ = add_group(world.assignment, students)
        review = services.grader_assign(group=group, grader=grace)
        services.review_save(
            review=review,
            by=grace,
            scores={c.pk: (Decimal(1), "ok") for c in all_criteria},
            overall_feedback="fine",
            complete=True,
        )
        LineComment.objects.create(review=review, path="app.py", line=1, text="hm")
        for rater in students:
            for ratee in students:
                PeerRating.objects.create(group=group, rater=rater, ratee=ratee, score=3)
        for lesson in new_lessons:
            LessonCompletion.objects.create(user=students[0], lesson=lesson)
    # The world's own review gets more line comments and scores, too.
    for line in range(1, 4):
        LineComment.objects.create(review=world.review, path="app.py", line=line, text="x")


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_page_queries_do_not_grow_with_data(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    grow(world, grace, groups=2, criteria=1, lessons=1)
    review = reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py"
    gradebook = reverse("grading:gradebook", kwargs={"slug": world.course.slug})
    # A completed review's page names the next review to grade (one query more).
    done = Review.objects.filter(status=ReviewStatus.COMPLETED).earliest("pk")
    pages = {
        "queue": (grace, reverse("grading:grader_queue")),
        "review": (grace, review),
        "completed review": (grace, done.get_absolute_url()),
        "gradebook": (alice, gradebook),
        "gradebook by mark": (alice, f"{gradebook}?sort=-p{world.assignment.pk}"),
        "gradebook by progress": (alice, f"{gradebook}?sort=progress"),
        "csv": (alice, reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug})),
        "assignment": (
            alice,
            reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}),
        ),
        "release": (
            alice,
            reverse("grading:release_grades", kwargs={"pk": world.assignment.pk}),
        ),
    }

    def measure() -> dict[str, int]:
        counts = {}
        for name, (user, url) in pages.items():
            client.force_login(user)
            count(client, url)  # warm caches (content types, sessions)
            counts[name] = count(client, url)
        return counts

    small = measure()
    grow(world, grace, groups=18, criteria=9, lessons=9)
    big = measure()
    print("queries per page:", small)
    assert big == small


def test_feedback_page_queries_do_not_grow_with_the_rubric(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    url = reverse("grading:feedback", args=[world.submission.pk])
    criteria = list(world.rubric.criteria.all())
    services.review_save(
        review=world.review,
        by=grace,
        scores={c.pk: (Decimal(3), "ok") for c in criteria},  # 3 is a level of Correctness
        overall_feedback="fine",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)

    def measure() -> int:
        count(client, url)  # warm caches (content types, sessions)
        return count(client, url)

    small = measure()
    # Criteria added as a rubric edited before the release would have been, scored.
    for _ in range(8):
        criterion = CriterionFactory(rubric=world.rubric, max_points=5)
        LevelFactory(criterion=criterion, points=1)
        LevelFactory(criterion=criterion, label="Weak", points=0)
        CriterionScore.objects.create(review=world.review, criterion=criterion, points=1)
    big = measure()
    assert big == small


def test_the_feedback_list_reads_the_same_queries_with_more_projects(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    url = reverse("grading:feedback_list")

    def release_another(n: int) -> None:
        assignment = past_assignment(world.course, title=f"Project {n}", slug=f"p{n}")
        criterion = CriterionFactory(rubric=Rubric.objects.create(assignment=assignment))
        group, submission = add_group(assignment, [bob, world.dave])
        review = Review.objects.create(group=group, submission=submission, grader=grace)
        services.review_save(
            review=review,
            by=grace,
            scores={criterion.pk: (Decimal(n), "")},
            overall_feedback="",
            complete=True,
        )
        services.grades_release(assignment=assignment, by=alice)

    client.force_login(bob)
    release_another(1)
    count(client, url)  # warm caches (content types, sessions)
    small = count(client, url)
    for n in range(2, 8):
        release_another(n)
    big = count(client, url)
    assert big == small
    page = client.get(url).content.decode()
    assert page.count("Your mark: ") == 7
