"""Roles come from enrollments only: site-wide groups and the staff flag grant nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Role, User
from lessons.models import Enrollment
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(alice, bob, grace):
    built = build_course()
    EnrollmentFactory(user=alice, course=built.course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=built.course, role=Role.STUDENT)
    EnrollmentFactory(user=grace, course=built.course, role=Role.GRADER)
    return built.course


def test_a_fresh_database_has_no_hand_kept_role_groups():
    assert not Group.objects.filter(name__in=["Instructors", "Graders"]).exists()


@pytest.mark.parametrize("persona", ["bob", "grace", "charlie"])
def test_students_graders_and_outsiders_never_reach_the_back_office(
    client, course, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_teaching_a_course_opens_the_back_office_and_leaving_it_closes_it(client, course, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:lessons_course_changelist")).status_code == 200
    Enrollment.objects.filter(user=alice, course=course).update(role=Role.GRADER)
    assert client.get(reverse("admin:lessons_course_changelist")).status_code == 302


def test_the_staff_flag_alone_opens_nothing(client, charlie):
    User.objects.filter(pk=charlie.pk).update(is_staff=True)
    client.force_login(charlie)
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_back_office_login_refuses_people_who_teach_nothing(client, bob, password):
    response = client.post(
        reverse("admin:login"), {"username": "bob", "password": password}, follow=True
    )
    assert "teaches no course" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_enroll_command_sets_a_role_per_course(course, bob):
    call_command("enroll", "bob@example.org", course.slug, "instructor", stdout=None)
    assert Enrollment.objects.get(user=bob, course=course).role == Role.INSTRUCTOR
    call_command("enroll", "bob", course.slug, "grader", stdout=None)
    assert Enrollment.objects.get(user=bob, course=course).role == Role.GRADER
    with pytest.raises(CommandError, match="No course"):
        call_command("enroll", "bob", "no-such-course", "grader")
    with pytest.raises(CommandError, match="No user"):
        call_command("enroll", "nobody", course.slug, "grader")


def test_the_enroll_command_says_in_words_why_the_last_instructor_stays(course, bob):
    """Probe 49: demoting a course's only instructor printed a Python traceback."""
    from io import StringIO

    from lessons.models import Course

    alone = Course.objects.create(title="Alone", slug="alone")
    out = StringIO()
    call_command("enroll", "bob", alone.slug, "instructor", stdout=out)
    assert f"bob is now an instructor of {alone}." in out.getvalue()
    # Run again: said as it is (probe 89: "is now" for the role they had).
    out = StringIO()
    call_command("enroll", "bob", alone.slug, "instructor", stdout=out)
    assert f"bob was already an instructor of {alone}." in out.getvalue()
    with pytest.raises(CommandError, match="only instructor"):
        call_command("enroll", "bob", alone.slug, "student")
    assert Enrollment.objects.get(user=bob, course=alone).role == Role.INSTRUCTOR


def test_the_enroll_command_says_a_deactivated_accounts_role_as_it_is(course, bob):
    """Probe 93: for a deactivated account, run twice, it said "is now" both times (the
    policy gives such an account no role) and not that they cannot sign in."""
    from io import StringIO

    bob.is_active = False
    bob.save(update_fields=["is_active"])
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("enroll", "bob", course.slug, "grader", stdout=out)
        outputs.append(out.getvalue())
    assert f"bob is now a grader of {course}." in outputs[0]
    assert f"bob was already a grader of {course}." in outputs[1]
    assert "account is deactivated: they cannot sign in" in outputs[1]
    assert Enrollment.objects.get(user=bob, course=course).role == Role.GRADER


@pytest.mark.parametrize(
    ("persona", "sees", "hidden"),
    [
        ("bob", ["nav-dashboard", "nav-feedback"], ["nav-grading", "nav-admin"]),
        # Feedback is a student's page: not in a grader's or an instructor's bar.
        ("grace", ["nav-dashboard", "nav-grading"], ["nav-admin", "nav-feedback"]),
        ("alice", ["nav-dashboard", "nav-grading", "nav-admin"], ["nav-feedback"]),
        # No course yet: a new student's bar.
        ("charlie", ["nav-dashboard", "nav-feedback"], ["nav-grading", "nav-admin"]),
        ("admin_user", ["nav-grading", "nav-admin"], ["nav-feedback"]),
    ],
)
def test_navigation_shows_each_role_what_it_can_do(client, course, request, persona, sees, hidden):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("accounts:profile")).content.decode()
    for element_id in sees:
        assert f'id="{element_id}"' in html
    for element_id in hidden:
        assert f'id="{element_id}"' not in html


def test_a_grader_who_studies_elsewhere_keeps_the_feedback_link(client, course, grace):
    from lessons.tests.factories import CourseFactory, EnrollmentFactory

    EnrollmentFactory(user=grace, course=CourseFactory(), role=Role.STUDENT)
    client.force_login(grace)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'id="nav-feedback"' in html and 'id="nav-grading"' in html
    # Not called "grader" on her pages as a student (probe 117): roles are per course.
    assert 'id="nav-role"' not in html


def test_the_bar_names_the_role_of_one_who_only_grades_or_teaches(client, course, grace, alice):
    for person, role in ((grace, "grader"), (alice, "instructor")):
        client.force_login(person)
        html = client.get(reverse("accounts:profile")).content.decode()
        # Read as "grace (grader)" by a screen reader, not "grace grader" (probe 121).
        assert (
            f'id="nav-role"><span class="visually-hidden">(</span>{role}'
            '<span class="visually-hidden">)</span></span>'
        ) in html


def test_anonymous_navigation_offers_login_only(client):
    html = client.get(reverse("home")).content.decode()
    assert 'id="nav-login"' in html
    assert 'id="nav-dashboard"' not in html


def test_the_navbar_marks_the_page_one_is_on(client, db):
    """Probe 126: the navbar never said where one is (no aria-current)."""
    from django.urls import reverse

    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(username="nav", email="nav@example.org"))
    for name, link in (("lessons:search", "nav-search"), ("projects:mine", "nav-projects")):
        html = client.get(reverse(name)).content.decode()
        assert f'active" aria-current="page" id="{link}"' in html, name
        in_breadcrumb = html.count('breadcrumb-item active" aria-current="page"')
        assert html.count('aria-current="page"') == 1 + in_breadcrumb  # one link only
