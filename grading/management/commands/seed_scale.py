"""Build a realistic course at scale for the benchmark: ``seed_scale --students N``.

The demo course (imported with ``course_import`` if missing), N students enrolled with
random progress and the lessons' quizzes answered up to it (a wrong try first now and
then; an exercise tried in every other completed lesson), one group project with
groups of 4, one zipped submission per group, reviews with scores for half of the
groups, and graders (one per 25 reviews, as a course hires teaching assistants in
proportion to its students).

Idempotent: every row has a deterministic key (usernames ``bench-student`` and
``scale-student-00001``…, group ``Team 00001``…), so re-running with the same N
finds everything in place and writes nothing; a larger N adds the missing rows only.
Every table is filled with ``bulk_create`` (no ``save()`` per row), so history rows
(django-simple-history) are not written for the seeded reviews and scores.

The known accounts are ``bench-student``, ``bench-grader`` and ``bench-instructor``;
all seeded accounts share BENCH_PASSWORD, hashed once.
"""

from __future__ import annotations

import hashlib
import io
import random
import time
import zipfile
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Role, User
from grading.models import Criterion, CriterionScore, Level, Review, ReviewStatus, Rubric
from lessons.models import Course, Enrollment, Lesson, LessonCompletion
from lessons.rendering import markdown_to_html
from lessons.services import course_import
from practice.models import Attempt, Choice, Exercise, ExerciseAttempt, Kind, Question
from projects.models import Group, GroupMembership, ProjectAssignment, Submission

BENCH_PASSWORD = "bench-password-not-a-secret"  # noqa: S105 - scale data only
DEMO_COURSE = settings.BASE_DIR / "courses" / "python-web-development"
COURSE_SLUG = "python-web-development"
ASSIGNMENT_SLUG = "scale-project"
GROUP_SIZE = 4
REVIEWS_PER_GRADER = 25
SEED = 20250601
BATCH = 2000
# Three criteria of 10 points, each with three levels.
CRITERIA = [("Correctness", "It works."), ("Design", "It is well built."), ("Style", "It reads.")]
LEVELS = [("Excellent", Decimal("10")), ("Good", Decimal("7")), ("Weak", Decimal("3"))]


def student_name(index: int) -> str:
    return "bench-student" if index == 0 else f"scale-student-{index:05d}"


def grader_name(index: int) -> str:
    return "bench-grader" if index == 0 else f"scale-grader-{index:03d}"


def group_name(index: int) -> str:
    return f"Team {index + 1:05d}"


