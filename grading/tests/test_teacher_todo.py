"""The instructor's "Waiting for you" on the dashboard (probe 101: regrades waiting showed
only under Grading, and nothing said a closed hand-in had groups without a grader or a
finished grading waited for its release)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Criterion, Review, Rubric
from grading.todo import teacher_todo
from lessons.models import Course
from lessons.tests.factories import CourseFactory
from projects.models import Extension

from .factories import add_group, complete_review, enroll, grading_world, past_assignment

pytestmark = pytest.mark.django_db


def tasks_of(client, user) -> list[str]:
    """The dashboard's tasks for USER, as read: project, then what waits."""
    client.force_login(user)
    page = client.get(reverse("lessons:dashboard")).content.decode()
    section = page.split('id="teacher-todo"')[1].split("</section>")[0]
    return section


def test_each_stage_of_a_project_says_what_waits_then_nothing(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    # A second group handed in, and nobody grades it yet.
    carol = enroll(UserFactory(username="carol"), world.course)
    add_group(world.assignment, [carol], name="Owls")
    hub = reverse("grading:assignment_hub", args=[world.assignment.pk])

    [task] = teacher_todo(alice)
    assert task.text == "1 group handed in work and has no grader."
    assert (task.action, task.url) == ("Assign graders", hub)
    section = tasks_of(client, alice)
    assert "Blog engine" in section and "Python for Web" in section
    assert f'href="{hub}">Assign graders' in section

    owls = world.assignment.groups.get(name="Owls")
    Review.objects.create(group=owls, submission=owls.submissions.get(), grader=grace)
    [task] = teacher_todo(alice)
    assert task.text == "Grading: 0 of 2 groups graded."

    complete_review(world)
    assert teacher_todo(alice)[0].text == "Grading: 1 of 2 groups graded."
    owls_review = Review.objects.get(group=owls)
    services.review_save(
        review=owls_review,
        by=grace,
        scores={world.correctness.pk: (7, ""), world.style.pk: (3, "")},
        overall_feedback="",
        complete=True,
    )
    [task] = teacher_todo(alice)
    assert task.text == "All 2 groups that handed in are graded: the grades can be released."
    assert task.action == "Release the grades"

    services.grades_release(assignment=world.assignment, by=alice)
    assert teacher_todo(alice) == []
    # A regrade request after the release waits first, for students wait on it.
    services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Tidy enough."
    )
    [task] = teacher_todo(alice)
    assert task.urgent and task.text == "1 regrade request waits for an answer."
    assert task.url == f"{reverse('grading:regrade_list')}?project={world.assignment.pk}"
    section = tasks_of(client, alice)
    assert "Students wait" in section and "1 regrade request waits for an answer." in section
    # "Answer" opens that project's requests, not every project's (read-through: it did).
    other = past_assignment(world.course, title="Second project", slug="second")
    erin = enroll(UserFactory(username="erin"), world.course)
    group, submission = add_group(other, [erin], name="Foxes")
    review = Review.objects.create(group=group, submission=submission, grader=grace)
    rubric, _ = Rubric.objects.get_or_create(assignment=other)
    criterion = Criterion.objects.create(rubric=rubric, title="Docs", max_points=5)
    services.review_save(
        review=review, by=grace, scores={criterion.pk: (2, "")}, overall_feedback="", complete=True
    )
    services.grades_release(assignment=other, by=alice)
    services.regrade_request_create(
        review=review, criterion=criterion, student=erin, reason="The docs are there."
    )
    page = client.get(task.url).content.decode()
    assert "Tidy enough" not in page  # the list shows groups and criteria, not reasons
    assert "Style" in page and "Docs" not in page and "Blog engine" in page
    assert "Those of <strong>Blog engine</strong>" in page
    everything = client.get(reverse("grading:regrade_list")).content.decode()
    assert "Style" in everything and "Docs" in everything
    # Another course's project id, or one that is no id: nothing, or every request.
    nothing = client.get(reverse("grading:regrade_list"), {"project": 999_999}).content.decode()
    assert "No regrade requests for this project." in nothing and "Style" not in nothing
    assert "Docs" in client.get(reverse("grading:regrade_list"), {"project": "x"}).content.decode()
    # One of hers without requests is named all the same (probe 114); another course's not.
    third = past_assignment(world.course, title="Quiet project", slug="quiet")
    quiet = client.get(reverse("grading:regrade_list"), {"project": third.pk}).content.decode()
    assert "Those of <strong>Quiet project</strong>" in quiet
    elsewhere = past_assignment(CourseFactory(), title="Their project", slug="theirs")
    page = client.get(reverse("grading:regrade_list"), {"project": elsewhere.pk}).content.decode()
    assert "Their project" not in page and "No regrade requests for this project." in page


