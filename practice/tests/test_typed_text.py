"""Text fields of a block read as the author typed them: YAML 1.1 read a choice "Yes" as
true, 3.10 as 3.1 and ~ as nothing; the fields that are booleans or numbers keep their
types (probe 44)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory
from practice import syntax
from practice.models import Question

from .conftest import build_quiz
from .quiz_text import lesson_change_data

YES_NO = """Intro.

```question
id: yes-no
kind: single
prompt: Is HTTP stateless?
choices:
  - text: Yes
    correct: true
    feedback: Yes
  - text: No
    feedback: off
explanation: No
```
"""


def question(source: str) -> syntax.QuestionSpec:
    practice = syntax.parse("```question\n" + source + "```\n")
    assert practice.problems == []
    (spec,) = practice.questions
    return spec


@pytest.mark.parametrize(
    "typed", ["Yes", "No", "yes", "on", "off", "true", "~", "null", "3.10", "1e3", "2024-01-05"]
)
def test_a_choice_text_is_what_the_author_typed(typed):
    spec = question(
        f"id: q\nkind: single\nprompt: {typed}\nchoices:\n"
        f"  - text: {typed}\n    correct: true\n    feedback: {typed}\n  - text: other\n"
        f"explanation: {typed}\n"
    )
    assert (spec.prompt, spec.explanation) == (typed, typed)
    assert (spec.choices[0].text, spec.choices[0].feedback) == (typed, typed)


def test_the_text_fields_of_each_kind_keep_their_spelling():
    output = question("id: q\nkind: output\nprompt: P\ncode: 3.10\noutput: 3.10\n")
    assert (output.code, output.output) == ("3.10", "3.10")
    text = question("id: 2024\nkind: text\nprompt: P\nanswers: [Yes, 3.10, 0x1F, ~]\n")
    assert text.slug == "2024"
    assert text.answers == ["Yes", "3.10", "0x1F", "~"]
    assert question("id: q\nkind: text\nprompt: P\nanswers: No\n").answers == ["No"]
    exercise = syntax.parse(
        "```exercise\nid: e\ntitle: Yes\ntask: 1.50\nstarter: null\nexpected: off\n"
        "solution: 1e3\n```\n"
    ).exercises[0]
    assert (exercise.title, exercise.task, exercise.starter) == ("Yes", "1.50", "null")
    assert (exercise.expected, exercise.solution) == ("off", "1e3")


def test_quoted_and_block_texts_are_read_as_before():
    spec = question(
        'id: q\nkind: single\nprompt: |\n  Line one\n  Line two\nchoices:\n  - text: "Yes"\n'
        "    correct: true\n  - text: 'No'\n"
    )
    assert spec.prompt == "Line one\nLine two\n"
    assert [c.text for c in spec.choices] == ["Yes", "No"]


@pytest.mark.parametrize(("typed", "right"), [("yes", True), ("on", True), ("no", False)])
def test_the_typed_fields_keep_their_types(typed, right):
    spec = question(
        f"id: q\nkind: multiple\nprompt: P\nchoices:\n  - text: a\n    correct: true\n"
        f"  - text: b\n    correct: {typed}\n"
    )
    assert spec.choices[1].correct is right
    number = question("id: q\nkind: number\nprompt: P\nanswer: 3.10\ntolerance: 1e-2\n")
    assert (number.answer, number.tolerance) == (3.1, 0.01)


def test_a_boolean_written_as_text_is_refused_in_words_at_its_line():
    practice = syntax.parse(
        '```question\nid: q\nkind: single\nprompt: P\nchoices:\n  - text: a\n    correct: "si"\n'
        "  - text: b\n    correct: true\n```\n"
    )
    assert [str(p) for p in practice.problems] == [
        "line 6: choice 1: correct must be true or false, not 'si'"
    ]


@pytest.mark.django_db
def test_a_yes_no_question_saved_in_the_back_office_shows_yes_and_no(client, alice, bob):
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    response = client.post(
        url, lesson_change_data(quiz.lesson, YES_NO, drop_work="on", is_published="on")
    )
    assert response.status_code == 302, html.unescape(response.content.decode())

    client.force_login(bob)
    page = html.unescape(client.get(quiz.lesson.get_absolute_url()).content.decode())
    labels = re.findall(r'<label class="form-check-label"[^>]*>(.*?)</label>', page)
    assert labels == ["Yes", "No"]
    assert "true" not in page.split('id="question-yes-no"')[1].split("</section>")[0]

    yes_no = Question.objects.get(lesson=quiz.lesson, slug="yes-no")
    yes = yes_no.choices.get(position=1)
    answer_url = reverse("practice:answer", args=[quiz.course.slug, quiz.lesson.slug, "yes-no"])
    client.post(answer_url, {"choice": [str(yes.pk)], "number": "1"})
    page = html.unescape(client.get(quiz.lesson.get_absolute_url()).content.decode())
    section = page.split('id="question-yes-no"')[1].split("</section>")[0]
    feedback = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "✓ Right choice. Yes" in feedback
    assert "Right!" in feedback and "No" in feedback  # the explanation
    assert "true" not in feedback and "false" not in feedback
