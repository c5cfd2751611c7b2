"""A course copied for its next run: its content and projects, none of its people."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from accounts.tests.factories import UserFactory
from autograding.models import TestGroup, TestSuite
from coursesite.dates import shifted_on_the_clock
from grading.models import Criterion, Level, Review, Rubric
from grading.tests.factories import complete_review, grading_world
from lessons.models import Course, Enrollment, LessonAttachment, LessonCompletion
from lessons.tests.factories import EnrollmentFactory, LessonFactory, ModuleFactory
from practice.models import Attempt, Exercise, Question
from practice.services import lesson_practice_sync
from practice.tests.quiz_text import QUIZ
from projects.models import Group, ProjectAssignment, Submission
from projects.tests.factories import ProjectAssignmentFactory

pytestmark = pytest.mark.django_db


def copy_url(course: Course) -> str:
    return reverse("admin:lessons_course_copy", args=[course.pk])


NEW_RUN = {"title": "Python for Web", "slug": "pyweb-2025", "term": "2025-2026", "shift_weeks": 52}


@pytest.fixture
def taught(alice, bob, grace, settings, tmp_path):
    """grading_world's course with a graded project, a lesson with a quiz, an exercise and
    a file, a student's progress and answers, and a test suite tied to a criterion."""
    settings.MEDIA_ROOT = tmp_path
    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world)
    lesson = LessonFactory(
        module=ModuleFactory(course=world.course, order=1, title="Web apps"),
        title="HTTP",
        slug="http",
        body=QUIZ,
    )
    lesson_practice_sync(lesson=lesson)
    attachment = LessonAttachment(lesson=lesson, title="Slides")
    attachment.file.save("slides.pdf", ContentFile(b"%PDF-1.4 slides"), save=True)
    LessonCompletion.objects.create(user=bob, lesson=lesson)
    Attempt.objects.create(user=bob, question=lesson.questions.first(), correct=True, answer="x")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tests/test_app.py", "def test_it():\n    assert True\n")
    suite = TestSuite.objects.create(
        assignment=world.assignment, archive=ContentFile(archive.getvalue(), name="tests.zip")
    )
    TestGroup.objects.create(
        suite=suite, order=1, name="All", patterns="*", criterion=world.correctness
    )
    world.lesson = lesson
    return world


def test_a_course_is_copied_for_a_new_run_without_its_people(client, taught, alice, bob):
    source = taught.course
    before = {
        model: model.objects.count()
        for model in (Enrollment, Group, Submission, Review, LessonCompletion, Attempt)
    }
    client.force_login(alice)
    form = client.get(copy_url(source)).content.decode()
    # Where the page is: the course, then this page.
    assert f'{source}</a></li>\n  <li aria-current="page">Copy for a new run</li>' in form
    page = client.post(copy_url(source), NEW_RUN, follow=True).content.decode()
    copy = Course.objects.get(slug="pyweb-2025")
    assert "is copied as" in page and "It is unpublished" in page
    assert "1 project," in page  # not "1 projects"

    assert (copy.title, copy.term, copy.is_published) == ("Python for Web", "2025-2026", False)
    assert copy.enrollment_key != source.enrollment_key
    # Nobody of the course comes along: its author teaches the copy, alone.
    assert list(Enrollment.objects.filter(course=copy).values_list("user", "role")) == [
        (alice.pk, Role.INSTRUCTOR)
    ]
    for model, lookup in (
        (Group, "assignment__course"),
        (Submission, "group__assignment__course"),
        (Review, "group__assignment__course"),
        (LessonCompletion, "lesson__module__course"),
        (Attempt, "question__lesson__module__course"),
    ):
        assert not model.objects.filter(**{lookup: copy}).exists(), model
    # Its content does, as new rows: lessons, their quiz and exercise, their files.
    lesson = copy.modules.get().lessons.get()
    assert (lesson.title, lesson.body) == ("HTTP", taught.lesson.body)
    assert lesson.pk != taught.lesson.pk
    assert Question.objects.filter(lesson=lesson).count() == taught.lesson.questions.count() > 0
    assert Exercise.objects.filter(lesson=lesson).count() == 1
    attachment = lesson.attachments.get()
    assert attachment.file.name != taught.lesson.attachments.get().file.name
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 slides"
    # Its project, unpublished, a year later, with its rubric and its test suite.
    project = ProjectAssignment.objects.get(course=copy)
    assert not project.is_published
    assert project.due_at == shifted_on_the_clock(taught.assignment.due_at, timedelta(weeks=52))[0]
    assert (
        project.opens_at == shifted_on_the_clock(taught.assignment.opens_at, timedelta(weeks=52))[0]
    )
    rubric = Rubric.objects.get(assignment=project)
    criteria = list(rubric.criteria.order_by("order").values_list("title", "max_points"))
    assert criteria == list(
        taught.rubric.criteria.order_by("order").values_list("title", "max_points")
    )
    correctness = rubric.criteria.get(title="Correctness")
    assert Level.objects.filter(criterion=correctness).count() == 3
    suite = TestSuite.objects.get(assignment=project)
    with suite.archive.open("rb") as handle:
        assert zipfile.ZipFile(handle).namelist() == ["tests/test_app.py"]
    assert suite.groups.get().criterion == correctness  # the copy's, not the source's
    # The source is as it was.
    assert before == {model: model.objects.count() - (model is Enrollment) for model in before}
    assert Criterion.objects.filter(rubric=taught.rubric).count() == 2


