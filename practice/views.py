"""Students answer a lesson's questions and try its exercises.

Plain forms that post and come back to the question's anchor; the page's script
(static/js/practice.js) sends the same form with fetch and asks for JSON instead.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from access import policy
from coursesite.formpages import form_view, page, wants_json
from coursesite.locks import collided
from lessons.models import Course, Lesson, LessonCompletion

from .models import Exercise, Question
from .selectors import lesson_practice
from .services import (
    MAX_ANSWER_LENGTH,
    MAX_CODE_LENGTH,
    QUESTION_CHANGED,
    exercise_attempt_create,
    question_answer,
)


def _lesson(request: HttpRequest, course_slug: str, lesson_slug: str) -> Lesson:
    """The lesson, if the user may see it: 404 for outsiders, drafts and removed members."""
    course = policy.get_or_refuse(request.user, policy.VIEW, Course.objects, slug=course_slug)
    lessons = Lesson.objects.filter(module__course=course).select_related("module__course")
    return policy.get_or_refuse(request.user, policy.VIEW, lessons, slug=lesson_slug)


def _back(lesson: Lesson, anchor: str) -> HttpResponse:
    return redirect(f"{lesson.get_absolute_url()}#{anchor}")


CHANGED_MEANWHILE = (
    "Your instructor changed this lesson's questions as you answered, so nothing was "
    "saved. Reload the lesson to see them as they are now."
)


EXERCISE_SAVED = (
    "Your attempt was saved. Exercises are not marked automatically: compare your code "
    "with the expected result and the worked solution below."
)


def _changed_meanwhile(request: HttpRequest, lesson: Lesson) -> HttpResponse:
    """The question or exercise was deleted by a lesson edit committed at the same moment."""
    if wants_json(request):
        return JsonResponse({"error": CHANGED_MEANWHILE}, status=400)
    messages.error(request, CHANGED_MEANWHILE)
    return redirect(lesson.get_absolute_url())


# What a student typed is kept when their session ended as they sent it, and comes back
# in its form on the lesson page (formpages.kept_fields, practice.selectors._given_back).
# The page's script posts with fetch: when it meets the login page instead of JSON it
# sends the plain form, which is what is kept.
LESSON_PAGE = page("lessons:lesson", "course_slug", "lesson_slug")


@form_view(LESSON_PAGE)
def answer(request: HttpRequest, course_slug: str, lesson_slug: str, slug: str) -> HttpResponse:
    lesson = _lesson(request, course_slug, lesson_slug)
    questions = Question.objects.filter(lesson=lesson).select_related("lesson__module__course")
    question = policy.get_or_refuse(request.user, policy.CHANGE, questions, slug=slug)
    typed = request.POST.get("answer", "")
    try:
        question_answer(
            user=request.user,
            question=question,
            choice_ids=request.POST.getlist("choice"),
            text=typed,
        )
    except (IntegrityError, OperationalError) as exc:
        if not collided(exc):  # a deadlock with a lesson deleted meanwhile (probe 77)
            raise
        return _changed_meanwhile(request, lesson)
    except ValidationError as exc:
        if exc.code == QUESTION_CHANGED:
            return _changed_meanwhile(request, lesson)
        message = exc.messages[0]
        if wants_json(request):
            return JsonResponse({"error": message}, status=400)
        # The page again, with the message and what was typed (nothing is lost).
        practice = lesson_practice(request.user, lesson, only=question.slug)
        context = {
            "course": lesson.module.course,
            "lesson": lesson,
            "practice": practice,
            "question": practice.questions[0],
            "error": message,
            "typed": typed[:MAX_ANSWER_LENGTH],
        }
        return render(request, "practice/answer_error.html", context, status=400)
    if not wants_json(request):
        return _back(lesson, question.anchor)
    practice = lesson_practice(request.user, lesson, only=question.slug)
    whole = lesson_practice(request.user, lesson)
    score = whole.score
    html = render_to_string(
        "practice/_question_reply.html",
        {
            "course": lesson.module.course,
            "lesson": lesson,
            "practice": practice,
            "question": practice.questions[0],
        },
        request=request,
    )
    # Said where the quiz is, as the answer that lost it arrives; not of a lesson completed
    # already, which stays so (probe 100).
    lost = whole.lost if lesson.quiz_required else ""
    if lost and LessonCompletion.objects.filter(user=request.user, lesson=lesson).exists():
        lost = ""
    return JsonResponse(
        {
            "correct": bool(practice.questions[0].latest_correct),
            "html": html,
            "quiz": {
                "done": score.right,
                "total": score.total,
                "percent": score.percent,
                "passed": score.passed,
                "lost": lost,
            },
        }
    )


@form_view(LESSON_PAGE)
def exercise_attempt(
    request: HttpRequest, course_slug: str, lesson_slug: str, slug: str
) -> HttpResponse:
    lesson = _lesson(request, course_slug, lesson_slug)
    exercises = Exercise.objects.filter(lesson=lesson).select_related("lesson__module__course")
    exercise = policy.get_or_refuse(request.user, policy.CHANGE, exercises, slug=slug)
    code = request.POST.get("code", "")
    try:
        exercise_attempt_create(user=request.user, exercise=exercise, code=code)
    except (IntegrityError, OperationalError) as exc:
        if not collided(exc):  # a deadlock with a lesson deleted meanwhile (probe 77)
            raise
        return _changed_meanwhile(request, lesson)
    except ValidationError as exc:
        context = {
            "course": lesson.module.course,
            "lesson": lesson,
            "exercise": exercise,
            "error": exc.messages[0],
            "typed": code[:MAX_CODE_LENGTH],
        }
        return render(request, "practice/exercise_error.html", context, status=400)
    # Shown in the exercise itself (practice/_macros.html), where the page jumps to.
    messages.success(request, EXERCISE_SAVED, extra_tags=f"inline {exercise.anchor}")
    return _back(lesson, f"{exercise.anchor}-saved")
