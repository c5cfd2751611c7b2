"""Records the back office never deletes say why: a release (what students were told),
a completed review; and the 403 page names the right person to ask."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.admin import RELEASE_KEPT
from grading.models import GradeRelease, RegradeRequest, RegradeStatus
from lessons.models import Course

from .factories import complete_review, enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(world, alice):
    complete_review(world)
    return services.grades_release(assignment=world.assignment, by=alice)


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("who", ["root", "alice"])
def test_a_release_is_never_deleted_and_the_refusal_says_why(
    client, world, released, bob, who, request
):
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Look again."
    )
    client.force_login(request.getfixturevalue(who))
    url = reverse("admin:grading_graderelease_delete", args=[released.pk])
    response = client.get(url)
    assert response.status_code == 403
    page = text_of(response)
    assert str(RELEASE_KEPT) in page
    # Not "your instructor": instructors (and superusers) ask an administrator.
    assert "ask an administrator" in page and "your instructor" not in page
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:grading_graderelease_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [released.pk]})
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [released.pk], "post": "yes"},
    )
    assert GradeRelease.objects.filter(pk=released.pk).exists()
    # What students were told stays so: the feedback shown, the regrade still open.
    assert services.is_released(world.assignment)
    assert RegradeRequest.objects.get(pk=regrade.pk).status == RegradeStatus.OPEN
    # The release's own page says why it stays, and offers no delete.
    page = text_of(client.get(reverse("admin:grading_graderelease_change", args=[released.pk])))
    assert str(RELEASE_KEPT) in page and url not in page


def test_another_courses_instructor_gets_no_reason_nor_the_release(client, world, released):
    other = Course.objects.create(title="Other", slug="other", is_published=True)
    ivan = enroll(UserFactory(username="ivan"), other, Role.INSTRUCTOR)
    client.force_login(ivan)
    url = reverse("admin:grading_graderelease_delete", args=[released.pk])
    for response in (client.get(url), client.post(url, {"post": "yes"})):
        assert response.status_code in (403, 404)
        page = text_of(response)
        assert str(RELEASE_KEPT) not in page and "Blog engine" not in page
    assert GradeRelease.objects.filter(pk=released.pk).exists()


def test_a_student_meeting_a_403_is_told_to_ask_their_instructor(client, world, bob):
    client.force_login(bob)
    response = client.get(reverse("grading:grader_queue"))
    assert response.status_code == 403
    page = text_of(response)
    assert "ask your instructor" in page and "administrator" not in page


def test_a_grader_meeting_a_403_is_told_whom_to_ask(client, world, grace):
    client.force_login(grace)
    response = client.get(reverse("grading:assignment_grading", args=[world.assignment.pk]))
    assert response.status_code == 403  # the instructors' page of a project she grades
    assert "the course's instructor or an administrator" in text_of(response)
