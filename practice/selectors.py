"""What the lesson page shows of a lesson's questions and exercises, for one user."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Subquery

from access import policy
from lessons.models import Lesson

from .models import Attempt, Choice, Exercise, ExerciseAttempt, Question
from .services import QuizScore


@dataclass
class LessonPractice:
    questions: list[Question]
    exercises: list[Exercise]
    score: QuizScore
    can_answer: bool  # a student of the course (others see the answers, as a preview)

    @property
    def is_empty(self) -> bool:
        return not self.questions and not self.exercises


def _choices_picked_last(user) -> Prefetch:
    """The choices, each with ``picked``: whether USER's latest attempt picked it."""
    latest = Attempt.objects.filter(user=user, question=OuterRef(OuterRef("question_id")))
    picked = Attempt.choices.through.objects.filter(
        choice=OuterRef("pk"), attempt=Subquery(latest.order_by("-pk").values("pk")[:1])
    )
    return Prefetch("choices", Choice.objects.annotate(picked=Exists(picked)).order_by("position"))


def lesson_practice(user, lesson: Lesson, *, only: str | None = None) -> LessonPractice:
    """Return LESSON's questions (with USER's latest answer) and exercises (with USER's
    latest attempt): three queries whatever their number, two without questions.

    ONLY (a question's slug) limits the questions to that one, for the answer's reply.
    """
    questions_query = (
        Question.objects.filter(lesson=lesson)
        .with_latest_attempt(user)
        .prefetch_related(_choices_picked_last(user))
        .order_by("position", "pk")
    )
    if only is not None:
        questions_query = questions_query.filter(slug=only)
    questions = list(questions_query)
    exercises = []
    if only is None:
        latest = ExerciseAttempt.objects.filter(exercise=OuterRef("pk"), user=user).order_by("-pk")
        exercises = list(
            Exercise.objects.filter(lesson=lesson)
            .annotate(latest_code=Subquery(latest.values("code")[:1]))
            .order_by("position", "pk")
        )
    for item in (*questions, *exercises):
        item.lesson = lesson  # the policy reads the lesson's publication from here
    first = questions[0] if questions else exercises[0] if exercises else None
    right = sum(1 for question in questions if question.latest_correct)
    return LessonPractice(
        questions=questions,
        exercises=exercises,
        score=QuizScore(right, len(questions), lesson.quiz_pass_mark),
        can_answer=first is not None and policy.can(user, policy.CHANGE, first),
    )
