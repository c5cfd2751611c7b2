"""A published lesson with one question of each kind and an exercise, and its people."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accounts.models import Role
from lessons.tests.factories import EnrollmentFactory, LessonFactory
from practice.models import Question
from practice.services import lesson_practice_sync

from .quiz_text import QUIZ


def build_quiz(**lesson_fields) -> SimpleNamespace:
    lesson = LessonFactory(body=QUIZ, **lesson_fields)
    lesson_practice_sync(lesson=lesson)
    questions = {q.slug: q for q in Question.objects.filter(lesson=lesson)}
    return SimpleNamespace(
        lesson=lesson,
        course=lesson.module.course,
        q=questions,
        exercise=lesson.exercises.get(),
    )


@pytest.fixture
def quiz(db):
    return build_quiz()


@pytest.fixture
def student(bob, quiz):
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    return bob
