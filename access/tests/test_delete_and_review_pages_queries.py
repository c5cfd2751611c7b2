"""Back-office pages whose queries grew with the rows they show (probe 92): the
confirmation of deleting people or reviews, the review's page with its scores, and a
student's projects across courses. Each is counted at two sizes: the same count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading.models import Criterion, CriterionScore, Review
from lessons.models import Course, Enrollment
from practice.models import Attempt, Question
from projects.models import Group, GroupMembership, ProjectAssignment, Submission

from .tenants import build_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]


def queries(client, method: str, url: str, data=None) -> int:
    getattr(client, method)(url, data)  # warm process-wide caches
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def more_answers(tenant, how_many: int) -> None:
    """The tenant's student answers HOW_MANY more questions, each of its own."""
    for index in range(how_many):
        question = Question.objects.create(
            lesson=tenant.lesson, slug=f"q-extra-{index}", kind="number", prompt="?", answer=1
        )
        Attempt.objects.create(question=question, user=tenant.student, answer="1", correct=True)


def test_confirming_a_persons_deletion_does_not_read_each_answer_apart(client):
    apple = build_tenant("Apple")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:accounts_user_delete", args=[apple.student.pk])
    before = queries(client, "get", url)
    more_answers(apple, 25)
    assert queries(client, "get", url) == before
    # The list's "delete selected" of several people, likewise.
    changelist = reverse("admin:accounts_user_changelist")
    chosen = {"action": "delete_selected", "_selected_action": [apple.student.pk]}
    before = queries(client, "post", changelist, chosen)
    chosen["_selected_action"] = [apple.student.pk, apple.classmate.pk, apple.removed_student.pk]
    assert queries(client, "post", changelist, chosen) == before


def test_confirming_the_deletion_of_many_reviews_reads_them_together(client):
    apple = build_tenant("Apple")
    client.force_login(apple.instructor)
    changelist = reverse("admin:grading_review_changelist")
    reviews = [apple.review_o.pk]
    before = queries(
        client, "post", changelist, {"action": "delete_selected", "_selected_action": reviews}
    )
    for index in range(8):
        group = Group.objects.create(assignment=apple.grading, name=f"Extra {index}")
        member = UserFactory()
        Enrollment.objects.create(user=member, course=apple.course, role=Role.STUDENT)
        GroupMembership.objects.create(group=group, assignment=apple.grading, student=member)
        submission = Submission.objects.create(
            group=group, version=1, repository_url="https://x.org"
        )
        reviews.append(
            Review.objects.create(group=group, submission=submission, grader=apple.grader).pk
        )
    chosen = {"action": "delete_selected", "_selected_action": reviews}
    assert queries(client, "post", changelist, chosen) == before


def test_a_reviews_page_reads_its_scores_criteria_together(client):
    apple = build_tenant("Apple")
    client.force_login(apple.instructor)
    url = reverse("admin:grading_review_change", args=[apple.review_r.pk])
    before = queries(client, "get", url)
    for index in range(6):
        criterion = Criterion.objects.create(
            rubric=apple.rubric, order=10 + index, title=f"Extra {index}", max_points=5
        )
        CriterionScore.objects.create(review=apple.review_r, criterion=criterion, points=3)
    assert queries(client, "get", url) == before


def test_my_projects_reads_each_course_once_whatever_their_number(client):
    apple = build_tenant("Apple")
    client.force_login(apple.student)
    url = reverse("projects:mine")
    before = queries(client, "get", url)
    for index in range(5):
        course = Course.objects.create(
            title=f"Course {index}", slug=f"course-{index}", term="2025", is_published=True
        )
        Enrollment.objects.create(user=apple.student, course=course, role=Role.STUDENT)
        ProjectAssignment.objects.create(
            course=course,
            title=f"Project {index}",
            slug=f"project-{index}",
            opens_at=apple.grading.opens_at,
            due_at=apple.grading.due_at,
            is_published=True,
        )
    assert queries(client, "get", url) == before