def test_a_slug_in_use_is_refused_and_nothing_is_copied(client, taught, alice):
    client.force_login(alice)
    courses = Course.objects.count()
    response = client.post(copy_url(taught.course), {**NEW_RUN, "slug": "PYWEB"})
    assert response.status_code == 200
    assert "already uses this slug" in response.content.decode()
    assert Course.objects.count() == courses


def test_the_same_copy_sent_twice_at_once_makes_one_and_tells_the_other(taught, alice):
    """Two posts of the copy form at once both pass the form's slug check; the second
    save was a server error (probe 36: 500, 302, 500)."""
    from django.core.exceptions import ValidationError

    from lessons.services import course_copy

    first = course_copy(
        course=taught.course, by=alice, title="Next", slug="pyweb-next", term="", shift=timedelta()
    )
    courses, enrollments = Course.objects.count(), Enrollment.objects.count()
    with pytest.raises(ValidationError) as refused:  # the second post, its check passed
        course_copy(
            course=taught.course,
            by=alice,
            title="Next",
            slug="pyweb-next",
            term="",
            shift=timedelta(),
        )
    assert refused.value.message_dict == {
        "slug": ["Another course already uses this slug (in any capitals)."]
    }
    assert (Course.objects.count(), Enrollment.objects.count()) == (courses, enrollments)
    assert first.course.modules.count() == taught.course.modules.count()


def test_the_copy_form_explains_each_name_of_the_new_run(client, taught, alice):
    client.force_login(alice)
    page = client.get(copy_url(taught.course)).content.decode()
    assert "As students will see it" in page
    assert "/courses/&lt;slug&gt;/: lowercase letters, digits and hyphens" in page
    assert "such as 2025-2026" in page


def test_only_the_courses_teachers_copy_it(client, taught, bob, grace):
    stranger = UserFactory(username="bea")
    EnrollmentFactory(user=stranger, course=Course.objects.create(slug="db"), role=Role.INSTRUCTOR)
    courses = Course.objects.count()
    client.force_login(stranger)  # another course's instructor
    assert client.get(copy_url(taught.course)).status_code == 404
    assert client.post(copy_url(taught.course), NEW_RUN).status_code == 404
    for person in (bob, grace):  # its student and its grader: no back office at all
        client.force_login(person)
        response = client.post(copy_url(taught.course), NEW_RUN)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Course.objects.count() == courses


def test_a_copy_keeps_the_time_of_day_of_deadlines_across_summer_time(taught, client, alice):
    """Moved in UTC, a Friday 23:59 CET deadline copied 26 weeks on was Saturday 00:59
    CEST, and 09:00 openings 10:00."""
    zone = ZoneInfo("Europe/Brussels")
    ProjectAssignment.objects.filter(pk=taught.assignment.pk).update(
        opens_at=datetime(2026, 11, 2, 9, 0, tzinfo=zone),
        due_at=datetime(2026, 12, 18, 23, 59, tzinfo=zone),
    )
    client.force_login(alice)
    response = client.post(copy_url(taught.course), {**NEW_RUN, "shift_weeks": 26})
    assert response.status_code == 302
    project = ProjectAssignment.objects.get(course__slug=NEW_RUN["slug"])
    assert project.due_at.astimezone(zone) == datetime(2027, 6, 18, 23, 59, tzinfo=zone)
    assert project.opens_at.astimezone(zone) == datetime(2027, 5, 3, 9, 0, tzinfo=zone)


