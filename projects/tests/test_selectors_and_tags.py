from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from lessons.tests.factories import CourseFactory
from projects.models import Extension
from projects.selectors import course_projects_for, projects_for_dashboard, upcoming_deadlines
from projects.services import group_create, submission_create
from projects.templatetags.projects_tags import countdown, local_time
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

pytestmark = pytest.mark.django_db


def test_course_projects_carry_the_users_group_and_latest_version(course, student, assignment):
    draft = ProjectAssignmentFactory(course=course, is_published=False)
    other = ProjectAssignmentFactory(course=course, title="Second")
    group = group_create(assignment=assignment, student=student, name="Owls")
    submission_create(group=group, student=student, repository_url="https://x.org/1")
    submission_create(group=group, student=student, repository_url="https://x.org/2")
    later = assignment.due_at + timedelta(days=2)
    Extension.objects.create(group=group, due_at=later)

    rows = {row.assignment: row for row in course_projects_for(student, course)}

    assert draft not in rows
    mine = rows[assignment]
    assert (mine.group_name, mine.latest_version, mine.status) == ("Owls", 2, "submitted")
    assert mine.deadline == later and mine.has_extension
    assert (rows[other].group_name, rows[other].status) == (None, "no_group")


def test_classmates_groups_and_extensions_do_not_leak_into_a_students_row(
    course, student, classmate, assignment
):
    theirs = group_create(assignment=assignment, student=classmate, name="Foxes")
    submission_create(group=theirs, student=classmate, repository_url="https://x.org/1")
    Extension.objects.create(group=theirs, due_at=assignment.due_at + timedelta(days=3))

    [row] = course_projects_for(student, course)

    assert (row.group_name, row.latest_version, row.has_extension) == (None, None, False)
    assert row.status == "no_group"
    [theirs_row] = course_projects_for(classmate, course)
    assert (theirs_row.group_name, theirs_row.latest_version) == ("Foxes", 1)


def test_a_student_in_no_group_once_groups_closed_is_not_told_no_group_yet(
    client, course, student, assignment
):
    """Probe 118: after the release (or the deadline), "No group yet" read as if one
    could still join one."""
    client.force_login(student)
    page = reverse("lessons:course", args=[course.slug])
    assert "No group yet" in client.get(page).content.decode()
    assignment.grades_released_at = timezone.now()
    assignment.save(update_fields=["grades_released_at"])
    [row] = course_projects_for(student, course)
    assert row.status == "no_group_closed"
    html = client.get(page).content.decode()
    assert "In no group: nothing handed in" in html and "No group yet" not in html
    assignment.grades_released_at = None
    assignment.due_at = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["grades_released_at", "due_at"])
    [row] = course_projects_for(student, course)
    assert row.status == "no_group_closed"


