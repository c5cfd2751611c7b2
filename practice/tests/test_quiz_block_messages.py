"""Question blocks written carelessly are named in words at their line; a required quiz's
explanation does not give its answer away after a wrong one."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory
from practice import syntax

from .conftest import build_quiz
from .quiz_text import QUIZ, lesson_change_data

EXPLANATION = "GET is safe and idempotent."


def block(source: str) -> str:
    return "Intro.\n\n```question\n" + source + "```\n"


def problems(markdown: str) -> list[str]:
    return [str(problem) for problem in syntax.parse(markdown).problems]


# Keys given twice ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "id: a\nkind: text\nprompt: P\nprompt: Q\nanswers: [x]\n",
            "line 7: “prompt” is given twice",
        ),
        ("id: a\nid: b\nkind: text\nprompt: P\nanswers: [x]\n", "line 5: “id” is given twice"),
        (
            'id: a\nkind: text\nprompt: P\nanswers: [x]\n"answers": [y]\n',
            "line 8: “answers” is given twice",
        ),
        (
            "id: a\nkind: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n"
            "    correct: false\n  - text: B\n",
            "line 10: “correct” is given twice",  # inside a choice
        ),
    ],
)
def test_a_key_given_twice_is_named_at_its_second_line(source, expected):
    found = problems(block(source))
    assert found == [expected]
    assert syntax.parse(block(source)).questions == []  # refused, not half-read


def test_the_same_key_in_two_choices_is_not_a_repeat():
    source = (
        "id: a\nkind: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n"
        "  - text: B\n    correct: false\n"
    )
    practice = syntax.parse(block(source))
    assert practice.problems == [] and len(practice.questions) == 1


# Numbers too long, null keys ---------------------------------------------------------


def test_a_number_too_long_for_python_is_named_in_words_at_its_line():
    source = "id: a\nkind: number\nprompt: P\nanswer: " + "9" * 5000 + "\n"
    (found,) = problems(block(source))
    assert found.startswith("line 7: the number is too long: 5,000 digits")
    assert "sys.set_int_max_str_digits" not in found and "Exceeds" not in found


def test_a_long_number_in_quotes_is_text_and_accepted_as_an_answer():
    source = 'id: a\nkind: text\nprompt: P\nanswers: ["' + "9" * 5000 + '"]\n'
    assert problems(block(source)) == []


@pytest.mark.parametrize("key", ["~", "null", "Null"])
def test_a_null_key_is_named_at_its_own_line(key):
    source = f"id: a\nkind: text\nprompt: P\nanswers: [x]\n{key}: x\n"
    (found,) = problems(block(source))
    assert found.startswith("line 8: unknown key ~ for a text question")


def test_a_number_key_is_named_at_its_own_line():
    (found,) = problems(block("id: a\nkind: text\nprompt: P\nanswers: [x]\n0x10: x\n"))
    assert found.startswith("line 8: unknown key 16")


@pytest.mark.django_db
def test_the_back_office_refuses_the_lesson_and_keeps_what_was_typed(client, alice):
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    body = QUIZ.replace("prompt: Which methods are safe?\n", "prompt: A\nprompt: B\n")
    url = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    response = client.post(url, lesson_change_data(quiz.lesson, body))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "“prompt” is given twice" in page
    assert "prompt: A\nprompt: B" in page  # the Markdown typed, kept in its box
    quiz.lesson.refresh_from_db()
    assert quiz.lesson.body == QUIZ


# The explanation after a wrong answer --------------------------------------------------


def answer(client, quiz, choice_text: str, *, as_json: bool = False):
    question = quiz.q["idempotent-methods"]
    ids = [str(c.pk) for c in question.choices.all() if c.text == choice_text]
    url = reverse("practice:answer", args=[quiz.course.slug, quiz.lesson.slug, question.slug])
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    return client.post(url, {"choice": ids, "number": "1"}, **headers)


def section_of(client, quiz) -> str:
    page = html.unescape(client.get(quiz.lesson.get_absolute_url()).content.decode())
    return page.split('id="question-idempotent-methods"')[1].split("</section>")[0]


@pytest.fixture
def required_quiz(db, bob):
    quiz = build_quiz(quiz_required=True, quiz_pass_mark=20)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    return quiz


@pytest.mark.django_db
def test_a_required_quiz_keeps_its_explanation_until_the_answer_is_right(
    client, bob, required_quiz
):
    client.force_login(bob)
    answer(client, required_quiz, "POST")
    section = section_of(client, required_quiz)
    assert "Not quite. Try again." in section
    assert EXPLANATION not in section
    assert "The explanation shows once your answer is right." in section

    answer(client, required_quiz, "`GET`")
    section = section_of(client, required_quiz)
    assert "Right!" in section and EXPLANATION in section

    answer(client, required_quiz, "DELETE")  # wrong again, after a right one: hidden again
    assert EXPLANATION not in section_of(client, required_quiz)


@pytest.mark.django_db
def test_the_scripts_reply_to_a_wrong_answer_hides_it_too(client, bob, required_quiz):
    client.force_login(bob)
    reply = answer(client, required_quiz, "POST", as_json=True).json()
    assert reply["correct"] is False
    assert "Not quite. Try again." in reply["html"] and EXPLANATION not in reply["html"]
    reply = answer(client, required_quiz, "`GET`", as_json=True).json()
    assert reply["correct"] is True and EXPLANATION in reply["html"]


@pytest.mark.django_db
def test_a_quiz_that_is_not_required_explains_a_wrong_answer(client, bob):
    quiz = build_quiz(quiz_required=False)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    client.force_login(bob)
    answer(client, quiz, "POST")
    section = section_of(client, quiz)
    assert "Not quite. Try again." in section and EXPLANATION in section
    reply = answer(client, quiz, "POST", as_json=True).json()
    assert EXPLANATION in reply["html"]


@pytest.mark.django_db
def test_teachers_still_read_the_explanation_in_the_answer_key(client, alice, required_quiz):
    EnrollmentFactory(user=alice, course=required_quiz.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    section = section_of(client, required_quiz)
    assert "Answer key" in section and EXPLANATION in section


# What a first-time author is told (probe 44) --------------------------------------------


def test_an_unknown_key_of_a_question_without_a_kind_lists_each_allowed_key_once():
    found = problems(block("id: a\nprompt: P\nquestion: Q\n"))
    assert found == [
        "line 3: 'kind' is missing (single, multiple, number, text or output)",
        "line 6: unknown key 'question' for a question (allowed: id, kind, prompt, "
        "explanation, choices, answer, tolerance, answers, code, output)",
    ]


@pytest.mark.django_db
def test_the_lessons_text_box_shows_an_example_that_the_site_accepts(client, alice):
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    for url in (
        reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk]),
        reverse("admin:lessons_lesson_add"),
    ):
        page = client.get(url).content.decode()
        help_text = page.split('id="id_body_helptext"')[1].split("</details>")[0]
        assert "<summary>Example of a question and an exercise</summary>" in help_text
        example = html.unescape(help_text.split("<pre>")[1].split("</pre>")[0])
        assert "```question\n" in example and "````exercise\n" in example
        practice = syntax.parse(example)
        assert practice.problems == []
        assert [q.kind for q in practice.questions] == ["single"]
        assert [c.text for c in practice.questions[0].choices] == ["Yes", "No"]
        assert [e.slug for e in practice.exercises] == ["greet"]
