"""What the lesson page shows of a lesson's questions and exercises, for one user.

Every reader of a lesson sees the same questions, choices and exercises; only their
own answers differ. So the shared part is read once per lesson and course content
version and kept in the cache (like the course outline, lessons/outline.py): every
write of questions, choices and exercises moves ``Course.content_version``
(``lesson_practice_sync``, and the deletes in practice/models.py), so a changed
lesson is read afresh. The reader's own latest answers are never cached: they are
read on each request, in one query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db.models import BooleanField, Exists, IntegerField, OuterRef, Prefetch, Value

from access import policy
from accounts.history import NamedRow
from coursesite.converters import parse_id
from coursesite.memo import ProcessMemo
from coursesite.prepared import prepared
from lessons.models import Lesson

from .models import (
    Attempt,
    Choice,
    Exercise,
    ExerciseAttempt,
    ExerciseShown,
    Kind,
    Question,
    QuestionShown,
)
from .services import MAX_ANSWER_LENGTH, MAX_CODE_LENGTH, QuizScore

TIMEOUT = 24 * 60 * 60  # a new version makes a new key: old ones just expire


@dataclass(frozen=True, slots=True)
class ShownChoice:
    pk: int
    text_html: str
    correct: bool
    feedback_html: str
    picked: bool = False  # by the reader's latest answer (never set in the cache)


@dataclass(frozen=True, slots=True)
class ShownQuestion(QuestionShown):
    pk: int
    slug: str
    kind: str
    prompt_html: str
    code_html: str
    answer: float | None
    tolerance: float
    accepted_answers: list
    output: str
    explanation_html: str
    choices: tuple[ShownChoice, ...]
    # The reader's latest answer (None: not answered); never set in the cache.
    latest_id: int | None = None
    latest_correct: bool | None = None
    latest_answer: str | None = None
    tries: int = 0  # how many answers the reader gave (a lesson may limit them)
    # What the reader typed and picked in its form before their session ended, given
    # back once after they logged in again (None: nothing); never set in the cache.
    typed: str | None = None
    typed_choices: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class ShownExercise(ExerciseShown):
    pk: int
    slug: str
    title: str
    task_html: str
    starter: str
    expected_html: str
    solution_html: str
    latest_code: str | None = None  # the reader's latest attempt; never set in the cache
    typed: str | None = None  # as ShownQuestion.typed


@dataclass(frozen=True, slots=True)
class PracticeContent:
    """A lesson's questions and exercises, the same for every reader."""

    questions: tuple[ShownQuestion, ...]
    exercises: tuple[ShownExercise, ...]


@dataclass
class LessonPractice:
    questions: list[ShownQuestion]
    exercises: list[ShownExercise]
    score: QuizScore
    can_answer: bool  # a student of the course (others see the answers, as a preview)
    max_tries: int | None = None  # the lesson's limit of tries per question, if any

    @property
    def is_empty(self) -> bool:
        return not self.questions and not self.exercises

    @property
    def lost(self) -> str:
        """Why answering can no longer pass the quiz (QuizScore.lost), from the answers
        read; "" while it can (probe 99: said only once "Mark as complete" was pressed,
        the other questions still inviting answers)."""
        if not self.can_answer or self.max_tries is None:
            return ""
        spent = sum(
            1 for q in self.questions if q.latest_correct is False and q.tries >= self.max_tries
        )
        return self.score.lost(spent)


def practice_content(lesson: Lesson) -> PracticeContent:
    """Return LESSON's questions (with their choices) and exercises, from the cache when
    its course's content version has them (LESSON's module and course are loaded)."""
    key = f"practice:{lesson.pk}:{lesson.module.course.content_version}"
    content = _kept.get(key)
    if content is None:
        content = cache.get(key)
        if content is None:
            content = _read_content(lesson)
            cache.set(key, content, TIMEOUT)
        _kept.set(key, content)
    return content


# In front of the cache, in each process: what a key names never changes (coursesite/memo.py).
_kept = ProcessMemo()


def _read_content(lesson: Lesson) -> PracticeContent:
    """Read LESSON's questions, their choices (if any has some) and exercises."""
    fields = [f for f in ShownQuestion.__dataclass_fields__ if f not in NOT_READ]
    rows = list(Question.objects.filter(lesson=lesson).order_by("position", "pk").values(*fields))
    choices: dict[int, list[ShownChoice]] = {}
    if any(row["kind"] in (Kind.SINGLE, Kind.MULTIPLE) for row in rows):
        for question_id, *choice in (
            Choice.objects.filter(question__lesson=lesson)
            .order_by("position", "pk")
            .values_list("question_id", "pk", "text_html", "correct", "feedback_html")
        ):
            choices.setdefault(question_id, []).append(ShownChoice(*choice))
    questions = tuple(
        ShownQuestion(**row, choices=tuple(choices.get(row["pk"], ()))) for row in rows
    )
    fields = [f for f in ShownExercise.__dataclass_fields__ if f not in NOT_READ]
    exercises = tuple(
        ShownExercise(**row)
        for row in Exercise.objects.filter(lesson=lesson).order_by("position", "pk").values(*fields)
    )
    return PracticeContent(questions=questions, exercises=exercises)


