"""Every student page runs a constant number of SQL queries, whatever the data size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import GraderFactory, UserFactory
from grading.tests.factories import open_peer_evaluation, released_feedback
from lessons.models import LessonCompletion
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory
from projects.tests.factories import GroupMembershipFactory, SubmissionFactory

# Counted with the caches off: the cost of a page built from scratch.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]

# The measured counts, so a change that adds a query is noticed even if constant.
# The dashboard, first after logging in, also pays the session's refresh (a write that
# SessionIdleRefreshMiddleware makes about once a minute); the others load the session
# but no longer write it on every request.
# The session's user is read with their course roles (access.policy.with_enrollments):
# the access policy and the navbar ask them on every page without a query of their own.
# Each page twice: the first visit reads the course outlines (lessons/outline.py), the
# next ones find them cached, as every visit does until the course changes. The lesson's
# first visit also records "continue where you left off". The lesson page reads its
# questions and exercises once per content version (two queries, a third for choices
# when it has questions with choices), then the student's answers when it has any
# questions or exercises: one query (practice/tests/test_queries.py). This lesson has
# none: the next visits read nothing for them. The lesson, its module and its course
# are one query, asked of the policy once, which also says whether the lesson has
# attachments (this one has none: they are not read) and reads the student's completed
# lessons of the course; the course page reads them with the course likewise.
# The dashboard's to-do list reads one light query saying which of its lists can have
# rows, then those lists: new feedback, regrade answers and open peer evaluations
# (grading/todo.py), whatever their number. Here all three have rows (four queries); a
# student with nothing to do pays only the first.
EXPECTED = {
    "dashboard": 15,
    "dashboard again": 10,
    "course": 5,
    "course again": 5,
    "lesson": 6,
    "lesson again": 3,
    "search": 3,
    "search again": 3,
    "complete": 12,
}


SMALL = {"courses": 1, "modules": 2, "lessons": 3, "classmates": 3, "projects": 1}
# Ten times the courses, the lessons per course (6 x 10 = 60) and the classmates.
LARGE = {"courses": 10, "modules": 6, "lessons": 10, "classmates": 30, "projects": 10}


def build(size: dict, student):
    """Enroll STUDENT in courses of SIZE, with some completions and classmates."""
    courses = []
    for c in range(size["courses"]):
        data = build_course(
            slug=f"c{size['courses']}-{c}",
            modules=size["modules"],
            lessons_per_module=size["lessons"],
        )
        EnrollmentFactory(user=student, course=data.course, role=Role.STUDENT)
        for lesson in data.lessons[::2]:
            LessonCompletion.objects.create(user=student, lesson=lesson)
        for _ in range(size["classmates"]):
            classmate = UserFactory()
            EnrollmentFactory(user=classmate, course=data.course, role=Role.STUDENT)
            LessonCompletion.objects.create(user=classmate, lesson=data.lessons[0])
        # Group projects appear on the dashboard and the course page: the student is
        # in a group that has submitted for each of them.
        for _ in range(size["projects"]):
            membership = GroupMembershipFactory(
                group__assignment__course=data.course, student=student
            )
            SubmissionFactory(group=membership.group)
        # The to-do list: released feedback not read yet, with a regrade answer, and
        # a peer evaluation to give, for each project.
        grader = GraderFactory()
        for _ in range(size["projects"]):
            released_feedback(student, data.course, grader=grader, answered_regrade=True)
            open_peer_evaluation([student, UserFactory()], data.course)
        courses.append(data)
    return courses


def measure(client, student, data) -> dict[str, int]:
    client.force_login(student)
    lesson = data.lessons[1]  # lessons[::2] are completed: this one is not, in both runs
    assert not LessonCompletion.objects.filter(user=student, lesson=lesson).exists()
    requests = {
        "dashboard": lambda: client.get(reverse("lessons:dashboard")),
        "course": lambda: client.get(data.course.get_absolute_url()),
        "lesson": lambda: client.get(lesson.get_absolute_url()),
        "search": lambda: client.get(reverse("lessons:search"), {"q": "routing"}),
        "complete": lambda: client.post(
            reverse("lessons:complete", args=[data.course.slug, lesson.slug]),
            {"completed": "1"},
            HTTP_ACCEPT="application/json",
        ),
    }
    counts = {}
    for name, request in requests.items():
        with CaptureQueriesContext(connection) as context:
            response = request()
        assert response.status_code == 200, name
        counts[name] = len(context.captured_queries)
        if name != "complete":  # again, as every later visit: the outlines are cached
            with CaptureQueriesContext(connection) as context:
                assert request().status_code == 200, name
            counts[f"{name} again"] = len(context.captured_queries)
    return counts


def test_student_pages_run_the_same_queries_with_ten_times_the_data(client, settings):
    # The refresh is due a minute after the first visit: on a machine slow enough for
    # one run to take that long (a loaded CI run did), a later page would pay it too.
    settings.SESSION_REFRESH_SECONDS = 3600
    small_student, large_student = UserFactory(), UserFactory()
    small = measure(client, small_student, build(SMALL, small_student)[0])
    large_courses = build(LARGE, large_student)
    large = measure(client, large_student, large_courses[0])
    assert large == small
    assert small == EXPECTED
    # The big run did show the big data (so the comparison means something).
    page = client.get(large_courses[0].course.get_absolute_url()).content.decode()
    assert page.count("lesson-item") == 6 * 10  # drafts stay hidden
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert dashboard.count("course-card") == 10
    for kind in ("feedback", "regrade", "peer"):
        assert dashboard.count(f'data-todo="{kind}"') == 10 * 10, kind
