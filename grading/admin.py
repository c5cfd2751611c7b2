"""Back office for grading: rubrics edited inline, reviews with their history.

Scores, comments, releases, regrades, peer ratings and overrides are read here; they
change on the grading pages, through the services and their rules. Every screen asks
the access policy through the base classes of access.backoffice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Sum
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access import policy
from access.backoffice import CourseScopedHistoryAdmin, CourseScopedInline, ReadOnlyMixin
from access.deletion import deleted_objects
from accounts.models import User
from coursesite.admin_forms import (
    ChoiceMessagesMixin,
    InlineRowsMixin,
    KeptWorkFormSet,
    NewRowsLastFormSet,
    ParentRowsFormSet,
    PersonChoiceField,
)
from coursesite.wording import first_few
from lessons.models import Course
from projects.models import ProjectAssignment

from . import selectors
from .hub import stranded_reviews
from .models import (
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeMessage,
    RegradeRequest,
    Review,
    Rubric,
)
from .services import (
    RELEASED_MARKS_LOCKED,
    REVIEW_COMPLETED_KEPT,
    closing_refusal,
    grader_assign,
    grader_assign_check,
    graders_assign_round_robin,
    graders_waiting_note,
    groups_closed_by_grading,
    groups_closed_by_round_robin,
    groups_left_to_teachers_note,
    is_released,
    review_delete,
    review_delete_refusals,
    reviews_fully_scored_drafts,
    reviews_reopen_unscored,
)


def _say_why_kept(request, reason: str) -> None:
    """Put REASON on the 403 page that follows: a record the back office never deletes.

    Django's refusal says nothing of why, and sent people looking for a permission.
    """
    messages.error(request, reason)


class HistoryAdmin(InlineRowsMixin, ChoiceMessagesMixin, CourseScopedHistoryAdmin):
    """A grading record with its history, which is read, never reverted to: a version
    brought back would skip the grading rules (CourseScopedHistoryAdmin refuses the
    post), so its page offers no "Revert" button."""

    object_history_list_template = "admin/history_list.html"

    def revert_disabled(self, request, obj=None) -> bool:
        return True


def _points(value) -> str:
    return f"{value.normalize():f}"  # 10.00 -> "10", 7.50 -> "7.5"


def _released(rubric: Rubric | None) -> bool:
    return rubric is not None and rubric.pk is not None and is_released(rubric.assignment_id)


class CriterionForm(forms.ModelForm):
    """A criterion whose maximum stays at or above every score already given for it."""

    class Meta:
        model = Criterion
        fields = ("rubric", "order", "title", "description", "max_points")

    def clean(self):
        data = super().clean()
        rubric = data.get("rubric") or getattr(self.instance, "rubric", None)
        if self.instance.rubric_id is None and rubric is not None and _released(rubric):
            # The add page, or a tampered inline: a new criterion would lower every mark.
            raise ValidationError(RELEASED_MARKS_LOCKED, code="marks_locked")
        self.keep_maximum_above(
            self.instance.scores if self.instance.pk else None,
            _(
                "A review already gives %(points)s points for this criterion: the maximum "
                "cannot be lower. Ask its grader to change the score first%(which)s."
            ),
            which=self.reviews_above,
        )
        return data

    def reviews_above(self, maximum) -> str:
        """The reviews scoring this criterion above MAXIMUM, for the refusal to say whose
        score to change (probe 124: the instructor hunted for it)."""
        scores = (
            self.instance.scores.filter(points__gt=maximum)
            .select_related("review__group", "review__grader")
            .order_by("-points", "review__group__name")
        )
        named = [
            f"{score.review.group} ({_points(score.points)} points, "
            + (f"graded by {score.review.grader})" if score.review.grader_id else "no grader)")
            for score in scores
        ]
        return ": " + first_few(named, 5) if named else ""

    def keep_maximum_above(self, rows, message: str, which=None) -> None:
        """Refuse a changed maximum below the highest points of ROWS (scores, levels);
        WHICH(maximum) names the rows above it in the message."""
        maximum = self.cleaned_data.get("max_points")
        if rows is None or maximum is None or "max_points" not in self.changed_data:
            return
        highest = rows.aggregate(highest=Max("points"))["highest"]
        if highest is not None and highest > maximum:
            named = {"which": which(maximum)} if which else {}
            self.add_error("max_points", message % {"points": _points(highest), **named})


def title_key(title: str) -> str:
    """How two criteria's titles are compared: capitals and spacing aside."""
    return " ".join(title.casefold().split())