NOT_READ = {
    "choices",
    "latest_id",
    "latest_correct",
    "latest_answer",
    "tries",
    "latest_code",
    "typed",
    "typed_choices",
}


@prepared
def _answers_and_codes(user_id: int, lesson_id: int):
    """Rows (item id, attempt id, right, text, choice picked) of the user's answers to
    the lesson's questions and latest attempts at its exercises, in one UNION ALL; an
    exercise's attempt is the row whose "right" is NULL. An answer with several choices
    has a row per choice.

    Every answer to the questions is read and the latest kept by the caller: answers
    are short, and a correlated "no later attempt" subquery costs more than the rows do.
    Only the latest attempt at each exercise is read (its code can be 50,000 characters).
    """
    later_code = ExerciseAttempt.objects.filter(
        exercise=OuterRef("exercise"), user=OuterRef("user"), pk__gt=OuterRef("pk")
    )
    answers = (
        Attempt.objects.filter(user_id=user_id, question__lesson_id=lesson_id)
        .order_by()
        .values_list("question_id", "pk", "correct", "answer", "choices")
    )
    codes = (
        ExerciseAttempt.objects.filter(user_id=user_id, exercise__lesson_id=lesson_id)
        .filter(~Exists(later_code))
        .order_by()
        .values_list(
            "exercise_id",
            "pk",
            Value(None, output_field=BooleanField()),
            "code",
            Value(None, output_field=IntegerField()),
        )
    )
    return answers.union(codes, all=True).order_by()


def _latest_answers(user, lesson: Lesson, content: PracticeContent) -> tuple[dict, dict, dict]:
    """Return USER's latest answer to each of CONTENT's questions, {question id: (attempt
    id, right, answer typed, {choice ids picked})}, the answers given to each, {question
    id: {attempt ids}}, and latest attempt at each exercise, {exercise id: code}: one
    query whatever their number."""
    questions = {question.pk for question in content.questions}
    exercises = {exercise.pk for exercise in content.exercises}
    latest: dict[int, tuple[int, bool, str, set[int]]] = {}
    answers: dict[int, set[int]] = {}
    tried: dict[int, str] = {}
    for item, attempt, correct, text, choice in _answers_and_codes(
        user_id=user.pk, lesson_id=lesson.pk
    ):
        if correct is None:
            if item in exercises:
                tried[item] = text
            continue
        if item not in questions:
            continue
        answers.setdefault(item, set()).add(attempt)
        if item not in latest or attempt > latest[item][0]:
            latest[item] = (attempt, correct, text, set())
        if attempt == latest[item][0] and choice is not None:
            latest[item][3].add(choice)
    return latest, answers, tried


def _with_answer(question: ShownQuestion, latest: dict, answers: dict) -> ShownQuestion:
    if question.pk not in latest:
        return question
    attempt, correct, text, picked = latest[question.pk]
    return replace(
        question,
        latest_id=attempt,
        latest_correct=correct,
        latest_answer=text,
        tries=len(answers[question.pk]),
        choices=tuple(replace(c, picked=True) if c.pk in picked else c for c in question.choices),
    )


def _can_answer(user, lesson: Lesson, content: PracticeContent) -> bool:
    """Whether USER answers LESSON's questions and exercises (the policy's CHANGE, the
    same for every one of them: it asks about the lesson and the reader's role)."""
    if content.questions:
        item = Question(pk=content.questions[0].pk, lesson=lesson)
    elif content.exercises:
        item = Exercise(pk=content.exercises[0].pk, lesson=lesson)
    else:
        return False
    return policy.can(user, policy.CHANGE, item)


