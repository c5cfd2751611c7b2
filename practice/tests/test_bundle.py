"""Questions and exercises travel in course bundles: file:line errors, upserts, round trips."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from lessons.bundle import BundleError
from lessons.models import Lesson
from lessons.services import course_export, course_import
from lessons.tests.factories import EnrollmentFactory
from practice import syntax
from practice.models import Attempt, Choice, Exercise, Question

from .quiz_text import QUIZ, lesson_change_data

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "courses" / "python-web-development"
FIRST_LESSON = "01-introduction-to-web-applications/01-what-is-a-web-application.md"
# The demo's one question and one exercise (the course's own quizzes are written apart).
DEMO_PRACTICE = """
```question
id: http-verb
kind: single
prompt: Which method reads a page?
choices:
  - text: GET
    correct: true
    feedback: GET reads.
  - text: POST
explanation: GET is for reading.
```

````exercise
id: first-page
title: Your first page
task: Write a page that says hello.
expected: A page with "Hello".
solution: |
  ```html
  <p>Hello</p>
  ```
````
"""


# A question or exercise fence of the course's own lessons, up to its matching close.
PRACTICE_FENCE = re.compile(r"^(`{3,})(?:question|exercise)[ \t]*\n.*?^\1[ \t]*\n", re.M | re.S)


def demo_with_practice(tmp_path: Path, extra: str = DEMO_PRACTICE) -> tuple[Path, Path]:
    """The demo course with its own quizzes taken out and EXTRA added to its first lesson."""
    root = tmp_path / "python-web-development"
    shutil.copytree(DEMO, root)
    for path in root.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(PRACTICE_FENCE.sub("", text), encoding="utf-8")
    lesson = root / FIRST_LESSON
    lesson.write_text(lesson.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return root, lesson


def rows(course) -> list[tuple]:
    questions = Question.objects.filter(lesson__module__course=course).order_by(
        "lesson__slug", "position"
    )
    exercises = Exercise.objects.filter(lesson__module__course=course).order_by(
        "lesson__slug", "position"
    )
    return [
        *(
            (
                q.lesson.slug, q.slug, q.kind, q.position, q.prompt_html, q.answer, q.tolerance,
                q.accepted_answers, q.code_html, q.output, q.explanation_html,
                [(c.position, c.text_html, c.correct, c.feedback_html) for c in q.choices.all()],
            )
            for q in questions
        ),
        *(
            (e.lesson.slug, e.slug, e.title, e.task_html, e.starter, e.expected_html,
             e.solution_html)
            for e in exercises
        ),
    ]  # fmt: skip


def lessons(course) -> list[tuple]:
    return list(
        Lesson.objects.filter(module__course=course)
        .order_by("slug")
        .values_list("slug", "title", "body", "body_html", "quiz_required", "quiz_pass_mark")
    )


def test_the_demo_course_with_a_quiz_round_trips_import_export_import(tmp_path):
    root, _ = demo_with_practice(tmp_path)
    first = course_import(path=root).course
    assert Question.objects.count() == 1 and Exercise.objects.count() == 1
    html = Lesson.objects.get(questions__isnull=False).body_html
    assert "http-verb" not in html and "kind: single" not in html
    out = tmp_path / "out" / "python-web-development"
    course_export(course=first, path=out)
    second = course_import(path=out, slug="copy").course
    assert rows(second) == rows(first) and len(rows(first)) == 2
    assert ">Hello<" in rows(first)[1][-1]  # the solution keeps its own code block
    assert [row[1:] for row in lessons(second)] == [row[1:] for row in lessons(first)]
    # And the copy exports the same files again, byte for byte.
    again = tmp_path / "again" / "python-web-development"
    course_export(course=second, path=again)
    for path in out.rglob("*.md"):
        if path.name != "course.md":
            assert (again / path.relative_to(out)).read_bytes() == path.read_bytes(), path
    # A second import of the same bundle changes nothing.
    report = course_import(path=out, slug="copy")
    assert not report.changed


def test_quiz_settings_travel_in_the_front_matter(tmp_path):
    root, lesson = demo_with_practice(tmp_path)
    text = lesson.read_text(encoding="utf-8")
    settings = "quiz_required: true\nquiz_pass_mark: 50\nquiz_max_tries: 3\n"
    lesson.write_text(text.replace("---\n", "---\n" + settings, 1))
    course = course_import(path=root).course
    imported = Lesson.objects.get(questions__isnull=False)
    assert (imported.quiz_required, imported.quiz_pass_mark, imported.quiz_max_tries) == (
        True,
        50,
        3,
    )
    out = tmp_path / "out" / "c"
    course_export(course=course, path=out)
    exported = next(out.rglob(Path(FIRST_LESSON).name)).read_text()
    assert "quiz_required: true\n" in exported and "quiz_pass_mark: 50\n" in exported
    assert "quiz_max_tries: 3\n" in exported
    # No limit is the default: left out of the file, and taken away on the next import.
    lesson.write_text(text)
    course_import(path=root)
    assert Lesson.objects.get(pk=imported.pk).quiz_max_tries is None


@pytest.mark.parametrize("tries", [0, 100, -1])
def test_a_number_of_tries_out_of_range_is_refused(tmp_path, tries):
    root, lesson = demo_with_practice(tmp_path)
    lesson.write_text(lesson.read_text().replace("---\n", f"---\nquiz_max_tries: {tries}\n", 1))
    with pytest.raises(BundleError) as caught:
        course_import(path=root)
    label = f"python-web-development/{FIRST_LESSON}:2"
    expected = (
        f"{label}: quiz_max_tries must be a whole number, not -1"
        if tries < 0
        else f"{label}: quiz_max_tries is the number of answers to each question, 1 to 99 "
        f"(leave it out for no limit), not {tries}"
    )
    assert caught.value.errors == [expected]
    assert not Lesson.objects.exists()


def test_a_broken_block_is_reported_with_file_and_line_and_nothing_is_written(tmp_path):
    broken = "\n```question\nid: bad\nkind: single\nprompt: P\nchoices: 3\n```\n"
    root, lesson = demo_with_practice(tmp_path, DEMO_PRACTICE + broken)
    choices_line = lesson.read_text(encoding="utf-8").split("\n").index("choices: 3") + 1
    with pytest.raises(BundleError) as caught:
        course_import(path=root)
    label = f"python-web-development/{FIRST_LESSON}"
    assert caught.value.errors == [
        f"{label}:{choices_line}: choices must be a list of '- text: ...' items, not 3"
    ]
    assert not Question.objects.exists() and not Lesson.objects.exists()


def test_a_pass_mark_over_100_is_refused(tmp_path):
    root, lesson = demo_with_practice(tmp_path)
    lesson.write_text(lesson.read_text().replace("---\n", "---\nquiz_pass_mark: 120\n", 1))
    with pytest.raises(BundleError) as caught:
        course_import(path=root)
    assert caught.value.errors == [
        f"python-web-development/{FIRST_LESSON}:2: quiz_pass_mark is a percentage, "
        "at most 100, not 120"
    ]


def test_reimport_updates_by_id_keeps_attempts_and_deletes_what_vanished(tmp_path, bob):
    root, lesson = demo_with_practice(tmp_path)
    course = course_import(path=root).course
    question = Question.objects.get()
    choice = question.choices.get(correct=True)
    Attempt.objects.create(question=question, user=bob, correct=True).choices.set([choice])
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(
        text.replace("Which method reads a page?", "Which method reads?").split("```exercise")[0]
    )
    course_import(path=root)
    question.refresh_from_db()
    assert question.prompt == "Which method reads?"
    assert Attempt.objects.get().choices.get() == Choice.objects.get(pk=choice.pk)
    assert not Exercise.objects.exists()  # gone from the Markdown, gone here
    lesson.write_text(text.split("```question")[0])
    with pytest.raises(BundleError, match="which students answered"):  # asked first
        course_import(path=root)
    assert Attempt.objects.exists()
    course_import(path=root, delete_answers=True)
    assert not Question.objects.exists() and not Attempt.objects.exists()
    assert course.pk == Lesson.objects.first().module.course_id


def test_a_lesson_saved_from_a_browser_keeps_its_blocks(client, alice):
    # A browser ends a text box's lines with CRLF: "```\r" closed no code block, so the
    # first one swallowed the quiz after it. Saving the lesson unchanged deleted its
    # questions (and their attempts), the page showed their answers as code, and a
    # broken block was saved without a word.
    from lessons.tests.factories import LessonFactory

    body = "Intro.\n\n```python\nprint('hi')\n```\n\n" + QUIZ
    lesson_obj = LessonFactory(body=body)
    EnrollmentFactory(user=alice, course=lesson_obj.module.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[lesson_obj.pk])
    # Only the minutes changed, as a browser posts the page: lines end with CRLF.
    data = lesson_change_data(lesson_obj, body.replace("\n", "\r\n"), estimated_minutes="26")
    assert client.post(url, data).status_code == 302
    assert Question.objects.filter(lesson=lesson_obj).count() == 5
    assert Exercise.objects.filter(lesson=lesson_obj).count() == 1
    lesson_obj.refresh_from_db()
    assert "\r" not in lesson_obj.body
    assert "```question" not in lesson_obj.body_html and "correct:" not in lesson_obj.body_html
    broken = data["body"].replace("tolerance: 0.5", "tolerance: lots")
    response = client.post(url, {**data, "body": broken})
    assert response.status_code == 200 and "tolerance must be a number" in response.content.decode()
    # Text from elsewhere with CRLF (the API, an import) is read the same way.
    crlf = body.replace("\n", "\r\n")
    assert len(syntax.parse(crlf).questions) == 5 and not syntax.parse(crlf).problems
    assert "```question" not in syntax.strip_blocks(crlf)


def test_the_lesson_admin_stores_the_blocks_and_names_the_line_of_a_broken_one(client, alice):
    lesson_obj = None
    from lessons.tests.factories import LessonFactory

    lesson_obj = LessonFactory()
    EnrollmentFactory(user=alice, course=lesson_obj.module.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[lesson_obj.pk])
    data = lesson_change_data(lesson_obj, QUIZ)
    assert client.post(url, data).status_code == 302
    assert Question.objects.filter(lesson=lesson_obj).count() == 5
    assert Exercise.objects.filter(lesson=lesson_obj).count() == 1
    broken = QUIZ.replace("tolerance: 0.5", "tolerance: lots")
    line = broken.split("\n").index("tolerance: lots") + 1
    response = client.post(url, {**data, "body": broken})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Quiz or exercise block, line {line}: tolerance must be a number" in page
    lesson_obj.refresh_from_db()
    assert lesson_obj.body.strip() == QUIZ.strip()  # the broken version was not saved
    data["body"] = "No more quiz."
    assert client.post(url, data).status_code == 302
    assert not Question.objects.filter(lesson=lesson_obj).exists()


def test_the_courses_expected_results_show_their_html_as_text():
    # An expected result written as bare HTML was rendered as HTML: students saw a
    # paragraph and an italic "Ada" instead of the exact output to match.
    course_import(path=DEMO)
    exercises = Exercise.objects.all()
    assert exercises.count() >= 30
    tags = re.compile(r"<(/?)([a-z0-9]+)")
    markdown_tags = {"p", "pre", "code", "span", "div", "ul", "ol", "li", "em", "strong", "a"}
    for exercise in exercises:
        shown = {name for _closing, name in tags.findall(exercise.expected_html)}
        assert shown <= markdown_tags, (exercise.slug, shown - markdown_tags)
    greeting = Exercise.objects.get(slug="greeting-app")
    assert "&lt;p&gt;Hello, Ada!&lt;/p&gt;" in greeting.expected_html