def test_a_superuser_sees_only_the_courses_they_are_enrolled_in_on_the_dashboard(
    course, assignment, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    ProjectAssignmentFactory()  # another course, not enrolled
    assert projects_for_dashboard(admin) == []
    enroll(course, admin, role=Role.INSTRUCTOR)
    assert [row.assignment for row in projects_for_dashboard(admin)] == [assignment]


def test_statuses(course, student, assignment):
    group = group_create(assignment=assignment, student=student, name="Owls")
    [row] = course_projects_for(student, course)
    assert row.status == "pending"
    assignment.opens_at = timezone.now() - timedelta(days=5)
    assignment.due_at = timezone.now() - timedelta(days=1)
    assignment.save()
    [row] = course_projects_for(student, course)
    assert row.status == "missed"
    submission_create(group=group, student=student, repository_url="https://x.org/1")
    [row] = course_projects_for(student, course)
    assert row.status == "late" and row.latest_is_late


def test_instructors_see_drafts_and_no_status(course, teacher, assignment):
    assignment.is_published = False
    assignment.save()
    [row] = course_projects_for(teacher, course)
    assert row.status == "teacher"


def test_the_dashboard_lists_every_course_in_two_queries(student):
    courses = [CourseFactory() for _ in range(3)]
    for course in courses:
        enroll(course, student)
        for _ in range(3):
            assignment = ProjectAssignmentFactory(course=course)
            group_create(assignment=assignment, student=student, name="G")
    ProjectAssignmentFactory()  # a course bob is not in
    projects_for_dashboard(student)  # the user's enrollments, read once per request
    with CaptureQueriesContext(connection) as queries:
        rows = projects_for_dashboard(student)
        titles = [row.assignment.course.title for row in rows]
    # The assignments with their courses; the user's memberships with their versions.
    assert len(rows) == 9 and len(queries) == 2
    assert len(set(titles)) == 3
    assert all(row.group_name == "G" and row.status == "pending" for row in rows)


def test_upcoming_deadlines_skip_past_projects_and_say_when_others_open(
    course, student, assignment
):
    """Probe 96: a project opening later was left out, and the dashboard said "No
    upcoming project deadlines" beside it."""
    ProjectAssignmentFactory(
        course=course,
        opens_at=timezone.now() - timedelta(days=9),
        due_at=timezone.now() - timedelta(days=1),
    )
    later = ProjectAssignmentFactory(
        course=course,
        title="Opens later",
        opens_at=timezone.now() + timedelta(days=20),
        due_at=timezone.now() + timedelta(days=84),
    )
    assert [row.assignment for row in upcoming_deadlines(student)] == [assignment, later]
    html = render("{{ upcoming_deadlines() }}", student)
    assert re.search(r"Opens later.*?· opens <time[^>]*>[^<]+</time>, due <time", html, re.S)
    assert html.count("· opens ") == 1  # the open one says only its deadline
    assert html.count("Not open yet") == 1  # not "No group yet" (probe 97)


def test_a_passed_deadline_with_nothing_handed_in_stays_while_late_work_is_taken(course, student):
    """Probe 99: the dashboard dropped a project at its deadline while My projects said
    "late versions are still taken": the groups with nothing handed in lost the reminder."""
    from projects.models import LatePolicy, Submission
    from projects.tests.factories import GroupFactory, GroupMembershipFactory, SubmissionFactory

    def past(title: str, policy: str):
        project = ProjectAssignmentFactory(
            course=course,
            title=title,
            opens_at=timezone.now() - timedelta(days=9),
            due_at=timezone.now() - timedelta(days=1),
            late_policy=policy,
        )
        group = GroupFactory(assignment=project, name=f"{title} group")
        GroupMembershipFactory(group=group, student=student)
        return project, group

    overdue, _ = past("Overdue", LatePolicy.PENALTY)
    closed, _ = past("Closed", LatePolicy.NO_LATE_WORK)
    handed_in, group = past("Handed in", LatePolicy.PENALTY)
    SubmissionFactory(group=group, submitted_by=student)
    assert Submission.objects.filter(group=group).exists()
    assert [row.assignment for row in upcoming_deadlines(student)] == [overdue]
    # After the deadlines ahead, which they do not push out (probe 100).
    ahead = ProjectAssignmentFactory(course=course, title="Ahead")
    assert [row.assignment for row in upcoming_deadlines(student, limit=1)] == [ahead]
    assert [row.assignment for row in upcoming_deadlines(student)] == [ahead, overdue]
    html = render("{{ upcoming_deadlines() }}", student)
    assert "passed 1\xa0day ago: late versions are still taken" in html
    assert "Nothing submitted" in html


def render(source: str, user, **context) -> str:
    """Render SOURCE as a page template, for USER, with the context processors."""
    request = RequestFactory().get("/")
    request.user = user
    return engines["jinja2"].from_string(source).render(context, request)


def test_the_course_projects_tag(course, student, assignment):
    group_create(assignment=assignment, student=student, name="Owls")
    html = render("{{ course_projects(course) }}", student, course=course)
    assert assignment.get_absolute_url() in html
    assert "Owls" in html and "Not submitted yet" in html and "due in" in html
    assert re.search(r"\d\d:\d\d CES?T</time>", html) and "js/projects" in html


def test_the_course_projects_tag_for_an_outsider_is_empty(course, charlie, assignment):
    html = render("{{ course_projects(course) }}", charlie, course=course)
    assert "No group projects yet." in html


def test_the_upcoming_deadlines_tag(course, student, assignment, grace):
    enroll(course, grace, role=Role.GRADER)
    html = render("{{ upcoming_deadlines() }}", student)
    assert assignment.title in html and course.title in html
    assert "No upcoming project deadlines." in render("{{ upcoming_deadlines() }}", grace)


def test_local_time_and_countdown():
    when = timezone.make_aware(timezone.datetime(2025, 1, 31, 23, 59))
    html = local_time(when)
    assert html == (
        f'<time datetime="{when.isoformat()}" title="Time zone: Europe/Brussels">'
        "Fri 31 Jan 2025, 23:59 CET</time>"
    )
    assert local_time(None) == ""
    # Formatted times are remembered per zone: another zone, or the same instant written
    # in UTC, still gets its own text.
    with timezone.override("America/New_York"):
        assert local_time(when).endswith("Fri 31 Jan 2025, 17:59 EST</time>")
    in_utc = when.astimezone(timezone.UTC)
    assert local_time(in_utc).startswith(f'<time datetime="{in_utc.isoformat()}"')
    assert local_time(when) == html
    now = timezone.now()
    # A minute to spare: the countdown reads the clock after this test did.
    assert countdown(now + timedelta(days=3, hours=1, minutes=1)) == "due in 3\xa0days, 1\xa0hour"
    assert countdown(now - timedelta(hours=2, minutes=5)) == "passed 2\xa0hours, 5\xa0minutes ago"


def test_the_hour_the_autumn_night_repeats_is_named_each_time():
    """Django's "T" writes no zone in that hour: 02:30 CEST and 02:30 CET, an hour apart,
    read the same, "Sun 25 Oct 2026, 02:30 " (probe 66)."""
    from coursesite.dates import local_text

    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)
    assert local_text(first) == "Sun 25 Oct 2026, 02:30 CEST"
    assert local_text(second) == "Sun 25 Oct 2026, 02:30 CET"
    assert local_time(second).endswith(">Sun 25 Oct 2026, 02:30 CET</time>")
    assert local_time(second + timedelta(seconds=9), seconds=True).endswith(
        ">Sun 25 Oct 2026, 02:30:09 CET</time>"
    )


