"""Factories and a ready-made grading scenario for the grading tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from grading.models import Criterion, Level, Review, Rubric
from lessons.models import Course
from lessons.tests.factories import EnrollmentFactory
from projects.models import Group, ProjectAssignment, Submission
from projects.tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    ProjectAssignmentFactory,
    SubmissionFactory,
    make_zip,
)

CODE = (
    'def greet(name):\n    """Say hello."""\n    return f"Hello {name}"\n\nprint(greet("world"))\n'
)


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rubric

    assignment = factory.SubFactory(ProjectAssignmentFactory)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Criterion {n}")
    description = "What we look for."
    max_points = Decimal("10")


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level

    criterion = factory.SubFactory(CriterionFactory)
    label = "Good"
    points = Decimal("8")


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    group = factory.SubFactory(GroupFactory)
    submission = factory.LazyAttribute(lambda r: SubmissionFactory(group=r.group))
    grader = factory.SubFactory(UserFactory)


def past_assignment(course: Course, **kwargs) -> ProjectAssignment:
    """Return a published assignment of COURSE whose deadline has passed."""
    now = timezone.now()
    defaults = {"opens_at": now - timedelta(days=20), "due_at": now - timedelta(days=3)}
    return ProjectAssignmentFactory(course=course, **{**defaults, **kwargs})


def enroll(user: User, course: Course, role: str = Role.STUDENT) -> User:
    EnrollmentFactory(user=user, course=course, role=role)
    return user


def add_group(
    assignment: ProjectAssignment,
    students: list[User],
    *,
    name: str | None = None,
    files: dict | None = None,
    submitted_at=None,
    **submission,
) -> tuple[Group, Submission]:
    group = GroupFactory(assignment=assignment, **({"name": name} if name else {}))
    for student in students:
        GroupMembershipFactory(group=group, student=student)
    sub = SubmissionFactory(
        group=group,
        version=1,
        submitted_by=students[0] if students else None,
        submitted_at=submitted_at or assignment.due_at - timedelta(hours=2),
        archive=ContentFile(make_zip(files or {"app.py": CODE, "README.md": "# Hi\n"}), "p.zip"),
        **submission,
    )
    return group, sub


@dataclass
class World:
    course: Course
    assignment: ProjectAssignment
    rubric: Rubric
    correctness: Criterion
    style: Criterion
    group: Group
    submission: Submission
    review: Review
    dave: User


def grading_world(*, alice: User, bob: User, grace: User, **rubric_settings) -> World:
    """A course taught by alice, graded by grace; bob and dave's group has submitted.

    The rubric has Correctness (10 points, three levels) and Style (5 points); the
    review of the group is assigned to grace and not started.
    """
    course = Course.objects.create(title="Python for Web", slug="pyweb", is_published=True)
    enroll(alice, course, Role.INSTRUCTOR)
    enroll(grace, course, Role.GRADER)
    enroll(bob, course)
    dave = enroll(UserFactory(username="dave", display_name="Dave Student"), course)
    assignment = past_assignment(course, title="Blog engine", slug="blog")
    rubric = Rubric.objects.create(assignment=assignment, **rubric_settings)
    correctness = CriterionFactory(rubric=rubric, order=1, title="Correctness", max_points=10)
    for label, points in (("Excellent", 10), ("Good", 7), ("Needs work", 3)):
        LevelFactory(criterion=correctness, label=label, points=points)
    style = CriterionFactory(rubric=rubric, order=2, title="Style", max_points=5)
    group, submission = add_group(assignment, [bob, dave], name="Team Rocket")
    review = Review.objects.create(group=group, submission=submission, grader=grace)
    return World(
        course=course,
        assignment=assignment,
        rubric=rubric,
        correctness=correctness,
        style=style,
        group=group,
        submission=submission,
        review=review,
        dave=dave,
    )


def complete_review(world: World, correctness="8", style="4", by: User | None = None) -> Review:
    """Complete the review of grading_world's group: CORRECTNESS + STYLE points."""
    from grading import services

    return services.review_save(
        review=world.review,
        by=by or world.review.grader,
        scores={
            world.correctness.pk: (Decimal(correctness), "Works."),
            world.style.pk: (Decimal(style), "Tidy."),
        },
        overall_feedback="Well done **team**.",
        complete=True,
    )


def resubmitted_after_grading(world: World, student: User, files: dict) -> Submission:
    """Start grading_world's review (a score saved), then have STUDENT's group hand in
    version 2 with FILES, accepted late and the graders told: the review page then shows
    the changes since the graded version."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grading import services
    from projects.models import LateVersionRule
    from projects.services import submission_create

    world.assignment.late_version_rule = LateVersionRule.ACCEPT_AND_NOTIFY
    world.assignment.save()
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal(5), "")},
        overall_feedback="",
    )
    world.group.assignment.refresh_from_db()
    return submission_create(
        group=world.group,
        student=student,
        archive=SimpleUploadedFile("v2.zip", make_zip(files)),
    )


def released_feedback(student: User, course: Course, *, grader: User, answered_regrade: bool):
    """Give STUDENT's group a graded, released project of COURSE; optionally a regrade answer.

    Returns the review. The student has not opened the feedback yet.
    """
    from grading.models import CriterionScore, GradeRelease, RegradeRequest, RegradeStatus

    assignment = past_assignment(course)
    rubric = RubricFactory(assignment=assignment)
    criterion = CriterionFactory(rubric=rubric, max_points=10)
    group, submission = add_group(assignment, [student])
    now = timezone.now()
    review = Review.objects.create(
        group=group,
        submission=submission,
        grader=grader,
        status="completed",
        total=Decimal("7"),
        completed_at=now,
    )
    CriterionScore.objects.create(review=review, criterion=criterion, points=Decimal("7"))
    GradeRelease.objects.create(assignment=assignment, released_at=now)
    # As grades_release records it on the project (projects' pages read it there).
    ProjectAssignment.objects.filter(pk=assignment.pk).update(grades_released_at=now)
    if answered_regrade:
        RegradeRequest.objects.create(
            review=review,
            criterion=criterion,
            requested_by=student,
            reason="Please look again.",
            status=RegradeStatus.ACCEPTED,
            old_points=Decimal("7"),
            new_points=Decimal("8"),
            response="You are right.",
            answered_by=grader,
            answered_at=now,
        )
    return review


def open_peer_evaluation(students: list[User], course: Course) -> Group:
    """Return a group of STUDENTS whose project's peer evaluation is open (deadline passed)."""
    assignment = past_assignment(course)
    RubricFactory(assignment=assignment, peer_evaluation=True)
    group, _submission = add_group(assignment, students)
    return group