DUPLICATE_TITLE = _(
    "Another criterion of this rubric is called “%(title)s”: give each its own title, as "
    "students and graders tell them apart by it."
)


class CriterionPageForm(CriterionForm):
    """A criterion on its own page: its title is checked against the rubric's others
    (the rubric page's list checks its rows together, CriterionFormSet)."""

    def clean(self):
        data = super().clean()
        # The rubric is read-only once the criterion exists.
        rubric_id = data["rubric"].pk if data.get("rubric") else self.instance.rubric_id
        title = data.get("title")
        if rubric_id is not None and title:
            others = Criterion.objects.filter(rubric_id=rubric_id).exclude(pk=self.instance.pk)
            same = [
                t
                for t in others.values_list("title", flat=True)
                if title_key(t) == title_key(title)
            ]
            if same:
                self.add_error("title", DUPLICATE_TITLE % {"title": same[0]})
        return data


class CriterionInlineForm(CriterionForm):
    """A criterion on its rubric's page, where its levels are not shown: its maximum
    stays at or above each of them (the criterion's page checks the levels it posts)."""

    def clean(self):
        data = super().clean()
        self.keep_maximum_above(
            self.instance.levels if self.instance.pk else None,
            _(
                "A level of this criterion is worth %(points)s points: lower it on the "
                "criterion's page first, or keep the maximum at least that."
            ),
        )
        return data


class CriterionFormSet(NewRowsLastFormSet, KeptWorkFormSet):
    """A rubric's criteria, numbered after the others when added at order 0 (all of them
    were 0, their order left to chance); one that reviews scored, or that students asked to regrade,
    is not deleted from here; two of one title are refused (feedback, regrade requests
    and the gradebook name criteria by title: which "Style" was meant?)."""

    def clean(self) -> None:
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            title = (form.cleaned_data or {}).get("title")
            if not title or self._should_delete_form(form):
                continue
            key = title_key(title)
            if key in seen:
                form.add_error("title", DUPLICATE_TITLE % {"title": seen[key]})
            else:
                seen[key] = title

    def deletion_refusal(self, obj: Criterion) -> str | None:
        reviews = obj.scores.values("review").distinct().count()
        requests = RegradeRequest.objects.filter(criterion=obj).count()
        if not reviews and not requests:
            return None
        return _(
            "Criterion “%(title)s” holds graders' work (scores in %(reviews)d review(s), "
            "%(requests)d regrade request(s)): it cannot be deleted here; its own page "
            "lists what keeps it."
        ) % {"title": obj.title, "reviews": reviews, "requests": requests}


class CriterionInline(CourseScopedInline, admin.TabularInline):
    """A rubric's criteria; a scored one cannot be deleted (CriterionScore.criterion is
    RESTRICT, which the inline reports as a form error), and after the release none
    changes."""

    model = Criterion
    form = CriterionInlineForm
    formset = CriterionFormSet
    extra = 1
    fields = ("order", "title", "description", "max_points", "levels")
    readonly_fields = ("levels",)
    show_change_link = True  # levels are edited on the criterion's own page

    def is_locked(self, obj: Rubric | None) -> bool:
        return _released(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("levels")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "description":  # narrower, for the levels' column
            kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 22}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Levels are edited on each criterion's page: shown and linked here, where a first
    # instructor took the rubric for one without any (probe 44).
    @admin.display(description=_("levels"))
    def levels(self, obj: Criterion) -> str:
        if obj.pk is None:
            return _("Save the rubric, then add levels here.")
        url = reverse("admin:grading_criterion_change", args=[obj.pk])
        levels = obj.levels.all()
        listed = " · ".join(f"{level.label} ({_points(level.points)})" for level in levels)
        action = _("Edit levels") if listed else _("Add levels")
        return format_html(
            '<div class="levels">{} <a href="{}">{}</a></div>',
            listed or _("None yet."),
            url,
            action,
        )


# The history of a rubric's criteria and levels, on the rubric's and criterion's history
# pages: they are edited inline there, and a maximum raised before the release changes
# the marks of completed reviews, so who changed it and when must be readable.

PARTS_HISTORY_TEMPLATE = "admin/grading/history_with_parts.html"
PARTS_SHOWN = 300  # the newest changes; a rubric rarely has more