@pytest.mark.parametrize(
    ("ahead", "said"),
    [
        # One unit said 47 h 59 min as "1 day", 4 d 23 h as "4 days".
        (timedelta(hours=47, minutes=59, seconds=30), "due in 1\xa0day, 23\xa0hours"),
        (timedelta(days=4, hours=23, minutes=30), "due in 4\xa0days, 23\xa0hours"),
        (timedelta(hours=5, minutes=40, seconds=30), "due in 5\xa0hours, 40\xa0minutes"),
        # Short ones as before.
        (timedelta(minutes=5, seconds=30), "due in 5\xa0minutes"),
        (-timedelta(days=1, hours=2, minutes=1), "passed 1\xa0day, 2\xa0hours ago"),
        # No whole hour: its minutes (probe 100: "1 day" beside "2 started days").
        (-timedelta(days=1, minutes=40, seconds=30), "passed 1\xa0day, 40\xa0minutes ago"),
        # Django's units said 7 d 1 h as "1 week" and 59 days as "1 month, 4 weeks".
        (timedelta(days=7, hours=1, minutes=1), "due in 7\xa0days, 1\xa0hour"),
        (timedelta(days=59, hours=3), "due in 59\xa0days"),
        (timedelta(seconds=30), "due in less than a minute"),
        (-timedelta(seconds=5), "passed less than a minute ago"),
        (timedelta(hours=3, seconds=30), "due in 3\xa0hours"),
    ],
)
def test_countdowns_say_two_units_so_none_under_states_the_time(ahead, said):
    assert countdown(timezone.now() + ahead) == said


def test_the_dashboard_counts_down_with_the_same_words(client, course, student, assignment):
    assignment.due_at = timezone.now() + timedelta(hours=47, minutes=59, seconds=30)
    assignment.save()
    client.force_login(student)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "due in 1\xa0day, 23\xa0hours" in html
    assert (
        "due in 1\xa0day, 23\xa0hours" in client.get(assignment.get_absolute_url()).content.decode()
    )