def test_a_hand_in_still_open_or_under_an_extension_is_not_ready(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world)
    # Another group works on under an extension: the release would leave it out.
    carol = enroll(UserFactory(username="carol"), world.course)
    owls, _ = add_group(world.assignment, [carol], name="Owls")
    owls.submissions.all().delete()
    Extension.objects.create(group=owls, due_at=timezone.now() + timedelta(days=2))
    assert teacher_todo(alice) == []
    # A version handed in under the extension: no grader asked for while it runs (one
    # assigned closes the group's hand-in early), but once it is over.
    dan = enroll(UserFactory(username="dan"), world.course)
    foxes, _ = add_group(world.assignment, [dan], name="Foxes")
    extension = Extension.objects.create(group=foxes, due_at=timezone.now() + timedelta(days=2))
    assert "no grader" not in " ".join(task.text for task in teacher_todo(alice))
    extension.due_at = timezone.now() - timedelta(minutes=1)
    extension.save()
    assert "1 group handed in work and has no grader." in [t.text for t in teacher_todo(alice)]
    foxes.delete()
    # The project's deadline ahead: nothing to assign or release yet.
    Extension.objects.all().delete()
    world.assignment.due_at = timezone.now() + timedelta(days=1)
    world.assignment.save()
    assert teacher_todo(alice) == []


def test_only_the_courses_one_teaches_and_their_staff(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    # The instructor of course B: B's task is theirs, A's never.
    other = UserFactory(username="bea")
    course_b = Course.objects.create(title="Data Science", slug="ds", is_published=True)
    enroll(other, course_b, Role.INSTRUCTOR)
    project_b = past_assignment(course_b, title="Notebook", slug="nb")
    add_group(project_b, [enroll(UserFactory(username="sam"), course_b)], name="Sams")
    assert [task.assignment.title for task in teacher_todo(other)] == ["Notebook"]
    section = tasks_of(client, other)
    assert "Notebook" in section and "Blog engine" not in section
    # A's instructor: A's grading, never B's; once released, nothing waits.
    assert [task.assignment.title for task in teacher_todo(alice)] == ["Blog engine"]
    assert "Notebook" not in tasks_of(client, alice)
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    assert "Nothing waits for you in your projects" in tasks_of(client, alice)
    # The grader, the student and a removed instructor have no such section.
    for user in (grace, bob):
        client.force_login(user)
        page = client.get(reverse("lessons:dashboard", query={"all": "1"})).content.decode()
        assert 'id="teacher-todo"' not in page
        assert teacher_todo(user) == []
    alice.enrollments.filter(course=world.course).delete()
    assert teacher_todo(alice) == []


def test_the_dashboard_reads_the_same_queries_for_more_projects(
    client, alice, bob, grace, django_assert_max_num_queries
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    client.force_login(alice)
    url = reverse("lessons:dashboard")
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        client.get(url)
    for number in range(5):
        project = past_assignment(world.course, title=f"Project {number}", slug=f"p{number}")
        student = enroll(UserFactory(username=f"s{number}"), world.course)
        add_group(project, [student], name=f"Group {number}")
    with django_assert_max_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert page.count("handed in work and has no grader") == 5
