"""Two courses with everything a course can hold, and the people of each.

Course A ("Apple") and course B ("Banana") are built alike: a published lesson with
an attachment; a project whose grades are released (group R: a completed review, a
line comment, an open regrade request, a peer rating, a mark override) and a project
still being graded (group O: a review in progress, a line comment, peer evaluation open; group P: a
review assigned to a grader who has since been removed from the course). Every title, name
and text of a course carries its word, so a page that shows "Apple" showed course A.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from api.models import PersonalAccessToken
from api.tokens import token_create
from autograding.models import BuildStatus, Run, RunStatus, TestGroup, TestResult, TestSuite
from grading.models import (
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeRequest,
    Review,
    ReviewStatus,
    Rubric,
)
from lessons.models import Course, Enrollment, Lesson, LessonAttachment, Module
from lessons.tests.factories import EnrollmentFactory
from practice.models import Attempt, Choice, Exercise, ExerciseAttempt, Question
from practice.services import lesson_practice_sync
from projects.models import Group, GroupMembership, ProjectAssignment, Submission
from projects.tests.factories import make_zip

CODE = "def apple():\n    return 'pie'\n"


@dataclass
class Tenant:
    word: str
    course: Course
    module: Module
    lesson: Lesson
    attachment: LessonAttachment
    released: ProjectAssignment  # grades released
    grading: ProjectAssignment  # still being graded
    bare: ProjectAssignment  # no rubric yet; group Q has submitted, nobody grades it
    rubric: Rubric
    criterion: Criterion
    other_criterion: Criterion
    group_r: Group
    group_o: Group
    group_q: Group
    submission_r: Submission
    submission_r2: Submission  # the classmate's group, also graded and released
    submission_o: Submission
    review_r: Review
    review_o: Review
    review_p: Review  # assigned to the grader removed from the course
    comment_o: LineComment
    score_r: CriterionScore
    regrade: RegradeRequest
    rating: PeerRating
    override: MarkOverride
    release: GradeRelease
    enrollment: Enrollment  # the student's
    token: PersonalAccessToken  # the student's personal access token
    student: User
    classmate: User
    grader: User
    instructor: User
    removed_grader: User
    removed_student: User
    suite: TestSuite  # the tests of the project being graded
    run: Run  # group O's version, tested
    question: Question  # of the lesson's quiz, answered by the student
    right_choice: Choice
    exercise: Exercise  # of the lesson, tried by the student
    attempt: Attempt
    exercise_attempt: ExerciseAttempt


def _person(word: str, role: str) -> User:
    return UserFactory(
        username=f"{word.lower()}-{role}",
        email=f"{word.lower()}-{role}@example.org",
        display_name=f"{word} {role.replace('-', ' ').title()}",
    )


def _group(assignment, name, members, submitted_by):
    group = Group.objects.create(assignment=assignment, name=name)
    for member in members:
        GroupMembership.objects.create(group=group, assignment=assignment, student=member)
    archive = make_zip({"app.py": CODE, "README.md": f"# {name}\n"})
    submission = Submission.objects.create(
        group=group,
        version=1,
        submitted_by=submitted_by,
        submitted_at=assignment.due_at - timedelta(days=1),
        archive=ContentFile(archive, name="project.zip"),
        archive_name=f"{name}.zip",
        archive_size=len(archive),
    )
    return group, submission


def build_tenant(word: str) -> Tenant:
    """Build course WORD with its people and everything that can be graded."""
    slug = word.lower()
    now = timezone.now()
    course = Course.objects.create(
        title=f"{word} course", slug=slug, code=word[:3].upper(), is_published=True
    )
    module = Module.objects.create(
        course=course, order=1, title=f"{word} module", slug=f"{slug}-module", is_published=True
    )
    lesson = Lesson.objects.create(
        module=module,
        order=1,
        title=f"{word} lesson",
        slug=f"{slug}-lesson",
        body=(
            f"All about {word} routes.\n\n```question\nid: {slug}-question\nkind: single\n"
            f"prompt: Which fruit is {word}?\nchoices:\n  - text: {word} fruit\n"
            "    correct: true\n  - text: A vegetable\n```\n\n"
            f"```exercise\nid: {slug}-exercise\ntitle: {word} exercise\n"
            f"task: Write a {word} route.\nexpected: {word} says hello\n"
            f"solution: Return '{word}'.\n```\n"
        ),
        is_published=True,
    )
    lesson_practice_sync(lesson=lesson)
    question = Question.objects.get(lesson=lesson)
    right_choice = question.choices.get(correct=True)
    exercise = Exercise.objects.get(lesson=lesson)
    attachment = LessonAttachment.objects.create(
        lesson=lesson, title=f"{word} slides", file=ContentFile(f"{word} slides", name="s.txt")
    )
    people = {
        role: _person(word, role)
        for role in (
            "student",
            "classmate",
            "grader",
            "instructor",
            "removed-grader",
            "removed-student",
        )
    }
    roles = {
        "student": Role.STUDENT,
        "classmate": Role.STUDENT,
        "grader": Role.GRADER,
        "instructor": Role.INSTRUCTOR,
        "removed-grader": Role.GRADER,
        "removed-student": Role.STUDENT,
    }
    enrollments = {
        role: EnrollmentFactory(user=user, course=course, role=roles[role])
        for role, user in people.items()
    }
    student, grader = people["student"], people["grader"]

    released = ProjectAssignment.objects.create(
        course=course,
        title=f"{word} released project",
        slug=f"{slug}-released",
        opens_at=now - timedelta(days=30),
        due_at=now - timedelta(days=10),
        is_published=True,
    )
    # Past its deadline (late work accepted with a penalty), so peer evaluation is open.
    grading = ProjectAssignment.objects.create(
        course=course,
        title=f"{word} project",
        slug=f"{slug}-project",
        opens_at=now - timedelta(days=5),
        due_at=now - timedelta(days=1),
        is_published=True,
    )
    rubric = Rubric.objects.create(assignment=released, peer_evaluation=True)
    criterion = Criterion.objects.create(
        rubric=rubric, order=1, title=f"{word} correctness", max_points=Decimal("10")
    )
    other_criterion = Criterion.objects.create(
        rubric=rubric, order=2, title=f"{word} style", max_points=Decimal("5")
    )
    Level.objects.create(criterion=criterion, label=f"{word} good", points=Decimal("7"))
    grading_rubric = Rubric.objects.create(assignment=grading, peer_evaluation=True)
    Criterion.objects.create(
        rubric=grading_rubric, order=1, title=f"{word} design", max_points=Decimal("10")
    )

    group_r, submission_r = _group(
        released, f"{word} team R", [student, people["removed-student"]], student
    )
    review_r = Review.objects.create(
        group=group_r,
        submission=submission_r,
        grader=grader,
        status=ReviewStatus.COMPLETED,
        overall_feedback=f"{word} feedback: well done.",
        overall_feedback_html=f"<p>{word} feedback: well done.</p>",
        total=Decimal("10"),
        completed_at=now - timedelta(days=3),
    )
    score_r = CriterionScore.objects.create(review=review_r, criterion=criterion, points=7)
    CriterionScore.objects.create(review=review_r, criterion=other_criterion, points=3)
    LineComment.objects.create(
        review=review_r, path="app.py", line=1, text=f"{word} comment R", author=grader
    )
    release = GradeRelease.objects.create(
        assignment=released, released_at=now - timedelta(days=1), released_by=people["instructor"]
    )
    # As grades_release records it on the project (projects' pages read it there).
    ProjectAssignment.objects.filter(pk=released.pk).update(grades_released_at=release.released_at)
    regrade = RegradeRequest.objects.create(
        review=review_r,
        criterion=criterion,
        requested_by=student,
        reason=f"{word} regrade reason",
        old_points=7,
    )
    rating = PeerRating.objects.create(group=group_r, rater=student, ratee=student, score=4)
    override = MarkOverride.objects.create(
        assignment=released,
        student=student,
        mark=Decimal("80"),
        reason=f"{word} override reason",
        by=people["instructor"],
    )

    group_r2, submission_r2 = _group(
        released, f"{word} team R2", [people["classmate"]], people["classmate"]
    )
    Review.objects.create(
        group=group_r2,
        submission=submission_r2,
        grader=grader,
        status=ReviewStatus.COMPLETED,
        overall_feedback=f"{word} feedback for R2.",
        total=Decimal("12"),
        completed_at=now - timedelta(days=3),
    )

    group_o, submission_o = _group(grading, f"{word} team O", [student], student)
    review_o = Review.objects.create(
        group=group_o, submission=submission_o, grader=grader, status=ReviewStatus.DRAFT
    )
    comment_o = LineComment.objects.create(
        review=review_o, path="app.py", line=2, text=f"{word} comment O", author=grader
    )
    group_p, submission_p = _group(
        grading, f"{word} team P", [people["classmate"]], people["classmate"]
    )
    review_p = Review.objects.create(
        group=group_p, submission=submission_p, grader=people["removed-grader"]
    )

    # A project without rubric or reviews yet, whose one group has submitted.
    bare = ProjectAssignment.objects.create(
        course=course,
        title=f"{word} bare project",
        slug=f"{slug}-bare",
        opens_at=now - timedelta(days=5),
        due_at=now + timedelta(days=5),
        is_published=True,
    )
    group_q, _ = _group(bare, f"{word} team Q", [people["classmate"]], people["classmate"])

    suite = TestSuite.objects.create(
        assignment=grading,
        archive=ContentFile(make_zip({"test_app.py": "def test_pie():\n    pass\n"}), "t.zip"),
        archive_name=f"{word} tests.zip",
        build_status=BuildStatus.READY,
    )
    visible = TestGroup.objects.create(suite=suite, name=f"{word} visible tests", points=5)
    run = Run.objects.create(
        submission=submission_o,
        suite=suite,
        status=RunStatus.PASSED,
        message=f"{word} tests passed.",
        tests_passed=1,
        tests_total=1,
    )
    TestResult.objects.create(
        run=run, nodeid=f"test_app.py::test_{slug}_pie", group=visible, outcome="passed"
    )

    # Removed from the course after their work: their access ends with the enrollment.
    enrollments["removed-grader"].delete()
    enrollments["removed-student"].delete()

    token, _ = token_create(user=student, name=f"{word} script", scope="read")
    attempt = Attempt.objects.create(question=question, user=student, correct=True)
    attempt.choices.set([right_choice])
    exercise_attempt = ExerciseAttempt.objects.create(
        exercise=exercise, user=student, code=f"def {slug}(): pass"
    )

    return Tenant(
        word=word,
        course=course,
        module=module,
        lesson=lesson,
        attachment=attachment,
        released=released,
        grading=grading,
        bare=bare,
        group_q=group_q,
        rubric=rubric,
        criterion=criterion,
        other_criterion=other_criterion,
        group_r=group_r,
        group_o=group_o,
        submission_r=submission_r,
        submission_r2=submission_r2,
        submission_o=submission_o,
        review_r=review_r,
        review_o=review_o,
        review_p=review_p,
        comment_o=comment_o,
        score_r=score_r,
        regrade=regrade,
        rating=rating,
        override=override,
        release=release,
        enrollment=enrollments["student"],
        token=token,
        student=student,
        classmate=people["classmate"],
        grader=grader,
        instructor=people["instructor"],
        removed_grader=people["removed-grader"],
        removed_student=people["removed-student"],
        suite=suite,
        run=run,
        question=question,
        right_choice=right_choice,
        exercise=exercise,
        attempt=attempt,
        exercise_attempt=exercise_attempt,
    )
