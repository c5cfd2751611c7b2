"""A lesson may limit how often each of its questions is answered: the page counts the tries
down, the last answer counts, and a try beyond the limit is refused with a message."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory
from practice.models import Attempt, Question
from practice.services import question_answer
from projects.tests.race import run_together, slowed

from .conftest import build_quiz
from .test_answers import choice_ids, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(bob):
    """A required quiz of two tries per question; bob is a student of its course."""
    quiz = build_quiz(quiz_required=True, quiz_max_tries=2)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    return quiz


def section(client, quiz, slug: str) -> str:
    """The question's block on the lesson page, as text a student reads."""
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    block = re.search(rf'<section[^>]*id="question-{slug}".*?</section>', page, re.DOTALL)
    return block.group(0)


def test_the_page_counts_the_tries_down_and_then_closes_the_question(client, limited, bob):
    client.force_login(bob)
    assert "2 of 2 tries left" in section(client, limited, "answer")

    post(client, limited, "answer", {"answer": "41"})
    block = section(client, limited, "answer")
    # Said in the result, which gets the focus, too (probe 39: "Not quite." alone).
    assert "1 of 2 tries left" in block and "Not quite. Try again (1 of 2 tries left)." in block

    post(client, limited, "answer", {"answer": "40"})
    block = section(client, limited, "answer")
    assert "No try left: you answered 2 times, and your last answer counts." in block
    assert "Not quite. No try left: your last answer counts." in block  # in the result
    assert 'type="submit"' not in block
    closed = re.search(r"<fieldset[^>]*disabled[^>]*>", block).group()
    # A screen reader hears which question is closed, and why.
    title = re.search(r'<h3[^>]* id="([^"]+)"', block).group(1)
    assert f'aria-labelledby="{title}"' in closed
    why = re.search(r'aria-describedby="([^"]+)"', closed).group(1)
    assert re.search(rf'id="{why}">No try left', block)
    assert "Try again" not in block
    assert 'value="40"' in block  # the last answer is shown, as it counts
    # The other questions still have their own tries.
    assert "2 of 2 tries left" in section(client, limited, "run-flask")


def test_a_try_beyond_the_limit_is_refused_and_changes_nothing(client, limited, bob):
    client.force_login(bob)
    post(client, limited, "answer", {"answer": "41"})
    post(client, limited, "answer", {"answer": "40"})

    response = post(client, limited, "answer", {"answer": "42"}, as_json=True)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "You have used your 2 tries at this question: your last answer counts."
    )
    # Without the page's script: the message, and what was typed is shown back.
    response = post(client, limited, "answer", {"answer": "42"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "You have used your 2 tries at this question" in page
    assert 'value="42"' in page
    answers = Attempt.objects.filter(user=bob, question=limited.q["answer"])
    assert list(answers.values_list("answer", "correct")) == [("40", False), ("41", False)]


def test_an_answer_that_cannot_be_checked_costs_no_try(client, limited, bob):
    client.force_login(bob)
    assert post(client, limited, "answer", {"answer": "   "}).status_code == 400
    assert post(client, limited, "answer", {"answer": "forty"}).status_code == 400
    assert post(client, limited, "idempotent-methods", {"choice": ["0"]}).status_code == 400
    assert "2 of 2 tries left" in section(client, limited, "answer")
    post(client, limited, "answer", {"answer": "41"})
    post(client, limited, "answer", {"answer": "42"})
    assert Attempt.objects.get(user=bob, question=limited.q["answer"], answer="42").correct


def test_a_required_quizs_explanation_shows_once_no_try_is_left(client, limited, bob):
    client.force_login(bob)
    question = limited.q["idempotent-methods"]
    wrong = {"choice": choice_ids(question, "POST")}
    post(client, limited, "idempotent-methods", wrong)
    assert "The explanation shows once your answer is right." in section(
        client, limited, "idempotent-methods"
    )
    post(client, limited, "idempotent-methods", {"choice": choice_ids(question, "DELETE")})
    block = section(client, limited, "idempotent-methods")
    assert "GET is safe and idempotent." in block
    assert "Not quite." in block and "Try again" not in block


def test_without_a_limit_nothing_is_counted(client, bob):
    quiz = build_quiz()
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    client.force_login(bob)
    for wrong in ("1", "2", "3", "4"):
        post(client, quiz, "answer", {"answer": wrong})
    block = section(client, quiz, "answer")
    assert "tries left" not in block and "No try left" not in block
    assert post(client, quiz, "answer", {"answer": "42"}).status_code == 302


def test_raising_the_limit_gives_the_tries_back(client, limited, bob):
    client.force_login(bob)
    post(client, limited, "answer", {"answer": "41"})
    post(client, limited, "answer", {"answer": "40"})
    limited.lesson.quiz_max_tries = 3
    limited.lesson.save()
    assert "1 of 3 tries left" in section(client, limited, "answer")
    assert post(client, limited, "answer", {"answer": "42"}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_two_answers_sent_at_once_on_the_last_try_save_one(bob):
    quiz = build_quiz(quiz_max_tries=1)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)

    def answer(text):
        def call():
            # A copy of its own for each thread, as a request reads it.
            questions = Question.objects.select_related("lesson__module__course")
            question = questions.get(pk=quiz.q["answer"].pk)
            return question_answer(user=bob, question=question, text=text)

        return call

    with slowed(Attempt):
        results = run_together(answer("41"), answer("42"))

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert "used your 1 try" in refused[0].messages[0]
    assert Attempt.objects.filter(user=bob, question=quiz.q["answer"]).count() == 1


def test_the_instructor_sets_the_limit_in_the_back_office(client, limited, alice):
    EnrollmentFactory(user=alice, course=limited.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[limited.lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    for wrong, message in (
        ("0", "Give at least 1 try, or leave it empty for no limit."),
        ("100", "At most 99 tries: leave it empty for no limit."),
        ("two", "Enter a whole number."),
    ):
        data["quiz_max_tries"] = [wrong]
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in html.unescape(response.content.decode())
    limited.lesson.refresh_from_db()
    assert limited.lesson.quiz_max_tries == 2
    data["quiz_max_tries"] = [""]
    assert client.post(url, data).status_code == 302
    limited.lesson.refresh_from_db()
    assert limited.lesson.quiz_max_tries is None
