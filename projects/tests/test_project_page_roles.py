"""A project's page speaks to each role of its course, and to a group as it stands.

Graders and instructors were offered "Create group" and "Join group" (which then
answered 403 and lost the name typed) and read advice meant for students; a group too
small was told to share its join code and hand in work after the project had closed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from access.tests.tenants import build_tenant
from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading.models import GradeRelease
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory
from projects.models import LatePolicy
from projects.services import group_create, group_join, submission_create
from projects.services.groups import GROUPS_FINAL
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures

pytestmark = pytest.mark.django_db

FORMS = ('id="create-group-btn"', 'id="join-group-btn"')


def page_for(user, assignment) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(assignment.get_absolute_url())
    return response.status_code, response.content.decode()


def panel(html: str) -> str:
    start = html.index('id="group-panel"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def newcomer(course) -> object:
    """A student of COURSE in no group."""
    user = UserFactory(username=f"new-{course.slug}")
    EnrollmentFactory(user=user, course=course, role=Role.STUDENT)
    return user


def test_staff_are_offered_no_group_forms_on_an_open_project(world):
    a, _ = world  # a.bare: open, its deadline in five days
    for user in (a.grader, a.instructor):
        status, html = page_for(user, a.bare)
        assert status == 200
        assert not any(form in html for form in FORMS), user
        assert 'name="join_code"' not in html and 'name="name"' not in html
        assert ">Groups</h2>" in panel(html)
    assert "Groups are for the students of this course" in panel(page_for(a.grader, a.bare)[1])
    # A student still gets both forms, under "Your group".
    status, html = page_for(newcomer(a.course), a.bare)
    assert all(form in html for form in FORMS) and ">Your group</h2>" in html


def test_staff_read_no_student_advice_on_a_released_project(world):
    """Released before its deadline: groups are final, which students are told."""
    a, _ = world
    GradeRelease.objects.create(assignment=a.bare, released_at=timezone.now())
    for user in (a.grader, a.instructor):
        status, html = page_for(user, a.bare)
        assert status == 200
        assert "Ask your instructor" not in html and not any(form in html for form in FORMS)
    assert 'id="groups-for-students"' in page_for(a.grader, a.bare)[1]
    # A student in no group is told why groups no longer change.
    assert GROUPS_FINAL in page_for(newcomer(a.course), a.bare)[1]


def test_other_course_s_staff_and_a_removed_grader_still_get_404(world):
    a, b = world
    for user in (b.grader, b.instructor, a.removed_grader):
        assert page_for(user, a.bare)[0] == 404
    Enrollment.objects.filter(user=a.grader, course=a.course).delete()
    assert page_for(a.grader, a.bare)[0] == 404


@pytest.fixture
def lone(course, student):
    """bob, alone in a group of a project asking for two to three students."""
    assignment = ProjectAssignmentFactory(
        course=course, min_group_size=2, max_group_size=3, late_policy=LatePolicy.NO_LATE_WORK
    )
    group_create(assignment=assignment, student=student, name="Solo")
    return assignment


def alert(html: str) -> str:
    start = html.index('id="group-too-small"')
    return " ".join(html[start : html.index("</div>", start)].split())


def test_a_group_too_small_is_told_what_it_can_still_do_before_the_deadline(lone, student):
    text = alert(page_for(student, lone)[1])
    assert "share the join code below with your teammates" in text
    assert "Your group can still hand in its work" in text


def test_a_group_too_small_is_not_told_to_recruit_or_submit_after_the_deadline(lone, student):
    lone.due_at = timezone.now() - timedelta(hours=1)
    lone.save()
    html = page_for(student, lone)[1]
    text = alert(html)
    assert "groups can no longer be changed" in text
    assert "join code" not in text and "can still hand in" not in text
    assert 'id="join-code"' not in html  # nothing left to share it for
    assert "this project does not accept late work" in html


def test_a_group_too_small_that_handed_in_is_graded_on_it(lone, student):
    group = lone.groups.get()
    submission_create(group=group, student=student, repository_url="https://example.org/a")
    lone.due_at = timezone.now() - timedelta(hours=1)
    lone.save()
    text = alert(page_for(student, lone)[1])
    assert "groups can no longer be changed" in text
    assert "Your group is graded on the work it handed in." in text
    assert "can still hand in" not in text


def test_a_full_group_that_handed_in_sees_no_join_code_after_the_deadline(lone, student):
    """The code no longer lets anyone in: showing it would send a teammate to a refusal.
    Before the deadline the same group still sees it."""
    group = lone.groups.get()
    mate = UserFactory(username="mate")
    EnrollmentFactory(user=mate, course=lone.course, role=Role.STUDENT)
    group_join(assignment=lone, student=mate, join_code=group.join_code)
    submission_create(group=group, student=student, repository_url="https://example.org/a")
    assert 'id="join-code"' in page_for(student, lone)[1]
    lone.due_at = timezone.now() - timedelta(hours=1)
    lone.save()
    html = page_for(student, lone)[1]
    assert 'id="join-code"' not in html
    assert "you can no longer leave it" in html


@pytest.mark.parametrize(
    ("late_policy", "said"),
    [
        (
            LatePolicy.PENALTY,
            "Ask your instructor to put you in a group: late work is still accepted, with "
            "the late penalty.",
        ),
        (LatePolicy.NO_PENALTY, "Ask your instructor to put you in a group: late work is "),
        (LatePolicy.NO_LATE_WORK, "Ask your instructor if you should be in one."),
    ],
)
def test_a_student_in_no_group_after_the_deadline_is_told_who_can_put_them_in_one(
    assignment, student, late_policy, said
):
    """Groups close at the deadline: a student in none read only "This project closed",
    though late work was still accepted, and had no way to hand it in."""
    assignment.due_at = timezone.now() - timedelta(hours=1)
    assignment.late_policy = late_policy
    assignment.save()
    html = panel(page_for(student, assignment)[1])
    text = " ".join(html.split())
    assert "You are in no group, so you cannot hand in work for this project." in text
    assert said in text
    closed = (
        "This project closed on"
        if late_policy == LatePolicy.NO_LATE_WORK
        else "The deadline passed on"
    )
    assert closed in text
    assert not any(form in html for form in FORMS)


def test_a_student_in_no_group_before_the_deadline_is_offered_the_forms_not_told_to_ask(
    assignment, student
):
    html = panel(page_for(student, assignment)[1])
    assert all(form in html for form in FORMS)
    assert 'id="no-group-ask"' not in html
