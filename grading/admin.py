"""Back office for grading: rubrics edited inline, reviews with their history."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from coursesite.history_admin import SimpleHistoryAdmin  # ids checked: a bad one is a 404

from .models import (
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeRequest,
    Review,
    Rubric,
)
from .services import grader_assign, grader_assign_check, graders_assign_round_robin


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ("order", "title", "description", "max_points")
    show_change_link = True  # levels are edited on the criterion's own page


@admin.register(Rubric)
class RubricAdmin(SimpleHistoryAdmin):
    list_display = (
        "assignment",
        "course",
        "anonymous_grading",
        "graders_see_all",
        "peer_evaluation",
        "grading_page",
    )
    list_filter = ("anonymous_grading", "peer_evaluation", "assignment__course")
    list_select_related = ("assignment__course",)
    search_fields = ("assignment__title",)
    inlines = (CriterionInline,)
    fieldsets = (
        (None, {"fields": ("assignment",)}),
        (_("Graders"), {"fields": ("anonymous_grading", "graders_see_all")}),
        (
            _("After release"),
            {"fields": ("regrade_window_days", "peer_evaluation", "peer_factor_cap")},
        ),
    )
    actions = ("assign_round_robin",)

    @admin.display(description=_("course"))
    def course(self, obj: Rubric):
        return obj.assignment.course

    @admin.display(description=_("grading page"))
    def grading_page(self, obj: Rubric) -> str:
        url = reverse("grading:assignment_grading", kwargs={"pk": obj.assignment_id})
        return format_html('<a href="{}">{}</a>', url, _("Graders, release, marks"))

    @admin.action(description=_("Assign graders (round robin) to ungraded submissions"))
    def assign_round_robin(self, request, queryset):
        for rubric in queryset.select_related("assignment"):
            try:
                created = graders_assign_round_robin(assignment=rubric.assignment, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{rubric.assignment}: {len(created)} submission(s) assigned.",
                    messages.SUCCESS,
                )


class LevelInline(admin.TabularInline):
    model = Level
    extra = 1


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("title", "rubric", "order", "max_points")
    list_select_related = ("rubric__assignment",)
    list_filter = ("rubric__assignment__course",)
    inlines = (LevelInline,)


class CriterionScoreInline(admin.TabularInline):
    model = CriterionScore
    extra = 0
    fields = ("criterion", "points", "comment")
    readonly_fields = ("criterion", "points", "comment")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LineCommentInline(admin.TabularInline):
    model = LineComment
    extra = 0
    fields = ("path", "line", "text", "author")
    readonly_fields = ("author",)


class ReviewAssignForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ("group", "grader")

    def clean(self):
        data = super().clean()
        group = data.get("group") or (self.instance.group if self.instance.pk else None)
        if group and data.get("grader") and "grader" in self.changed_data:
            grader_assign_check(group=group, grader=data["grader"])
        return data


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    """Assign a grader by adding a review (group + grader); scores change on the site."""

    list_display = ("group", "assignment", "grader", "status", "total", "updated_at")
    list_filter = ("status", "group__assignment__course", "group__assignment")
    list_select_related = ("group__assignment", "grader")
    search_fields = ("group__name", "grader__username")
    inlines = (CriterionScoreInline, LineCommentInline)
    history_list_display = ("status", "total")

    form = ReviewAssignForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("group", "grader")
        return ("group", "submission", "grader", "status", "total", "overall_feedback")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fields = ("group", "submission", "status", "total", "overall_feedback")
        return (*fields, "grader") if obj.is_completed else fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    @admin.display(description=_("assignment"))
    def assignment(self, obj: Review):
        return obj.group.assignment

    def save_model(self, request, obj, form, change):
        if change and "grader" not in form.changed_data:
            return  # nothing else is editable here: scores change on the review page
        # Through the service: it picks the latest submission and checks the grader.
        saved = grader_assign(group=obj.group, grader=obj.grader, by=request.user)
        obj.pk = saved.pk
        obj.submission = saved.submission


@admin.register(CriterionScore)
class CriterionScoreAdmin(SimpleHistoryAdmin):
    list_display = ("review", "criterion", "points")
    list_select_related = ("review__group", "review__grader", "criterion")
    readonly_fields = ("review", "criterion", "points", "comment")
    history_list_display = ("points",)


@admin.register(GradeRelease)
class GradeReleaseAdmin(SimpleHistoryAdmin):
    list_display = ("assignment", "released_at", "released_by")
    list_select_related = ("assignment", "released_by")
    readonly_fields = ("assignment", "released_at", "released_by")

    def has_add_permission(self, request) -> bool:
        return False  # release through the confirmation page, which emails students


@admin.register(RegradeRequest)
class RegradeRequestAdmin(SimpleHistoryAdmin):
    list_display = ("review", "criterion", "status", "created_at", "answered_by")
    list_filter = ("status",)
    list_select_related = ("review__group", "review__grader", "criterion", "answered_by")


@admin.register(PeerRating)
class PeerRatingAdmin(SimpleHistoryAdmin):
    list_display = ("group", "rater", "ratee", "score")
    list_filter = ("group__assignment",)
    list_select_related = ("group", "rater", "ratee")


@admin.register(MarkOverride)
class MarkOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("assignment", "student", "mark", "by", "at")
    list_select_related = ("assignment", "student", "by")
    readonly_fields = ("by",)

    def save_model(self, request, obj, form, change):
        obj.by = request.user
        super().save_model(request, obj, form, change)
