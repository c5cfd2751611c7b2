"""Quizzes and exercises of a lesson, and every answer students give.

Questions and exercises are written in the lesson's Markdown (practice/syntax.py)
and stored here when the lesson is saved or imported (practice/services.py): the
Markdown stays their source, these rows are what the page, the answers and the
statistics refer to. Every answer is kept; the page shows the latest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils.translation import gettext_lazy as _

from lessons.models import Lesson, Module, content_changed

EXERCISE_MARKDOWN = _(
    "Markdown: prose, with code between ```python and ``` lines. A text with no such "
    "fence that reads as code (several lines of Python, or lines indented like code) "
    "is shown as one code block."
)


class Kind(models.TextChoices):
    SINGLE = "single", _("one answer")
    MULTIPLE = "multiple", _("several answers")
    NUMBER = "number", _("a number")
    TEXT = "text", _("a short text")
    OUTPUT = "output", _("what does this code print?")


def _is_first(attempts) -> Exists:
    """Whether an attempt is its user's first at its question (no earlier one)."""
    earlier = attempts.filter(
        question=OuterRef("question"), user=OuterRef("user"), pk__lt=OuterRef("pk")
    )
    return ~Exists(earlier)


def _count(queryset, **filters) -> Coalesce:
    """A correlated COUNT of QUERYSET's rows for the outer question."""
    counted = (
        queryset.filter(question=OuterRef("pk"), **filters)
        .order_by()
        .values("question")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


class PracticeQuerySet(models.QuerySet):
    """Deletes that move the content version of the lessons' courses (see ``Question``)."""

    def delete(self):
        courses = list(
            Module.objects.filter(lessons__in=self.values("lesson_id")).values_list(
                "course_id", flat=True
            )
        )
        result = super().delete()
        content_changed(courses)
        return result


class QuestionQuerySet(PracticeQuerySet):
    def with_statistics(self) -> QuestionQuerySet:
        """Annotate how students answered, in the one query that lists the questions.

        ``students`` tried it; ``first_right`` of them were right on their first
        attempt; ``attempt_total`` attempts, ``right_total`` right; ``top_wrong`` is
        the wrong answer most students gave ("" if none): a wrong choice's text, or a
        typed answer as compared (trimmed, in lower case), ``top_wrong_picks`` by how
        many students (one student repeating it counts once: probe 74).
        """
        attempts = Attempt.objects.alias(first=_is_first(Attempt.objects))
        wrong_choices = (
            Choice.objects.filter(question=OuterRef("pk"), correct=False)
            .annotate(picks=Count("attempts__user", distinct=True))
            .filter(picks__gt=0)
            .order_by("-picks", "position")
        )
        # Typed answers (number, text, output) had no "most given wrong answer" at all.
        wrong_typed = (
            Attempt.objects.filter(question=OuterRef("pk"), correct=False)
            .exclude(answer="")
            .annotate(said=Lower(Trim("answer")))
            .values("said")
            .annotate(picks=Count("user", distinct=True))
            .order_by("-picks", "said")
        )
        return self.annotate(
            students=_count(attempts, first=True),
            first_right=_count(attempts, first=True, correct=True),
            attempt_total=_count(Attempt.objects),
            right_total=_count(Attempt.objects, correct=True),
            top_wrong=Coalesce(
                Subquery(wrong_choices.values("text")[:1]),
                Subquery(wrong_typed.values("said")[:1]),
                models.Value(""),
                output_field=models.TextField(),
            ),
            top_wrong_picks=Coalesce(
                Subquery(wrong_choices.values("picks")[:1]),
                Subquery(wrong_typed.values("picks")[:1]),
                0,
            ),
        )

    def with_latest_attempt(self, user) -> QuestionQuerySet:
        """Annotate USER's latest attempt: its id, whether right, and the answer typed."""
        latest = Attempt.objects.filter(question=OuterRef("pk"), user=user).order_by("-pk")
        return self.annotate(
            latest_id=Subquery(latest.values("pk")[:1]),
            latest_correct=Subquery(latest.values("correct")[:1]),
            latest_answer=Subquery(latest.values("answer")[:1]),
        )


def _number_shown(number: float | None) -> str:
    # A FloatField gives 3.0 back for 3; repr() is the shortest exact spelling otherwise.
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


class QuestionShown:
    """What a question's page shows of it, from its slug and kind: shared by the model
    and the cached copy the lesson page reads (practice/selectors.py)."""

    __slots__ = ()
    slug: str
    kind: str
    answer: float | None
    tolerance: float

    @property
    def anchor(self) -> str:
        return f"question-{self.slug}"

    @property
    def has_choices(self) -> bool:
        return self.kind in (Kind.SINGLE, Kind.MULTIPLE)

    @property
    def expected_shown(self) -> str:
        """A number question's answer (± its tolerance) as the author wrote it: 3, not 3.0."""
        shown = _number_shown(self.answer)
        return f"{shown} ± {_number_shown(self.tolerance)}" if self.tolerance else shown


class ExerciseShown:
    """What an exercise's page shows of it, from its slug (as QuestionShown)."""

    __slots__ = ()
    slug: str

    @property
    def anchor(self) -> str:
        return f"exercise-{self.slug}"


class Question(QuestionShown, models.Model):
    """A question of a lesson, written by ``practice.services.lesson_practice_sync``.

    The lesson page keeps each lesson's questions, choices and exercises under its
    course's ``content_version`` (practice/selectors.py), so every write of them moves
    it: the sync once for all it wrote, and deletes of questions and exercises (the
    back office deletes them one by one and in bulk) here and in ``PracticeQuerySet``.
    """

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    # The block's "id:" in the lesson's Markdown; "Id" alone read as the database's.
    slug = models.SlugField(
        _("id in the lesson"),
        max_length=100,
        help_text=_('Set by the "id:" line of its block in the lesson\'s Markdown.'),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    position = models.PositiveIntegerField(_("position"), default=0)
    prompt = models.TextField(_("prompt"), help_text=_("Markdown."))
    prompt_html = models.TextField(editable=False, blank=True)
    # number
    answer = models.FloatField(_("expected number"), null=True, blank=True)
    tolerance = models.FloatField(_("tolerance"), default=0)
    # text: the accepted answers
    accepted_answers = models.JSONField(_("accepted answers"), default=list, blank=True)
    # output: the code shown and what it prints
    code = models.TextField(_("code"), blank=True)
    code_html = models.TextField(editable=False, blank=True)
    output = models.TextField(_("expected output"), blank=True)
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Markdown."))
    explanation_html = models.TextField(editable=False, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["lesson_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "slug"], name="practice_question_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lesson.title}: {self.slug}"

    def delete(self, *args, **kwargs):
        return _delete_moving_version(self, super().delete, *args, **kwargs)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.TextField(_("text"), help_text=_("Markdown, inline."))
    text_html = models.TextField(editable=False, blank=True)
    correct = models.BooleanField(_("correct"), default=False)
    feedback = models.TextField(_("feedback"), blank=True)
    feedback_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["question_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "position"], name="practice_choice_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text


class Exercise(ExerciseShown, models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="exercises")
    # The block's "id:" in the lesson's Markdown; "Id" alone read as the database's.
    slug = models.SlugField(
        _("id in the lesson"),
        max_length=100,
        help_text=_('Set by the "id:" line of its block in the lesson\'s Markdown.'),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    task = models.TextField(_("task"), help_text=_("Markdown."))
    task_html = models.TextField(editable=False, blank=True)
    starter = models.TextField(
        _("starter code"), blank=True, help_text=_("Put as typed in the student's box.")
    )
    # Markdown mixing prose and fenced code by design; bare code shows as a code block
    # (practice.services._exercise_text_html).
    expected = models.TextField(_("expected result"), help_text=EXERCISE_MARKDOWN)
    expected_html = models.TextField(editable=False, blank=True)
    solution = models.TextField(_("worked solution"), help_text=EXERCISE_MARKDOWN)
    solution_html = models.TextField(editable=False, blank=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["lesson_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "slug"], name="practice_exercise_slug_unique")
        ]

    def __str__(self) -> str:
        return self.title

    def delete(self, *args, **kwargs):
        return _delete_moving_version(self, super().delete, *args, **kwargs)


def _delete_moving_version(obj, delete, *args, **kwargs):
    """Delete OBJ (a question or exercise) and move its course's content version."""
    courses = list(Module.objects.filter(lessons=obj.lesson_id).values_list("course_id", flat=True))
    result = delete(*args, **kwargs)
    content_changed(courses)
    return result


class Attempt(models.Model):
    """One answer of a student to a question; all are kept, the latest counts."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_attempts"
    )
    answer = models.TextField(_("answer"), blank=True, help_text=_("As typed (number, text)."))
    choices = models.ManyToManyField(Choice, blank=True, related_name="attempts")
    correct = models.BooleanField(_("correct"))
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "question"], name="practice_attempt_user_q"),
            # The back office's list, newest first, pages through every answer of a
            # course: 230,000 at 5,000 students, sorted whole for each page without it.
            models.Index(fields=["created_at", "id"], name="practice_attempt_when"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question.slug} · {'right' if self.correct else 'wrong'}"


class ExerciseAttempt(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_attempts"
    )
    code = models.TextField(_("code"))
    created_at = models.DateTimeField(_("tried at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "exercise"], name="practice_exattempt_user_ex"),
            models.Index(fields=["created_at", "id"], name="practice_exattempt_when"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.exercise.title}"