def lesson_practice(
    user, lesson: Lesson, *, only: str | None = None, kept: Mapping | None = None
) -> LessonPractice:
    """Return LESSON's questions (with USER's latest answer) and exercises (with USER's
    latest attempt).

    The questions and exercises come from the cache (practice_content); USER's answers
    are one query, none when the lesson has neither or USER may not answer (teachers
    and graders see the answer key, not answers of their own). ONLY (a question's
    slug) limits the questions to that one, for the answer's reply. KEPT is what the
    lesson page's ``kept_fields`` gave back: the form USER sent as their session ended,
    put back in its question or exercise.
    """
    content = practice_content(lesson)
    questions = list(content.questions)
    if only is not None:
        questions = [question for question in questions if question.slug == only]
    exercises = list(content.exercises) if only is None else []
    can_answer = _can_answer(user, lesson, content)
    if can_answer and (questions or exercises):
        latest, answers, tried = _latest_answers(
            user, lesson, PracticeContent(tuple(questions), tuple(exercises))
        )
        questions = [_with_answer(question, latest, answers) for question in questions]
        exercises = [
            replace(exercise, latest_code=tried[exercise.pk]) if exercise.pk in tried else exercise
            for exercise in exercises
        ]
        if kept:
            questions, exercises = _given_back(questions, exercises, kept)
    right = sum(1 for question in questions if question.latest_correct)
    return LessonPractice(
        questions=questions,
        exercises=exercises,
        score=QuizScore(right, len(questions), lesson.quiz_pass_mark),
        can_answer=can_answer,
        max_tries=lesson.quiz_max_tries,
    )


def _given_back(
    questions: list[ShownQuestion], exercises: list[ShownExercise], kept: Mapping
) -> tuple[list[ShownQuestion], list[ShownExercise]]:
    """Put KEPT (a question's or an exercise's form, as posted) back in its form.

    The forms name their question or exercise in a hidden field: all of a lesson's
    forms come back to the one lesson page. The text is cut to what an answer may
    hold, as the form's maxlength does (the session keeps up to MAX_KEPT_CHARS).
    """
    question, exercise = _one(kept.get("question")), _one(kept.get("exercise"))
    if question:
        choices = kept.get("choice", [])
        picked = frozenset(
            filter(None, map(parse_id, [choices] if isinstance(choices, str) else choices))
        )
        typed = _one(kept.get("answer"))[:MAX_ANSWER_LENGTH]
        questions = [
            replace(q, typed=typed, typed_choices=picked) if q.slug == question else q
            for q in questions
        ]
    if exercise:
        code = _one(kept.get("code"))[:MAX_CODE_LENGTH]
        exercises = [replace(e, typed=code) if e.slug == exercise else e for e in exercises]
    return questions, exercises


def _one(value) -> str:
    """The value of a field kept once (a list when it was posted more than once)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def personal_data_of(user) -> dict:
    """USER's answers to questions and tries at exercises, every one kept, for their
    data download (accounts.personal_data)."""
    answers = (
        Attempt.objects.filter(user=user)
        .select_related("question__lesson__module__course")
        .prefetch_related(Prefetch("choices", Choice.objects.order_by("position", "pk")))
        .order_by("created_at", "pk")
    )
    tries = (
        ExerciseAttempt.objects.filter(user=user)
        .select_related("exercise__lesson__module__course")
        .order_by("created_at", "pk")
    )
    return {
        "question_answers": [
            {
                "course": a.question.lesson.module.course.title,
                "lesson": a.question.lesson.title,
                "question": a.question.slug,
                "answer": a.answer if not a.question.has_choices else None,
                "choices": [c.text for c in a.choices.all()] if a.question.has_choices else None,
                "correct": a.correct,
                "answered_at": a.created_at,
            }
            for a in answers
        ],
        "exercise_tries": [
            {
                "course": t.exercise.lesson.module.course.title,
                "lesson": t.exercise.lesson.title,
                "exercise": t.exercise.title,
                "code": t.code,
                "tried_at": t.created_at,
            }
            for t in tries
        ],
    }


def work_in(lessons) -> tuple[int, int, int]:
    """The answers and the exercise tries students left in LESSONS (a queryset of
    lessons), and how many students left them: what deleting the lessons deletes."""
    answers = Attempt.objects.filter(question__lesson__in=lessons).order_by()
    tries = ExerciseAttempt.objects.filter(exercise__lesson__in=lessons).order_by()
    students = set(answers.values_list("user_id", flat=True).distinct())
    students |= set(tries.values_list("user_id", flat=True).distinct())
    return answers.count(), tries.count(), len(students)


def rows_naming(person) -> list[NamedRow]:
    """PERSON's answers and tries, for the back office's history (accounts.history): a
    list of answers deleted there names each."""
    answers = Attempt.objects.filter(user=person).select_related("question")
    tries = ExerciseAttempt.objects.filter(user=person).select_related("exercise")
    return [
        *(NamedRow(a, "user") for a in answers.only("user", "question__slug", "correct")),
        *(NamedRow(t, "user") for t in tries.only("user", "exercise__title")),
    ]
