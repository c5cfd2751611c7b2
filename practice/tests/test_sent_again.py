"""The same answer or exercise attempt sent twice at once (two tabs, a resend, practice.js
posting the plain form after a failed fetch) is kept once: it costs one try (probe 46)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory
from practice.models import Attempt, ExerciseAttempt, Question
from practice.services import SAME_ANSWER_WITHIN, question_answer
from projects.tests.race import run_together, slowed

from .conftest import build_quiz
from .test_answers import choice_ids, post
from .test_quiz_tries import section

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(bob):
    """A quiz of two tries per question; bob is a student of its course."""
    quiz = build_quiz(quiz_max_tries=2)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    return quiz


def answers(user, question) -> list:
    return list(Attempt.objects.filter(user=user, question=question).order_by("pk"))


def reply(response) -> dict:
    """The JSON reply, without its CSRF token (masked anew on every response)."""
    data = response.json()
    data["html"] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", data["html"])
    return data


def made_earlier(model, **filters) -> None:
    """Move the rows back past the window: the student sends it again later, on purpose."""
    rows = model.objects.filter(**filters)
    for row in rows:
        rows.filter(pk=row.pk).update(created_at=row.created_at - 2 * SAME_ANSWER_WITHIN)


def test_the_same_answer_sent_twice_is_one_try_with_the_same_reply(client, limited, bob):
    client.force_login(bob)
    first = post(client, limited, "answer", {"answer": "41"}, as_json=True)
    again = post(client, limited, "answer", {"answer": "41"}, as_json=True)
    assert first.status_code == again.status_code == 200
    assert reply(again) == reply(first)
    assert len(answers(bob, limited.q["answer"])) == 1
    assert "1 of 2 tries left" in section(client, limited, "answer")


def test_a_different_answer_right_after_is_a_second_try(client, limited, bob):
    client.force_login(bob)
    post(client, limited, "answer", {"answer": "41"})
    post(client, limited, "answer", {"answer": "40"})
    assert [a.answer for a in answers(bob, limited.q["answer"])] == ["41", "40"]
    assert "No try left" in section(client, limited, "answer")


def test_the_same_answer_after_the_window_is_a_new_try(client, limited, bob):
    client.force_login(bob)
    post(client, limited, "answer", {"answer": "41"})
    made_earlier(Attempt, user=bob)
    post(client, limited, "answer", {"answer": "41"})
    assert len(answers(bob, limited.q["answer"])) == 2
    assert "No try left" in section(client, limited, "answer")


def test_the_last_try_sent_again_gets_its_reply_not_a_refusal(client, limited, bob):
    client.force_login(bob)
    post(client, limited, "answer", {"answer": "41"})
    last = post(client, limited, "answer", {"answer": "42"}, as_json=True)
    again = post(client, limited, "answer", {"answer": "42"}, as_json=True)
    assert again.status_code == 200 and reply(again) == reply(last)
    assert again.json()["correct"] is True
    assert len(answers(bob, limited.q["answer"])) == 2


def test_the_same_set_of_choices_is_the_same_answer(client, limited, bob):
    client.force_login(bob)
    question = limited.q["safe-methods"]
    post(client, limited, "safe-methods", {"choice": choice_ids(question, "GET", "POST")})
    post(client, limited, "safe-methods", {"choice": choice_ids(question, "POST", "GET")[::-1]})
    assert len(answers(bob, question)) == 1
    post(client, limited, "safe-methods", {"choice": choice_ids(question, "GET")})
    assert len(answers(bob, question)) == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_answer_sent_at_once_is_stored_once(bob):
    quiz = build_quiz(quiz_max_tries=2)
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)

    def call():
        questions = Question.objects.select_related("lesson__module__course")
        question = questions.get(pk=quiz.q["answer"].pk)
        return question_answer(user=bob, question=question, text="41")

    with slowed(Attempt):
        results = run_together(call, call, call)

    assert not [r for r in results if isinstance(r, ValidationError)], results
    assert len({r.pk for r in results}) == 1
    assert Attempt.objects.filter(user=bob, question=quiz.q["answer"]).count() == 1


def attempt_url(quiz) -> str:
    return reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, quiz.exercise.slug]
    )


def test_the_same_exercise_attempt_sent_twice_is_kept_once(client, quiz, student):
    client.force_login(student)
    for _ in range(3):
        assert client.post(attempt_url(quiz), {"code": "def page(n): return n"}).status_code == 302
    assert ExerciseAttempt.objects.filter(user=student).count() == 1
    client.post(attempt_url(quiz), {"code": "def page(n): return n + 1"})
    assert ExerciseAttempt.objects.filter(user=student).count() == 2


def test_the_same_exercise_attempt_after_the_window_is_kept_again(client, quiz, student):
    client.force_login(student)
    client.post(attempt_url(quiz), {"code": "def page(n): return n"})
    made_earlier(ExerciseAttempt, user=student)
    client.post(attempt_url(quiz), {"code": "def page(n): return n"})
    assert ExerciseAttempt.objects.filter(user=student).count() == 2


def test_a_student_tries_a_question_or_an_exercise_at_most_200_times_a_day(client, quiz, student):
    """Nothing bounded the tries kept (probe 63): a script could store 50,000 characters of
    code a try, every distinct one, as fast as it could send them."""
    from datetime import timedelta

    from django.utils import timezone

    from practice.services import TRIES_PER_DAY

    question = quiz.q["answer"]
    day_ago = timezone.now() - timedelta(hours=23)
    Attempt.objects.bulk_create(
        Attempt(question=question, user=student, answer=str(n), correct=False)
        for n in range(TRIES_PER_DAY)
    )
    Attempt.objects.filter(user=student).update(created_at=day_ago)
    ExerciseAttempt.objects.bulk_create(
        ExerciseAttempt(exercise=quiz.exercise, user=student, code=f"# {n}")
        for n in range(TRIES_PER_DAY)
    )
    ExerciseAttempt.objects.filter(user=student).update(created_at=day_ago)
    client.force_login(student)
    refused = post(client, quiz, "answer", {"answer": "42"}, as_json=True)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith(
        "You have tried this question 200 times in the last 24 hours, the most a day: try "
        "it again after "
    )
    assert Attempt.objects.filter(user=student).count() == TRIES_PER_DAY
    refused = client.post(attempt_url(quiz), {"code": "def page(n): return n"})
    assert refused.status_code == 400
    assert "You have tried this exercise 200 times" in refused.content.decode()
    assert "def page(n): return n" in refused.content.decode()  # the code typed stays
    assert ExerciseAttempt.objects.filter(user=student).count() == TRIES_PER_DAY
    # A day on, the oldest tries no longer count.
    Attempt.objects.filter(user=student).update(created_at=day_ago - timedelta(hours=2))
    assert post(client, quiz, "answer", {"answer": "42"}).status_code == 302
