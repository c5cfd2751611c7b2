"""An exercise's solution written as bare code keeps its lines on the student's page; a
solution with fenced code and prose renders as before (probe 44)."""

from __future__ import annotations

import html
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory
from practice import services, syntax
from practice.models import Exercise

from .conftest import build_quiz
from .quiz_text import lesson_change_data

pytestmark = pytest.mark.django_db

BINARY_SEARCH = """Intro.

```exercise
id: binary-search
title: Binary search
task: Write `binary_search(xs, target)`.
starter: |
  def binary_search(xs, target):
      ...
expected: |
  binary_search([1, 3, 5], 5) -> 2
  binary_search([1, 3, 5], 4) -> -1
solution: |
  def binary_search(xs, target):
      lo, hi = 0, len(xs) - 1
```
"""


def reveal(page: str) -> str:
    return page.split('id="exercise-binary-search"')[1].split("</section>")[0]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_a_bare_code_solution_saved_in_the_back_office_is_shown_as_code(client, alice, bob):
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    data = lesson_change_data(quiz.lesson, BINARY_SEARCH, drop_work="on", is_published="on")
    response = client.post(url, data)
    assert response.status_code == 302, html.unescape(response.content.decode())

    client.force_login(bob)
    blank = html.unescape(client.get(quiz.lesson.get_absolute_url()).content.decode())
    # The starter is the attempt box's first text, as typed.
    assert ">def binary_search(xs, target):\n    ...\n</textarea>" in reveal(blank)
    attempt = reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, "binary-search"]
    )
    page = client.post(attempt, {"code": "pass\n"}, follow=True).content.decode()
    exercise = reveal(page)
    solution = exercise.split('class="exercise-solution lesson-body">')[1].split("</div>\n")[0]
    # One code block, its lines and indentation as typed, highlighted as Python.
    assert '<div class="highlight"><pre>' in solution and "<code>" in solution
    assert text_of(solution).strip() == (
        "def binary_search(xs, target):\n    lo, hi = 0, len(xs) - 1"
    )
    assert '<span class="k">def</span>' in solution
    expected = exercise.split('class="exercise-expected lesson-body">')[1].split("</div>\n")[0]
    assert text_of(expected).strip() == (
        "binary_search([1, 3, 5], 5) -> 2\nbinary_search([1, 3, 5], 4) -> -1"
    )


def test_a_fenced_solution_with_prose_renders_as_markdown(quiz):
    exercise = quiz.exercise
    assert exercise.solution_html == services._html(exercise.solution)
    mixed = "Use a loop:\n```python\nfor x in xs:\n    print(x)\n```\nthen stop.\n"
    assert services._exercise_text_html(mixed) == services._html(mixed)
    prose = "Example: a story.\nCriterion: a test that can fail.\n"
    assert (
        services._exercise_text_html(prose)
        == services._html(prose)
        == ("<p>Example: a story.\nCriterion: a test that can fail.</p>")
    )
    listed = "- first\n  still the first\n- second\n"
    assert services._exercise_text_html(listed) == services._html(listed)


def test_the_demo_course_exercises_render_as_before():
    demo = Path(settings.BASE_DIR) / "courses" / "python-web-development"
    texts = [
        getattr(exercise, field)
        for path in sorted(demo.rglob("*.md"))
        for exercise in syntax.parse(path.read_text(encoding="utf-8")).exercises
        for field in ("expected", "solution")
    ]
    assert len(texts) > 20
    assert [services._exercise_text_html(text) for text in texts] == [
        services._html(text) for text in texts
    ]


def test_exercises_stored_before_are_rendered_again_by_the_migration():
    quiz = build_quiz()
    code = "def f(x):\n    return x\n"
    stored = Exercise.objects.filter(pk=quiz.exercise.pk)
    stored.update(solution=code, solution_html=services._html(code))
    version = type(quiz.course).objects.get(pk=quiz.course.pk).content_version
    migration = import_module("practice.migrations.0003_exercise_code_shown_as_code")
    migration.rerender(apps, None)
    exercise = Exercise.objects.get(pk=quiz.exercise.pk)
    assert "<pre>" in exercise.solution_html and "    <span" in exercise.solution_html
    assert type(quiz.course).objects.get(pk=quiz.course.pk).content_version == version + 1