@dataclass
class PartChange:
    at: datetime
    by: object  # the user, or None
    part: str
    action: str
    changes: str


_CRITERION_FIELDS = (
    ("title", _("title")),
    ("max_points", _("maximum points")),
    ("order", _("order")),
    ("description", _("description")),
)
_LEVEL_FIELDS = (("label", _("label")), ("points", _("points")), ("description", _("description")))


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return _points(value)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _part_changes(records, fields, name_of) -> list[PartChange]:
    """Return what each of RECORDS (historical rows) changed from the one before it."""
    found, previous = [], {}
    ordered = records.select_related("history_user").order_by("id", "history_date", "history_id")
    for record in ordered:
        before, previous[record.id] = previous.get(record.id), record
        if record.history_type == "~" and before is not None:
            changes = "; ".join(
                f"{label}: {_shown(getattr(before, field))} → {_shown(getattr(record, field))}"
                for field, label in fields
                if getattr(before, field) != getattr(record, field)
            )
            if not changes:
                continue  # saved as it was (the inline saves every row it shows)
        elif record.history_type == "+":
            changes = "; ".join(
                f"{label}: {_shown(getattr(record, field))}" for field, label in fields[:2]
            )
        else:
            changes = ""
        action = record.get_history_type_display()
        if record.history_change_reason:
            action = f"{action} ({record.history_change_reason})"
        found.append(
            PartChange(record.history_date, record.history_user, name_of(record), action, changes)
        )
    return found


def criteria_changes(*, rubric_id: int | None = None, criterion_id: int | None = None):
    """Return the changes of a rubric's criteria and levels (or of one criterion's
    levels), newest first."""
    criteria = Criterion.history.model.objects.filter(rubric_id=rubric_id)
    if criterion_id is not None:
        criteria = Criterion.history.model.objects.filter(id=criterion_id)
    titles = dict(criteria.order_by("history_date", "history_id").values_list("id", "title"))
    levels = Level.history.model.objects.filter(criterion_id__in=list(titles))

    def level_name(record) -> str:
        return f"Level “{record.label}” of “{titles.get(record.criterion_id, '?')}”"

    found = _part_changes(levels, _LEVEL_FIELDS, level_name)
    if criterion_id is None:  # the criterion's own history lists its changes
        found += _part_changes(criteria, _CRITERION_FIELDS, lambda r: f"Criterion “{r.title}”")
    found.sort(key=lambda change: change.at, reverse=True)
    return found[:PARTS_SHOWN]


class PartsHistoryMixin:
    """A history page that also lists the changes of the rows edited inline on it."""

    object_history_template = PARTS_HISTORY_TEMPLATE
    parts_title = ""

    def parts_changes(self, obj) -> list[PartChange]:
        raise NotImplementedError

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))  # None: not theirs, or gone
        parts = self.parts_changes(obj) if obj is not None else []
        context = {"parts_title": self.parts_title, "parts_changes": parts}
        return super().history_view(request, object_id, {**context, **(extra_context or {})})


