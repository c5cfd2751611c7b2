"""Quizzes and exercises in the back office: read, with how students answered.

Questions and exercises are written in the lesson's Markdown (edit the lesson), so
here they are read-only, as are students' attempts. Each instructor sees those of
the courses they teach (access.backoffice asks the access policy).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access.backoffice import CourseScopedAdmin, CourseScopedInline, ReadOnlyMixin
from lessons.models import percent_of

from .models import Attempt, Choice, Exercise, ExerciseAttempt, Question


class BlockOfTheLessonMixin:
    """Questions and exercises are blocks of their lesson's Markdown: they go by taking
    the block out of the lesson, whose form asks first when students answered it.

    Deleted here, a question took its answers without that question, vanished from
    the page while its block stayed, and came back empty at the lesson's next save
    (probe 73). The permission itself stays: deleting a lesson, a course or an account
    deletes its questions, and the admin asks for it on each.
    """

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def render_change_form(self, request, context, *args, **kwargs):
        context["show_delete"] = False
        return super().render_change_form(request, context, *args, **kwargs)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return super().delete_view(request, object_id, extra_context)
        self.message_user(
            request,
            _(
                "This %(kind)s is a block of the lesson “%(lesson)s”: to delete it, take "
                "it out of the lesson's text here. Saving asks first if students answered it."
            )
            % {"kind": self.model._meta.verbose_name, "lesson": obj.lesson.title},
            messages.WARNING,
        )
        return redirect("admin:lessons_lesson_change", obj.lesson_id)


def _share(part: int, whole: int) -> str:
    return f"{percent_of(part, whole)}% ({part}/{whole})" if whole else "—"


class ChoiceInline(ReadOnlyMixin, CourseScopedInline, admin.TabularInline):
    model = Choice
    can_delete = False
    fields = ("position", "text", "correct", "feedback", "picks")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pick_total=Count("attempts"))

    @admin.display(description=_("picked"))
    def picks(self, obj: Choice) -> int:
        return obj.pick_total


class LessonLinkMixin:
    @admin.display(description=_("lesson"), ordering="lesson__title")
    def lesson_link(self, obj) -> str:
        url = reverse("admin:lessons_lesson_change", args=[obj.lesson_id])
        return format_html('<a href="{}">{}</a>', url, obj.lesson.title)

    @admin.display(description=_("course"), ordering="lesson__module__course__title")
    def course(self, obj) -> str:
        return str(obj.lesson.module.course)


@admin.register(Question)
class QuestionAdmin(BlockOfTheLessonMixin, ReadOnlyMixin, LessonLinkMixin, CourseScopedAdmin):
    list_display = (
        "slug",
        "lesson_link",
        "course",
        "kind",
        "students_tried",
        "first_try_right",
        "all_attempts_right",
        "most_chosen_wrong",
    )
    list_filter = (("lesson__module__course", admin.RelatedOnlyFieldListFilter), "kind")
    list_select_related = ("lesson__module__course",)
    search_fields = ("slug", "prompt", "lesson__title")
    ordering = ("lesson__module__course", "lesson__module__order", "lesson__order", "position")
    fields = (
        "lesson_link",
        "slug",
        "kind",
        "prompt",
        "answer",
        "tolerance",
        "accepted_answers",
        "code",
        "output",
        "explanation",
        "students_tried",
        "first_try_right",
        "all_attempts_right",
        "most_chosen_wrong",
    )
    readonly_fields = fields
    inlines = (ChoiceInline,)

    def get_queryset(self, request):
        # The statistics are subqueries of the one query that lists the questions:
        # the same number of queries for 10 questions or 1,000.
        return super().get_queryset(request).with_statistics()

    @admin.display(description=_("students who tried"), ordering="students")
    def students_tried(self, obj: Question) -> int:
        return obj.students

    @admin.display(description=_("right on first attempt"), ordering="first_right")
    def first_try_right(self, obj: Question) -> str:
        return _share(obj.first_right, obj.students)

    @admin.display(description=_("attempts right"), ordering="right_total")
    def all_attempts_right(self, obj: Question) -> str:
        return _share(obj.right_total, obj.attempt_total)

    @admin.display(description=_("most given wrong answer"))
    def most_chosen_wrong(self, obj: Question) -> str:
        if not obj.top_wrong:
            return "—"
        students = obj.top_wrong_picks
        return f"{obj.top_wrong} ({students} student{'s' if students != 1 else ''})"


@admin.register(Exercise)
class ExerciseAdmin(BlockOfTheLessonMixin, ReadOnlyMixin, LessonLinkMixin, CourseScopedAdmin):
    list_display = ("title", "slug", "lesson_link", "course", "attempt_count")
    list_filter = (("lesson__module__course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("lesson__module__course",)
    search_fields = ("title", "slug", "lesson__title")
    ordering = ("lesson__module__course", "lesson__module__order", "lesson__order", "position")
    fields = ("lesson_link", "slug", "title", "task", "starter", "expected", "solution")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description=_("attempts"), ordering="attempt_total")
    def attempt_count(self, obj: Exercise) -> int:
        return obj.attempt_total


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyMixin, CourseScopedAdmin):
    list_display = ("created_at", "user", "question", "correct", "answer_shown")
    list_filter = (
        ("question__lesson__module__course", admin.RelatedOnlyFieldListFilter),
        "correct",
    )
    list_select_related = ("user", "question__lesson")
    search_fields = ("user__username", "user__display_name", "question__slug")
    show_full_result_count = False
    fields = ("user", "question", "answer", "picked", "correct", "created_at")
    readonly_fields = fields

    # An answer's pages name its question by its lesson's title: not the lesson's or
    # question's texts, which made each of 230,000 rows of the list wide (probe 50: the list's last
    # page took 48 s at 5,000 students).
    LEFT_OUT_OF_THE_LIST = (
        *(f"question__lesson__{name}" for name in ("body", "body_html", "body_text", "toc_html")),
        *(
            f"question__{name}"
            for name in ("prompt", "prompt_html", "code", "code_html", "output")
            + ("explanation", "explanation_html")
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*self.LEFT_OUT_OF_THE_LIST)

    @admin.display(description=_("answer"))
    def answer_shown(self, obj: Attempt) -> str:
        return obj.answer[:80] if obj.answer else "(choices)"

    @admin.display(description=_("choices picked"))
    def picked(self, obj: Attempt) -> str:
        return ", ".join(choice.text for choice in obj.choices.all()) or "—"


@admin.register(ExerciseAttempt)
class ExerciseAttemptAdmin(ReadOnlyMixin, CourseScopedAdmin):
    list_display = ("created_at", "user", "exercise")
    list_filter = (("exercise__lesson__module__course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("user", "exercise")
    search_fields = ("user__username", "user__display_name", "exercise__title")
    show_full_result_count = False
    fields = ("user", "exercise", "code", "created_at")
    readonly_fields = fields
