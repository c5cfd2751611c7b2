"""The lesson page reads its quiz in the same number of queries, however long the quiz."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory, LessonFactory
from practice.models import Question
from practice.services import lesson_practice_sync, question_answer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]


def quiz_markdown(count: int) -> str:
    blocks = []
    for n in range(count):
        blocks.append(
            f"```question\nid: q{n}\nkind: single\nprompt: Question {n}?\nchoices:\n"
            "  - text: Yes\n    correct: true\n  - text: No\n    feedback: No.\n```\n"
        )
        blocks.append(
            f"```exercise\nid: e{n}\ntitle: Exercise {n}\ntask: Do {n}.\nexpected: Done.\n"
            "solution: Like this.\n```\n"
        )
    return "Intro.\n\n" + "\n".join(blocks)


def lesson_page_queries(client, user, count: int) -> int:
    lesson = LessonFactory(body=quiz_markdown(count))
    lesson_practice_sync(lesson=lesson)
    EnrollmentFactory(user=user, course=lesson.module.course, role=Role.STUDENT)
    for question in Question.objects.filter(lesson=lesson):
        for choice in question.choices.all():  # two attempts each, the latest wrong
            question_answer(user=user, question=question, choice_ids=[str(choice.pk)])
    client.force_login(user)
    url = lesson.get_absolute_url()
    client.get(url)  # the first visit also fills the outline and "continue"
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert page.count('class="card mb-3 practice-question"') == count
    assert page.count("✗ Not this one.") == count and page.count("Worked solution") == 0
    return len(queries)


def test_the_lesson_page_reads_two_questions_or_twenty_in_the_same_queries(client, bob, charlie):
    assert lesson_page_queries(client, bob, 2) == lesson_page_queries(client, charlie, 20)


def test_the_quiz_costs_one_query_over_a_lesson_without_one(client, bob, charlie):
    plain = LessonFactory(body="No quiz here.")
    EnrollmentFactory(user=charlie, course=plain.module.course, role=Role.STUDENT)
    client.force_login(charlie)
    client.get(plain.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        client.get(plain.get_absolute_url())
    # lessons/tests/test_queries.py: 3 for a lesson page seen before (without
    # attachments); its questions, choices and exercises come from the cache then, the
    # student's answers to them and attempts at them are the one more.
    assert len(queries) == 3
    assert lesson_page_queries(client, bob, 3) == 4