@admin.register(Rubric)
class RubricAdmin(PartsHistoryMixin, HistoryAdmin):
    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    parts_title = _("Changes of its criteria and levels")

    def parts_changes(self, obj: Rubric) -> list[PartChange]:
        return criteria_changes(rubric_id=obj.pk)

    def save_model(self, request, obj, form, change) -> None:
        # Saving the page saves the rubric even when only its criteria changed: that
        # wrote a "Changed" row with nothing in it. The criteria keep their own history.
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

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
        (None, {"fields": ("assignment", "total_points")}),
        (_("Graders"), {"fields": ("anonymous_grading", "graders_see_all")}),
        (
            _("After release"),
            {"fields": ("regrade_window_days", "peer_evaluation", "peer_factor_cap")},
        ),
    )
    actions = ("assign_round_robin",)

    @admin.display(description=_("total points"))
    def total_points(self, obj: Rubric | None) -> str:
        # What a review is out of: the criteria's maxima (probe 83: shown nowhere here).
        if obj is None or obj.pk is None:
            return "—"
        total = obj.criteria.aggregate(total=Sum("max_points"))["total"]
        return _points(total or 0)

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "total_points")
        if obj is None:
            return fields
        # A rubric stays with its project: its criteria were scored for that project's
        # groups (moving a released one emptied every released mark).
        fields = (*fields, "assignment")
        if _released(obj):
            # Each student's mark is the group's times their peer factor: switching peer
            # evaluation or its cap after the release changed released marks.
            fields = (*fields, "peer_evaluation", "peer_factor_cap")
        return fields

    def locked_reason(self, obj: Rubric) -> str | None:
        return RELEASED_MARKS_LOCKED if _released(obj) else None

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        _reopen_unscored(request, form.instance.assignment_id)
        criteria = [f for formset in formsets if formset.model is Criterion for f in formset.forms]
        _say_rescaled(request, criteria)
        _say_levels_short(request, [f.instance.pk for f in criteria if f.instance.pk])
        removed = any(f.model is Criterion and f.deleted_objects for f in formsets)
        if removed and (drafts := reviews_fully_scored_drafts(form.instance.assignment_id)):
            # A criterion added by mistake reopened the completed reviews; removing it
            # leaves them drafts, which block the release until completed.
            messages.info(
                request,
                _(
                    "%(count)d review(s) are drafts that score every criterion (those "
                    "reopened when a criterion was added stay open): the grades can be "
                    "released once their graders complete them."
                )
                % {"count": drafts},
            )

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
            if closing := groups_closed_by_round_robin(rubric.assignment):
                confirm = "use its grading page, where “Also close their hand-in” can be ticked"
                refusal = closing_refusal(closing, confirm=confirm)
                self.message_user(request, f"{rubric.assignment}: {refusal}", messages.ERROR)
                continue
            try:
                created = graders_assign_round_robin(assignment=rubric.assignment, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                waiting = graders_waiting_note(rubric.assignment) if created else ""
                left = groups_left_to_teachers_note(rubric.assignment)
                self.message_user(
                    request,
                    f"{rubric.assignment}: {len(created)} submission(s) assigned.{waiting}{left}",
                    messages.WARNING if left else messages.SUCCESS,
                )


class LevelFormSet(ParentRowsFormSet):
    """A criterion's levels, none worth more than the criterion (a grader picking it
    could never save the review), no two worth the same (the review keeps points, and
    the level shown is the one worth them: "Good (40)" came back as "Excellent (40)")."""

    def clean(self) -> None:
        super().clean()
        maximum = self.instance.max_points
        worth: dict = {}  # points: the label of the first level worth them
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            points = form.cleaned_data.get("points")
            if points is None:
                continue
            if maximum is not None and points > maximum:
                form.add_error(
                    "points",
                    _("A level is worth at most the criterion's maximum, %(max)s points.")
                    % {"max": _points(maximum)},
                )
            elif points in worth:
                form.add_error(
                    "points",
                    _(
                        "“%(other)s” is worth %(points)s points too: give each level its "
                        "own number of points, as a score picks the level worth it."
                    )
                    % {"other": worth[points], "points": _points(points)},
                )
            else:
                worth[points] = form.cleaned_data.get("label") or _("another level")


class LevelInline(CourseScopedInline, admin.TabularInline):
    model = Level
    formset = LevelFormSet
    extra = 1

    def is_locked(self, obj: Criterion | None) -> bool:
        return _criterion_released(obj)


def _criterion_released(criterion: Criterion | None) -> bool:
    return criterion is not None and criterion.pk is not None and _released(criterion.rubric)


@admin.register(Criterion)
class CriterionAdmin(PartsHistoryMixin, HistoryAdmin):
    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.rubric.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    parts_title = _("Changes of its levels")

    def parts_changes(self, obj: Criterion) -> list[PartChange]:
        return criteria_changes(criterion_id=obj.pk)

    form = CriterionPageForm
    history_list_display = ("max_points",)
    list_display = ("title", "rubric", "order", "max_points")
    list_select_related = ("rubric__assignment",)
    search_fields = ("title", "rubric__assignment__title")
    list_filter = ("rubric__assignment__course",)
    inlines = (LevelInline,)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A criterion stays in its rubric: its scores belong to that project's reviews.
        return (*fields, "rubric") if obj is not None else fields

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _criterion_released(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _criterion_released(obj)

    def locked_reason(self, obj: Criterion) -> str | None:
        return RELEASED_MARKS_LOCKED if _criterion_released(obj) else None

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        _reopen_unscored(request, form.instance.rubric.assignment_id)
        if change:
            _say_rescaled(request, [form])
            lost = {
                points: label
                for formset in formsets
                if formset.model is Level
                for points, label in _points_taken_away(formset).items()
            }
            if lost:
                _say_scores_without_level(request, form.instance, lost)
        _say_levels_short(request, [form.instance.pk])


def _points_taken_away(formset) -> dict:
    """{points: label} of the levels the saved FORMSET deleted, or moved to other points."""
    lost = {level.points: level.label for level in formset.deleted_objects}
    for level_form in formset.initial_forms:
        if "points" in level_form.changed_data and level_form.initial.get("points") is not None:
            lost[level_form.initial["points"]] = level_form.initial.get("label", "")
    return lost


def _say_scores_without_level(request, criterion: Criterion, lost: dict) -> None:
    """Say how many reviews score CRITERION with the points of a level just deleted or
    moved to other points (LOST): they show no level now, or another one worth them
    (probe 124: a level a draft had chosen was deleted unsaid, and the grader's page then
    highlighted none; probe 128: two levels' points swapped, unsaid). Scores no level
    gave (typed, or filled in by the tests) are not its doing (probe 127)."""
    levels = dict(criterion.levels.values_list("points", "label"))
    # A level deleted and written again as it was is not news (probe 129).
    lost = [points for points, label in lost.items() if levels.get(points) != label]
    scored = list(criterion.scores.filter(points__in=lost).values_list("points", flat=True))
    count, points = len(scored), sorted(set(scored))
    if not count:
        return
    said = ", ".join(
        f"{_points(value)} ({'now “' + levels[value] + '”' if value in levels else 'no level now'})"
        for value in points
    )
    messages.warning(
        request,
        f"{count} review{'s' if count != 1 else ''} of “{criterion.title}” "
        f"score{'' if count != 1 else 's'} the points of a level just deleted or changed: "
        f"{said}. The scores stay as they are; change them on each review's page if "
        "another level was meant.",
    )


def _say_levels_short(request, criterion_ids: list[int]) -> None:
    """Say which of CRITERION_IDS have levels none of which gives the criterion's
    maximum: a grader choosing levels cannot give full marks (probe 83: levels of 3 and 6
    for a criterion of 10 saved without a word)."""
    short = (
        Criterion.objects.filter(pk__in=criterion_ids)
        .annotate(top=Max("levels__points"))
        .filter(top__lt=F("max_points"))
        .order_by("order", "pk")
    )
    for criterion in short:
        messages.warning(
            request,
            f"“{criterion.title}” is worth {_points(criterion.max_points)} points, but its "
            f"highest level gives {_points(criterion.top)}: a grader choosing levels cannot "
            f"give it full marks. Add a level worth {_points(criterion.max_points)}, or "
            "leave it so if full marks are typed on purpose.",
        )


def _say_rescaled(request, forms_saved) -> None:
    """Say which completed reviews' marks a criterion's new maximum changed (probe 47:
    raising one from 3 to 4 points lowered every completed mark with "changed
    successfully" alone; a review that gave 3 of 3 now reads 3 of 4)."""
    changed = {
        form.instance.pk: (form.instance, form.initial["max_points"])
        for form in forms_saved
        if form.instance.pk
        and "max_points" in form.initial
        and "max_points" in form.changed_data
        # A field shown read-only (after the release) is not posted: "changed" to nothing,
        # it said every criterion's maximum changed to what it was (probe 64).
        and form.instance.max_points != form.initial["max_points"]
    }
    if not changed:
        return
    scored = selectors.completed_scores_of(list(changed))
    for pk, (criterion, old_max) in changed.items():
        if not scored.get(pk):
            continue
        messages.warning(
            request,
            _(
                "“%(title)s” is now out of %(new)s points (it was %(old)s): the marks of "
                "the %(count)d completed review(s) that score it changed with it, and they "
                "stay completed. Ask their graders to look again if a score should change."
            )
            % {
                "title": criterion.title,
                "new": _points(criterion.max_points),
                "old": _points(old_max),
                "count": scored[pk],
            },
        )


def _reopen_unscored(request, assignment_id: int) -> None:
    """Reopen the completed reviews a new criterion left unscored, and say so."""
    reopened = reviews_reopen_unscored(assignment_id=assignment_id, by=request.user)
    if reopened:
        messages.warning(
            request,
            _(
                "%(count)d completed review(s) give no score for the new criterion: they "
                "are open again, and the grades cannot be released until their graders "
                "score it and complete them."
            )
            % {"count": reopened},
        )


class CriterionScoreInline(ReadOnlyMixin, CourseScopedInline, admin.TabularInline):
    model = CriterionScore
    extra = 0
    fields = ("criterion", "points", "comment")
    can_delete = False

    def get_queryset(self, request):
        # Each row names its criterion: one query for all (probe 92: one a score).
        return super().get_queryset(request).select_related("criterion")


class LineCommentInline(ReadOnlyMixin, CourseScopedInline, admin.TabularInline):
    model = LineComment
    extra = 0
    fields = ("path", "line", "text", "criterion", "author")
    can_delete = False

    def get_queryset(self, request):
        # Each row names its author and criterion: one query for all (probe 38: one a
        # comment).
        return super().get_queryset(request).select_related("author", "criterion")


class ReviewAssignForm(forms.ModelForm):
    close_hand_in = forms.BooleanField(
        required=False,
        label=_("Also close its hand-in"),
        help_text=_(
            "For a group still before its deadline, on a project that takes no new "
            "version once grading starts."
        ),
    )

    class Meta:
        model = Review
        fields = ("group", "grader")

    def clean(self):
        data = super().clean()
        group = data.get("group") or (self.instance.group if self.instance.pk else None)
        if group and data.get("grader") and "grader" in self.changed_data:
            grader_assign_check(group=group, grader=data["grader"])
            # A group with a review already is handed over (grader_assign): nothing closes.
            handed_over = self.instance.pk or Review.objects.filter(group=group).exists()
            if not handed_over and not data.get("close_hand_in"):
                group.submission_count = 1  # it has a version: the check said so
                if closing := groups_closed_by_grading(group.assignment, [group]):
                    confirm = "tick “Also close its hand-in”"
                    raise ValidationError(closing_refusal(closing, confirm=confirm))
        return data


@admin.register(Review)
class ReviewAdmin(HistoryAdmin):
    """Assign a grader by adding a review (group + grader); scores change on the site."""

    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.group.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    list_display = ("group", "assignment", "grader", "status", "total", "updated_at")
    list_filter = ("status", "group__assignment__course", "group__assignment")
    list_select_related = ("group__assignment", "grader")
    search_fields = ("group__name", "grader__username")
    inlines = (CriterionScoreInline, LineCommentInline)
    history_list_display = ("status", "total")

    form = ReviewAssignForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grader":
            # The people who grade in the courses this user teaches.
            kwargs["queryset"] = User.objects.filter(
                enrollments__course__in=policy.scope(request.user, policy.TEACH, Course.objects),
                enrollments__role__in=policy.STAFF,
            ).distinct()
            kwargs["form_class"] = PersonChoiceField  # active people, with their usernames
            kwargs["error_messages"] = {
                "invalid_choice": _("That person is not a grader or instructor of your courses.")
            }
        if db_field.name == "group":
            # Only what can be added (the field is read-only on a review's own page): a
            # group with a version and no review (probe 82: every group was offered, and
            # one with a review was refused only once sent).
            kwargs["error_messages"] = {
                "invalid_choice": _(
                    "Choose a group of your courses that has handed in a version and has "
                    "no review yet, in a project whose grades are not released (a group's "
                    "review is changed on its own page)."
                )
            }
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "group" and field is not None:
            field.queryset = field.queryset.filter(
                review__isnull=True,
                submissions__isnull=False,
                assignment__grades_released_at__isnull=True,  # released: no review is added
            ).distinct()
            # Named with its project: two projects' "Team 1" read alike (probe 37).
            field.queryset = field.queryset.select_related("assignment__course")
            field.label_from_instance = lambda group: (
                f"{group.name} — {group.assignment.title} ({group.assignment.course.title})"
            )
        return field

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("group", "grader", "close_hand_in")
        return ("group", "submission", "grader", "status", "total", "overall_feedback")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fields = ("group", "submission", "status", "total", "overall_feedback")
        return (*fields, "grader") if obj.is_completed else fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if request.method == "GET" and obj is not None and obj.grader_id:
            stranded = stranded_reviews(obj.group.assignment)
            if any(review.pk == obj.pk for review in stranded):
                # The grader list holds the course's graders only: the field read
                # "- Select an option -", and saving said only "This field is required".
                messages.warning(
                    request,
                    _(
                        "%(grader)s, this review's grader, no longer grades this course: "
                        "nobody can finish it. Choose another grader below; unfinished "
                        "work goes with it."
                    )
                    % {"grader": obj.grader},
                )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("assignment"))
    def assignment(self, obj: Review):
        return obj.group.assignment

    def has_delete_permission(self, request, obj=None) -> bool:
        # Unassigning an unfinished review is fine; a completed one is the record.
        if obj is not None and obj.is_completed:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.is_completed:
            # Once released, it can be neither reopened nor reassigned (probe 85: the
            # reason said to do one of them).
            released = obj.group.assignment.grades_released_at is not None
            _say_why_kept(request, RELEASED_MARKS_LOCKED if released else REVIEW_COMPLETED_KEPT)
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # Only an empty, unfinished review goes (services.review_delete_refusal): the
        # confirmation page says why the others stay, instead of offering to delete them.
        objs = list(objs)
        refused = review_delete_refusals([review.pk for review in objs])
        if refused:  # each reason once (120 completed reviews said the same 120 times)
            reasons = dict.fromkeys(refused[review.pk] for review in objs if review.pk in refused)
            return [], {}, set(), list(reasons)
        deleted, counts, perms_needed, protected = deleted_objects(objs, request, self.admin_site)
        # What such a review holds: score rows a draft saved blank, which are no record.
        perms_needed.discard(CriterionScore._meta.verbose_name)
        if perms_needed or protected:
            return super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj) -> None:
        # Through the service, for the single delete and "delete selected" alike: it
        # also ends the group's "grading started" state, which locks its uploads.
        review_delete(review=obj, by=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for review in queryset.select_related("group"):
            review_delete(review=review, by=request.user)

    def save_model(self, request, obj, form, change):
        if change and "grader" not in form.changed_data:
            return  # nothing else is editable here: scores change on the review page
        # Through the service: it picks the latest submission and checks the grader.
        saved = grader_assign(
            group=obj.group,
            grader=obj.grader,
            by=request.user,
            close_hand_in=form.cleaned_data.get("close_hand_in", False),
        )
        obj.pk = saved.pk
        obj.submission = saved.submission


class ReadOnlyAdmin(HistoryAdmin):
    """A record to read, with its history; it changes on the grading pages only.

    Releases go through the confirmation page (it emails students), overrides and
    regrade answers through the assignment page and the review, with their rules.
    """

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Superusers only, as part of deleting an account (the rows go with their person).
        return policy.is_superuser(request.user)


@admin.register(CriterionScore)
class CriterionScoreAdmin(ReadOnlyAdmin):
    list_display = ("review", "criterion", "points")
    list_select_related = ("review__group", "review__grader", "criterion")
    history_list_display = ("points",)


RELEASE_KEPT = _(
    "A release is the record of when students were shown their grades and feedback, and "
    "were emailed: it is never deleted, so the grades cannot be taken back. Correct a "
    "mark with a regrade or a mark override."
)


@admin.register(GradeRelease)
class GradeReleaseAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "released_at", "released_by")
    list_select_related = ("assignment", "released_by")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Not even for superusers: deleting it hid every feedback, left regrade requests
        # answerable and emailed every student again on the next release. Deleting an
        # account never needs it (released_by is SET_NULL); a project or course that
        # goes with its release is refused as holding graded work (get_deleted_objects).
        return False

    def locked_reason(self, obj: GradeRelease) -> str | None:
        # Also on the refusal of its delete address (CourseScopedMixin.delete_view).
        return RELEASE_KEPT


class RegradeMessageInline(ReadOnlyMixin, CourseScopedInline, admin.TabularInline):
    """The request's thread, to read: it is written on the grading pages."""

    model = RegradeMessage
    extra = 0
    fields = ("created_at", "author", "side", "text")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("from"))
    def side(self, obj: RegradeMessage) -> str:
        # Named, not a boolean's ✗: a student's message is no error (probe 82).
        return _("the grading side") if obj.from_staff else _("the group")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    list_display = ("review", "criterion", "status", "created_at", "answered_by")
    list_filter = ("status",)
    list_select_related = ("review__group", "review__grader", "criterion", "answered_by")
    inlines = (RegradeMessageInline,)


@admin.register(PeerRating)
class PeerRatingAdmin(ReadOnlyAdmin):
    list_display = ("group", "rater", "ratee", "score")
    list_filter = ("group__assignment",)
    list_select_related = ("group", "rater", "ratee")


@admin.register(MarkOverride)
class MarkOverrideAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "student", "mark", "by", "at")
    list_select_related = ("assignment", "student", "by")
