"""After completing a review, its page names the grader's next one: no trip to the queue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import GraderFactory, UserFactory
from grading import services
from grading.models import Review
from lessons.models import Course, Enrollment

from .factories import (
    CriterionFactory,
    RubricFactory,
    add_group,
    enroll,
    grading_world,
    past_assignment,
)

pytestmark = pytest.mark.django_db


def complete_by_post(client, review):
    criteria = review.group.assignment.rubric.criteria.all()
    data = {"overall_feedback": "Good work.", "complete": "1"}
    data |= {f"score_{criterion.pk}": "3" for criterion in criteria}
    response = client.post(review.get_absolute_url(), data, follow=True)
    assert response.status_code == 200
    assert "Review completed." in response.content.decode()
    return response


def next_link(response) -> str:
    html = response.content.decode()
    start = html.index('id="next-review"')
    return html[start : html.index("</p>", start)]


def handed_in(assignment, grader, *, name, hours_before_deadline, **review):
    students = [enroll(UserFactory(), assignment.course)]
    submitted = assignment.due_at - timedelta(hours=hours_before_deadline)
    group, submission = add_group(assignment, students, name=name, submitted_at=submitted)
    return Review.objects.create(group=group, submission=submission, grader=grader, **review)


def test_the_next_review_is_the_oldest_left_of_the_same_project_then_others(client, world, grace):
    other_project = past_assignment(world.course, title="API", slug="api")
    CriterionFactory(rubric=RubricFactory(assignment=other_project), title="Works")
    older_elsewhere = handed_in(other_project, grace, name="Elsewhere", hours_before_deadline=90)
    newer = handed_in(world.assignment, grace, name="Newer team", hours_before_deadline=1)
    older = handed_in(world.assignment, grace, name="Older team", hours_before_deadline=30)
    someone_elses = handed_in(
        world.assignment, GraderFactory(), name="Not grace's", hours_before_deadline=50
    )
    enroll(someone_elses.grader, world.course, Role.GRADER)
    client.force_login(grace)

    link = next_link(complete_by_post(client, world.review))
    assert "Older team" in link and older.get_absolute_url() in link

    link = next_link(complete_by_post(client, older))
    assert "Newer team" in link and newer.get_absolute_url() in link

    # The project done, the oldest of grace's other projects.
    link = next_link(complete_by_post(client, newer))
    assert "Elsewhere" in link and older_elsewhere.get_absolute_url() in link

    link = next_link(complete_by_post(client, older_elsewhere))
    assert "Nothing else is waiting for you to grade." in link
    assert reverse("grading:grader_queue") in link
    assert someone_elses.get_absolute_url() not in link


def test_a_draft_is_next_but_not_a_released_project_or_a_course_left(client, world, grace, alice):
    # A review of another course grace no longer grades, and one of a released project.
    course_b = Course.objects.create(title="Course B", slug="course-b", is_published=True)
    enroll(grace, course_b, Role.GRADER)
    left_behind = handed_in(
        past_assignment(course_b, title="B project", slug="b"),
        grace,
        name="Course B team",
        hours_before_deadline=80,
    )
    Enrollment.objects.filter(user=grace, course=course_b).delete()
    # Grades released, then a review assigned: nobody grades it any more.
    released_project = past_assignment(world.course, title="Released", slug="released")
    services.grades_release(assignment=released_project, by=alice)
    released = handed_in(released_project, grace, name="Released team", hours_before_deadline=70)
    client.force_login(grace)

    link = next_link(complete_by_post(client, world.review))
    assert "Nothing else is waiting for you to grade." in link
    for elsewhere in (left_behind, released):
        assert elsewhere.get_absolute_url() not in link

    # A review she started and left as a draft is left to grade too.
    other_project = past_assignment(world.course, title="API", slug="api")
    draft = handed_in(other_project, grace, name="Drafted", hours_before_deadline=2)
    services.review_save(
        review=draft, by=grace, scores={}, overall_feedback="half done", complete=False
    )
    link = next_link(client.get(world.review.get_absolute_url()))
    assert "Drafted" in link and draft.get_absolute_url() in link


def test_anonymous_grading_names_the_next_group_by_number(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, anonymous_grading=True)
    second = handed_in(world.assignment, grace, name="Secret name", hours_before_deadline=1)
    client.force_login(grace)

    link = next_link(complete_by_post(client, world.review))
    assert f"Group #{second.group_id}" in link
    assert "Secret name" not in link


def test_only_the_reviews_grader_sees_the_next_link(client, world, alice, grace):
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal("5"), ""), world.style.pk: (Decimal("5"), "")},
        overall_feedback="done",
        complete=True,
    )
    handed_in(world.assignment, grace, name="Grace's next", hours_before_deadline=1)
    other_grader = enroll(GraderFactory(), world.course, Role.GRADER)
    client.force_login(other_grader)
    response = client.get(world.review.get_absolute_url())
    assert response.status_code == 404  # another grader's review, reviews not open to all
    client.force_login(alice)  # the instructor may change it: her own list, empty
    response = client.get(world.review.get_absolute_url())
    assert response.status_code == 200
    assert "Nothing else is waiting for you to grade." in next_link(response)
    assert "Grace&#39;s next" not in response.content.decode()