def source_archive() -> bytes:
    """Return a zip of a small Flask project: three dozen source files of a few lines."""
    files = {"README.md": "# Team project\n\nRun `flask --app app run`.\n"}
    for package in ("app", "app/models", "app/views", "tests"):
        for number in range(9):
            files[f"{package}/module_{number}.py"] = "".join(
                f'def handler_{number}_{line}(request):\n    """Answer request {line}."""\n'
                f'    return {{"status": "ok", "line": {line}}}\n\n'
                for line in range(12)
            )
    files["templates/base.html"] = "<!doctype html>\n<title>{{ title }}</title>\n" * 5
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Build (or grow) scale data for the benchmark: N students in the demo course."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--students", type=int, required=True, help="number of students")

    def handle(self, *args, students: int, **options) -> None:
        started = time.monotonic()
        self.verbosity = options.get("verbosity", 1)
        with transaction.atomic():
            counts = self.build(max(1, students))
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum keeps them on a database in use: planned on
            # the empty tables' estimates, the grader queue took 550 ms instead of 6 ms.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        summary = ", ".join(f"{n:,} {name}" for name, n in counts.items() if n)
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data for {students:,} students ready in {time.monotonic() - started:.1f} s"
                f" ({'added ' + summary if summary else 'nothing to add'})."
            )
        )

    def log(self, message: str) -> None:
        if self.verbosity > 1:
            self.stdout.write(message)

    # The whole build, one step per table; each step creates only the missing rows.
    def build(self, students: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        course = Course.objects.filter(slug=COURSE_SLUG).first()
        if course is None:
            course = course_import(path=DEMO_COURSE).course
            counts["courses"] = 1
        lessons = list(Lesson.objects.published().filter(module__course=course).in_course_order())
        assignment, rubric, criteria = self.assignment(course, counts)
        password = make_password(BENCH_PASSWORD)  # hashed once, shared by every account

        group_count = -(-students // GROUP_SIZE)
        review_count = -(-group_count // 2)  # groups 0, 2, 4… are reviewed
        grader_count = max(1, -(-review_count // REVIEWS_PER_GRADER))
        student_names = [student_name(i) for i in range(students)]
        grader_names = [grader_name(j) for j in range(grader_count)]
        users = self.users(password, ["bench-instructor"], student_names, grader_names, counts)
        new_students = self.enrollments(course, users, student_names, grader_names, lessons, counts)
        self.completions(users, student_names, new_students, lessons, counts)
        self.attempts(users, student_names, new_students, lessons, counts)
        groups = self.groups(assignment, group_count, counts)
        self.memberships(assignment, groups, users, student_names, counts)
        submissions = self.submissions(assignment, groups, users, student_names, counts)
        self.reviews(groups, submissions, users, grader_names, criteria, counts)
        return counts

    def assignment(self, course: Course, counts: dict[str, int]):
        assignment = ProjectAssignment.objects.filter(course=course, slug=ASSIGNMENT_SLUG).first()
        if assignment is None:
            now = timezone.now().replace(microsecond=0)
            assignment = ProjectAssignment.objects.create(
                course=course,
                slug=ASSIGNMENT_SLUG,
                title="Team web application",
                brief="Build a small Flask or Django application **in a team of four**.",
                opens_at=now - timedelta(days=30),
                due_at=now - timedelta(days=2),
                min_group_size=1,
                max_group_size=GROUP_SIZE,
                is_published=True,
            )
            counts["assignments"] = 1
        rubric, created = Rubric.objects.get_or_create(assignment=assignment)
        if created:
            for order, (title, description) in enumerate(CRITERIA, start=1):
                criterion = Criterion.objects.create(
                    rubric=rubric,
                    order=order,
                    title=title,
                    description=description,
                    max_points=Decimal("10"),
                )
                Level.objects.bulk_create(
                    Level(criterion=criterion, label=label, points=points)
                    for label, points in LEVELS
                )
        return assignment, rubric, list(rubric.criteria.order_by("order", "pk"))

    def users(self, password, instructors, students, graders, counts) -> dict[str, int]:
        wanted = [*instructors, *students, *graders]
        existing = dict(User.objects.filter(username__in=wanted).values_list("username", "pk"))
        missing = [
            User(
                username=name,
                email=f"{name}@bench.invalid",
                password=password,
                display_name=name.replace("-", " ").title(),
            )
            for name in wanted
            if name not in existing
        ]
        User.objects.bulk_create(missing, batch_size=BATCH)
        counts["users"] = len(missing)
        if missing:
            existing = dict(User.objects.filter(username__in=wanted).values_list("username", "pk"))
        return existing

    def progress(self, index: int, lessons: list[Lesson]) -> int:
        """Return how many lessons student INDEX completed (same answer every run)."""
        # A seeded generator: reproducible scale data, not cryptography.
        return random.Random(SEED + index).randint(0, len(lessons))  # noqa: S311

    def enrollments(self, course, users, students, graders, lessons, counts) -> set[str]:
        enrolled = set(
            Enrollment.objects.filter(course=course).values_list("user__username", flat=True)
        )
        rows, new_students = [], set()
        for index, name in enumerate(students):
            if name in enrolled:
                continue
            done = self.progress(index, lessons)
            last = lessons[done - 1] if done else None
            rows.append(
                Enrollment(user_id=users[name], course=course, role=Role.STUDENT, last_lesson=last)
            )
            new_students.add(name)
        rows += [
            Enrollment(user_id=users[name], course=course, role=role)
            for name, role in [("bench-instructor", Role.INSTRUCTOR)]
            + [(grader, Role.GRADER) for grader in graders]
            if name not in enrolled
        ]
        Enrollment.objects.bulk_create(rows, batch_size=BATCH)
        counts["enrollments"] = len(rows)
        return new_students

    def completions(self, users, students, new_students, lessons, counts) -> None:
        # Only for students enrolled in this run: their progress is drawn once.
        total = 0
        batch: list[LessonCompletion] = []
        for index, name in enumerate(students):
            if name not in new_students:
                continue
            for lesson in lessons[: self.progress(index, lessons)]:
                batch.append(LessonCompletion(user_id=users[name], lesson=lesson))
            if len(batch) >= 10 * BATCH:
                LessonCompletion.objects.bulk_create(batch, batch_size=BATCH)
                total += len(batch)
                batch = []
        LessonCompletion.objects.bulk_create(batch, batch_size=BATCH)
        counts["lesson completions"] = total + len(batch)

    def attempts(self, users, students, new_students, lessons, counts) -> None:
        """Answer the quizzes of each new student's completed lessons, as they would have
        (every question right in the end, a wrong try first one time in four), and try
        the exercises of every other one: the lesson pages read real answers."""
        questions = defaultdict(list)
        for question in Question.objects.filter(lesson__in=lessons).order_by("position", "pk"):
            questions[question.lesson_id].append(question)
        choices = defaultdict(lambda: ([], []))  # question id: (right ids, wrong ids)
        for choice in Choice.objects.filter(question__lesson__in=lessons).order_by("pk"):
            choices[choice.question_id][0 if choice.correct else 1].append(choice.pk)
        exercises = defaultdict(list)
        for exercise in Exercise.objects.filter(lesson__in=lessons).order_by("position", "pk"):
            exercises[exercise.lesson_id].append(exercise)
        answers, picked, tries = [], [], []
        for index, name in enumerate(students):
            if name not in new_students:
                continue
            rng = random.Random(SEED * 3 + index)  # noqa: S311 - reproducible data
            for number, lesson in enumerate(lessons[: self.progress(index, lessons)]):
                for question in questions[lesson.pk]:
                    right, wrong = choices[question.pk]
                    tried = [False, True] if rng.random() < 0.25 else [True]
                    for correct in tried:
                        answers.append(
                            Attempt(
                                question=question,
                                user_id=users[name],
                                answer=self._typed(question, correct),
                                correct=correct,
                            )
                        )
                        ids = right if correct else wrong[:1]
                        if question.kind == Kind.SINGLE:
                            ids = ids[:1]
                        picked.append(ids if question.kind in (Kind.SINGLE, Kind.MULTIPLE) else [])
                if number % 2 == 0:
                    tries += [
                        ExerciseAttempt(
                            exercise=exercise,
                            user_id=users[name],
                            code=exercise.starter + "\n# my solution\nprint('done')\n",
                        )
                        for exercise in exercises[lesson.pk]
                    ]
        Attempt.objects.bulk_create(answers, batch_size=BATCH)
        through = Attempt.choices.through
        through.objects.bulk_create(
            (
                through(attempt_id=attempt.pk, choice_id=choice_id)
                for attempt, ids in zip(answers, picked, strict=True)
                for choice_id in ids
            ),
            batch_size=BATCH,
        )
        ExerciseAttempt.objects.bulk_create(tries, batch_size=BATCH)
        counts["quiz answers"] = len(answers)
        counts["exercise attempts"] = len(tries)

    @staticmethod
    def _typed(question: Question, correct: bool) -> str:
        """What a student types for a question that takes text (blank for choices)."""
        if question.kind == Kind.NUMBER:
            return str(question.answer) if correct else "0"
        if question.kind == Kind.TEXT:
            accepted = question.accepted_answers or [""]
            return str(accepted[0]) if correct else "no idea"
        if question.kind == Kind.OUTPUT:
            return question.output if correct else "Error"
        return ""

    def groups(self, assignment, group_count, counts) -> list[Group]:
        existing = {g.name: g for g in Group.objects.filter(assignment=assignment)}
        missing = [
            Group(assignment=assignment, name=group_name(i))
            for i in range(group_count)
            if group_name(i) not in existing
        ]
        Group.objects.bulk_create(missing, batch_size=BATCH)
        counts["groups"] = len(missing)
        if missing:
            existing = {g.name: g for g in Group.objects.filter(assignment=assignment)}
        return [existing[group_name(i)] for i in range(group_count)]

    def memberships(self, assignment, groups, users, students, counts) -> None:
        placed = set(
            GroupMembership.objects.filter(assignment=assignment).values_list(
                "student_id", flat=True
            )
        )
        rows = [
            GroupMembership(
                group=groups[index // GROUP_SIZE], assignment=assignment, student_id=users[name]
            )
            for index, name in enumerate(students)
            if users[name] not in placed
        ]
        GroupMembership.objects.bulk_create(rows, batch_size=BATCH)
        counts["group memberships"] = len(rows)

    def submissions(self, assignment, groups, users, students, counts) -> dict[int, Submission]:
        existing = {s.group_id: s for s in Submission.objects.filter(group__assignment=assignment)}
        missing = [(i, g) for i, g in enumerate(groups) if g.pk not in existing]
        if missing:
            # One stored archive shared by every seeded version (see docs/performance.md):
            # the viewer reads it as it reads any upload; the disk holds 20 KB, not N/4 files.
            data = source_archive()
            name = f"submissions/{assignment.pk}/bench-{SEED}.zip"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(data))
            digest = hashlib.sha256(data).hexdigest()
            rows = [
                Submission(
                    group=group,
                    version=1,
                    submitted_by_id=users[student_name(index * GROUP_SIZE)],
                    submitted_at=assignment.due_at - timedelta(hours=1 + index % 72),
                    archive=name,
                    archive_name="team-project.zip",
                    archive_size=len(data),
                    sha256=digest,
                )
                for index, group in missing
            ]
            Submission.objects.bulk_create(rows, batch_size=BATCH)
            existing = {
                s.group_id: s for s in Submission.objects.filter(group__assignment=assignment)
            }
        counts["submissions"] = len(missing)
        return existing

    def reviews(self, groups, submissions, users, graders, criteria, counts) -> None:
        reviewed = set(
            Review.objects.filter(group__in=[g.pk for g in groups]).values_list(
                "group_id", flat=True
            )
        )
        feedback = "Solid work. **Tests** would make the next change safer."
        feedback_html = markdown_to_html(feedback)
        now = timezone.now()
        rows, planned = [], []
        for index in range(0, len(groups), 2):
            group = groups[index]
            if group.pk in reviewed:
                continue
            k = index // 2
            status = [ReviewStatus.COMPLETED, ReviewStatus.DRAFT, ReviewStatus.TODO][k % 3]
            rng = random.Random(SEED * 7 + index)  # noqa: S311
            points = (
                [Decimal(rng.choice(["10", "7", "3", "8.5"])) for _ in criteria]
                if status != ReviewStatus.TODO
                else []
            )
            if status == ReviewStatus.DRAFT:
                points = points[:-1]  # a draft leaves the last criterion blank
            rows.append(
                Review(
                    group=group,
                    submission=submissions[group.pk],
                    grader_id=users[graders[k // REVIEWS_PER_GRADER]],
                    status=status,
                    overall_feedback=feedback if status == ReviewStatus.COMPLETED else "",
                    overall_feedback_html=feedback_html if status == ReviewStatus.COMPLETED else "",
                    total=sum(points, Decimal(0)),
                    completed_at=now if status == ReviewStatus.COMPLETED else None,
                )
            )
            planned.append(points)
        Review.objects.bulk_create(rows, batch_size=BATCH)
        counts["reviews"] = len(rows)
        if rows and rows[0].pk is None:  # backends that return no ids (none we support)
            by_group = dict(
                Review.objects.filter(group__in=[r.group_id for r in rows]).values_list(
                    "group_id", "pk"
                )
            )
            for review in rows:
                review.pk = by_group[review.group_id]
        scores = [
            CriterionScore(review_id=review.pk, criterion=criterion, points=value, comment="")
            for review, points in zip(rows, planned, strict=True)
            for criterion, value in zip(criteria, points, strict=False)
        ]
        CriterionScore.objects.bulk_create(scores, batch_size=BATCH)
        counts["criterion scores"] = len(scores)
        # As assigning its grader does (grading.services.grader_assign): the group's
        # version graded is fixed, which "lock when grading starts" reads (probe 101: the
        # seeded groups with completed reviews still took new versions).
        started = [review.group_id for review in rows]  # assigning a grader starts it
        graded = Review.objects.filter(group=OuterRef("pk")).values("submission_id")[:1]
        Group.objects.filter(pk__in=started).update(
            grading_started_at=now, graded_submission_id=Subquery(graded)
        )