def test_a_date_falling_on_a_clock_change_night_moves_after_the_change_and_says_so(
    taught, client, alice
):
    """Copied a week on, 02:30 fell where the clocks skip or repeat it: the copy kept
    02:30 CEST, whose project the back office then refused to save, turned a skipped
    02:30 into 03:30 without a word, and a project opening 02:30 and due 03:15 that
    night was a server error (probe 66)."""
    zone = ZoneInfo("Europe/Brussels")
    ProjectAssignment.objects.filter(pk=taught.assignment.pk).update(
        opens_at=datetime(2026, 10, 1, 9, 0, tzinfo=zone),
        due_at=datetime(2026, 10, 18, 2, 30, tzinfo=zone),  # a week before the clocks go back
    )
    ProjectAssignmentFactory(
        course=taught.course,
        title="Short night",
        opens_at=datetime(2027, 3, 21, 2, 30, tzinfo=zone),  # a week before they go forward
        due_at=datetime(2027, 3, 21, 3, 15, tzinfo=zone),
    )
    client.force_login(alice)
    response = client.post(copy_url(taught.course), {**NEW_RUN, "shift_weeks": 1}, follow=True)
    assert response.status_code == 200
    copied = ProjectAssignment.objects.filter(course__slug=NEW_RUN["slug"])
    autumn = copied.get(slug=taught.assignment.slug)
    assert autumn.due_at == datetime(2026, 10, 25, 3, 0, tzinfo=zone)  # once, CET
    short = copied.get(title="Short night")
    assert short.opens_at.astimezone(zone).replace(tzinfo=None) == datetime(2027, 3, 28, 3, 0)
    assert short.due_at.astimezone(zone).replace(tzinfo=None) == datetime(2027, 3, 28, 3, 15)
    warnings = [str(m) for m in response.context["messages"] if m.level == 30]
    assert warnings[:2] == [
        f"“{autumn.title}” is due at Sun 25 Oct 2026, 03:00 CET: its time of day does not "
        "happen once that night (the clocks change), so it moved out of the changed hour.",
        "“Short night” opens at Sun 28 Mar 2027, 03:00 CEST: its time of day does not happen "
        "once that night (the clocks change), so it moved out of the changed hour.",
    ]
    # Moved by one week only, the first is due before today (2026-12-07 or later).
    [passed] = warnings[2:]
    assert passed.startswith("The deadline") and f"“{autumn.title}”" in passed
    # The copied project saves in the back office as it stands, published.
    change = reverse("admin:projects_projectassignment_change", args=[autumn.pk])
    data = form_data(client.get(change).content.decode(), "projectassignment_form")
    assert client.post(change, {**data, "is_published": "on"}).status_code == 302
    autumn.refresh_from_db()
    assert autumn.is_published and autumn.due_at == datetime(2026, 10, 25, 3, 0, tzinfo=zone)


@pytest.mark.parametrize(
    ("day", "opens", "due"),
    [
        # Spring: 02:10-02:50 does not exist; autumn: it happens twice.
        (datetime(2027, 3, 21), datetime(2027, 3, 28, 1, 59), datetime(2027, 3, 28, 3, 0)),
        (datetime(2026, 10, 18), datetime(2026, 10, 25, 1, 59), datetime(2026, 10, 25, 3, 0)),
    ],
)
def test_a_project_opening_and_due_in_the_changed_hour_opens_before_it(
    taught, client, alice, day, opens, due
):
    """Copied onto a change's night, 02:10 to 02:50 was a server error (spring) or an
    opening at 02:20 CEST in the repeated hour, which the back office refused (probe 70)."""
    zone = ZoneInfo("Europe/Brussels")
    ProjectAssignment.objects.filter(pk=taught.assignment.pk).update(
        opens_at=day.replace(hour=2, minute=10, tzinfo=zone),
        due_at=day.replace(hour=2, minute=50, tzinfo=zone),
    )
    client.force_login(alice)
    response = client.post(copy_url(taught.course), {**NEW_RUN, "shift_weeks": 1}, follow=True)
    assert response.status_code == 200
    copied = ProjectAssignment.objects.get(course__slug=NEW_RUN["slug"])
    assert copied.opens_at.astimezone(zone).replace(tzinfo=None) == opens
    assert copied.due_at.astimezone(zone).replace(tzinfo=None) == due
    change = reverse("admin:projects_projectassignment_change", args=[copied.pk])
    data = form_data(client.get(change).content.decode(), "projectassignment_form")
    assert client.post(change, data).status_code == 302  # saves as it stands


