"""Where each persona lands: graders on their queue, everyone else on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("grading:grader_queue")
DASHBOARD = reverse("lessons:dashboard")


@pytest.fixture
def course():
    return CourseFactory(slug="pyweb", title="Python for Web", is_published=True)


def log_in(client, user, password) -> str:
    """Log in through the form, without ?next=; return where the site sends the user."""
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password}, follow=True
    )
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def test_a_grader_lands_on_the_queue_after_login_and_from_home_and_dashboard(
    client, course, grace, password
):
    EnrollmentFactory(user=grace, course=course, role=Role.GRADER)

    assert log_in(client, grace, password) == QUEUE
    assert client.get(reverse("home"))["Location"] == QUEUE
    assert client.get(DASHBOARD)["Location"] == QUEUE
    # The queue and the navbar's "My courses" link to their courses, which the
    # dashboard then shows (a plain link would bring them back to the queue).
    queue = client.get(QUEUE).content.decode()
    assert f'href="{DASHBOARD}?all=1"' in queue
    assert f'id="nav-dashboard" href="{DASHBOARD}?all=1"' in queue
    courses = client.get(DASHBOARD, {"all": "1"})
    assert courses.status_code == 200 and "Python for Web" in courses.content.decode()


def test_a_student_who_also_grades_keeps_the_dashboard_with_a_link_to_the_queue(
    client, course, bob, password
):
    EnrollmentFactory(user=bob, course=course, role=Role.STUDENT)
    EnrollmentFactory(user=bob, course=CourseFactory(slug="other"), role=Role.GRADER)

    assert log_in(client, bob, password) == DASHBOARD
    html = client.get(DASHBOARD).content.decode()
    assert 'id="grading-link"' in html and f'href="{QUEUE}"' in html
    assert f'id="nav-dashboard" href="{DASHBOARD}"' in html
    assert 'id="todo"' in html  # their deadlines and feedback are here


def test_an_instructor_lands_on_the_dashboard_with_back_office_links(
    client, course, alice, password
):
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)

    assert log_in(client, alice, password) == DASHBOARD
    html = client.get(DASHBOARD).content.decode()
    assert reverse("admin:lessons_course_change", args=[course.pk]) in html
    assert reverse("grading:gradebook", args=[course.slug]) in html
    # Nothing of a student's: no progress of their own, no "Start", no course key.
    assert 'role="progressbar"' not in html and "Start the course" not in html
    assert "Join a course" not in html


def test_a_student_sees_their_progress_and_may_join_another_course(client, course, bob, password):
    EnrollmentFactory(user=bob, course=course, role=Role.STUDENT)
    log_in(client, bob, password)
    html = client.get(DASHBOARD).content.decode()
    assert 'role="progressbar"' in html and "Join a course" in html


def test_a_student_lands_on_the_dashboard(client, course, bob, password):
    EnrollmentFactory(user=bob, course=course, role=Role.STUDENT)

    assert log_in(client, bob, password) == DASHBOARD
    assert 'id="grading-link"' not in client.get(DASHBOARD).content.decode()


def test_login_with_next_still_goes_to_next(client, course, grace, password):
    EnrollmentFactory(user=grace, course=course, role=Role.GRADER)
    target = course.get_absolute_url()
    response = client.post(
        f"{reverse('accounts:login')}?next={target}",
        {"username": "grace", "password": password},
    )
    assert response["Location"] == target


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR])
def test_the_dashboard_s_title_and_h1_agree(client, course, alice, bob, role):
    """A student's dashboard was titled "My courses" with "To do" as its h1."""
    person = bob if role == Role.STUDENT else alice
    EnrollmentFactory(user=person, course=course, role=role)
    client.force_login(person)
    page = client.get(DASHBOARD).content.decode()
    title = re.search(r"<title>(.*?) · ", page).group(1)
    h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert [title] == h1 == ["My courses"]
    headings = re.findall(r"<h([1-6])[^>]*>", page)
    # Each level under the one before it: none skipped.
    assert all(int(b) <= int(a) + 1 for a, b in zip(headings, headings[1:], strict=False))