def test_a_student_in_two_runs_of_one_title_tells_them_apart(client, taught, alice, bob):
    """Probe 49: the projects list, search, feedback and regrade lists named both runs
    by the same title; each is named with its term now, as the dashboard does."""
    source = taught.course
    Course.objects.filter(pk=source.pk).update(term="2024-2025", is_published=True)
    client.force_login(alice)
    client.post(copy_url(source), {**NEW_RUN, "title": source.title}, follow=True)
    copy = Course.objects.get(slug="pyweb-2025")
    Course.objects.filter(pk=copy.pk).update(is_published=True)
    copy.modules.update(is_published=True)
    ProjectAssignment.objects.filter(course=copy).update(is_published=True)
    EnrollmentFactory(user=bob, course=copy)
    client.force_login(bob)
    projects = client.get(reverse("projects:mine")).content.decode()
    found = client.get(reverse("lessons:search"), {"q": "HTTP"}).content.decode()
    for page in (projects, found):
        assert f"{source.title} (2024-2025)" in page
        assert f"{source.title} (2025-2026)" in page


def test_a_copy_that_fails_leaves_no_file_behind(client, taught, alice, settings):
    """Probe 49: a copy stopped by the test suite's lost zip wrote no row, but the lesson
    files it had copied before stayed on disk, in a folder a later lesson could get."""
    from pathlib import Path

    suite = TestSuite.objects.get(assignment=taught.assignment)
    suite.archive.storage.delete(suite.archive.name)
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    client.force_login(alice)
    page = client.post(copy_url(taught.course), NEW_RUN).content.decode()
    assert "has lost its zip on the server, so nothing was copied" in page
    assert not Course.objects.filter(slug=NEW_RUN["slug"]).exists()
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before


def test_a_hurried_next_run_is_told_what_it_left_undone(client, taught, alice):
    """Probe 106: copying twice made two runs that read alike in every list; a copy whose
    dates were not moved had a passed deadline, unsaid; publishing the copy left its
    project a draft, unsaid."""
    client.force_login(alice)
    source = taught.course
    same = {**NEW_RUN, "shift_weeks": 0}
    page = client.post(copy_url(source), same, follow=True).content.decode()
    assert "The deadline of the copied project “Blog engine” has already passed" in (unescape(page))
    again = client.post(copy_url(source), {**same, "slug": "pyweb-2025-b"})
    assert again.status_code == 200
    assert "“Python for Web (2025-2026)” exists already (at /courses/pyweb-2025/)" in unescape(
        again.content.decode()
    )
    # Nor with the spaces, the dash or the digits typed otherwise (probes 107, 108).
    for number, (title, term) in enumerate(
        [("Python  for web", "2025 – 2026"), ("Python\u200b for Web", "２０２５－２０２６")]
    ):
        typed = {**same, "slug": f"pyweb-typed-{number}", "title": title, "term": term}
        assert client.post(copy_url(source), typed).status_code == 200, (title, term)
    assert not Course.objects.filter(slug__startswith="pyweb-typed").exists()
    assert not Course.objects.filter(slug="pyweb-2025-b").exists()
    # Another term is another run.
    other = client.post(copy_url(source), {**NEW_RUN, "slug": "pyweb-2026", "term": "2026-2027"})
    assert other.status_code == 302

    copy = Course.objects.get(slug="pyweb-2025")
    change = reverse("admin:lessons_course_change", args=[copy.pk])
    data = form_data(client.get(change).content.decode(), "course_form")
    data["is_published"] = ["on"]
    # A draft module published in the same save is not said to be a draft (probe 108).
    copy.modules.update(is_published=False)
    for name in list(data):
        if name.startswith("modules-") and name.endswith("-title"):
            data[name.replace("-title", "-is_published")] = ["on"]
    page = unescape(client.post(change, data, follow=True).content.decode())
    assert "Students do not see it all yet: 1 project of it is still a draft." in page
    assert "module" not in page.split("Students do not see it all yet:")[1].split("</li>")[0]
