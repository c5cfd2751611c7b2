"""Forms of the grading pages. They validate input; the services apply the rules."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.text import Truncator, get_text_list

from accounts.models import Role, User
from coursesite.converters import parse_id
from coursesite.forms import PlainErrorsMixin
from coursesite.numbers import PlainDecimalField, without_trailing_zeros
from projects.models import Group, LateVersionRule

from .models import Criterion, CriterionScore, ReviewStatus
from .services import overridable_students

# Each rating says what it means: a screen reader read "1, radio button" alone, the scale
# being in the page's introduction only.
PEER_SCALE = {
    1: "very little",
    2: "less than a fair share",
    3: "a fair share",
    4: "more than a fair share",
    5: "a great deal",
}
SCORE_CHOICES = [(n, f"{n}: {meaning}") for n, meaning in PEER_SCALE.items()]


# Longest texts accepted: far more than feedback needs, far less than a page can show.
FEEDBACK_MAX_LENGTH = 20_000
COMMENT_MAX_LENGTH = 5_000
REGRADE_TEXT_MAX_LENGTH = 4_000


# The checks a number outside a field's range fails (a large one fails two at once).
OUT_OF_RANGE = ("min_value", "max_value", "max_digits", "max_whole_digits")


def _points(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"  # 10.00 -> "10", 7.50 -> "7.5"


def _same(name: str, one: str, other: str) -> bool:
    """Whether two values of field NAME mean the same: 7 and 7.00 points, a comment with
    the line ends a browser sends and one as stored."""
    one, other = str(one).replace("\r\n", "\n").strip(), str(other).replace("\r\n", "\n").strip()
    if name.startswith("score_") and one and other:
        try:
            return Decimal(one) == Decimal(other)
        except ArithmeticError:
            return False
    return one == other


class RubricForm(PlainErrorsMixin, forms.Form):
    """One score and comment per criterion, plus the overall feedback (Markdown)."""

    overall_feedback = forms.CharField(
        label="Overall feedback",
        required=False,
        max_length=FEEDBACK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. Students see it once grades are released.",
    )

    def __init__(
        self,
        *args,
        criteria: Iterable[Criterion],  # with their levels (selectors.rubric_criteria)
        scores: Iterable[CriterionScore] = (),
        disabled: bool = False,
        keep_unsent: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        existing = {score.criterion_id: score for score in scores}
        # What the review holds, by field: the page keeps it (shown_marks) to tell, if
        # the review changes meanwhile, which fields its grader changed (caught_up).
        self.saved: dict[str, str] = {}
        for criterion in self.criteria:
            score = existing.get(criterion.pk)
            points = score.points if score else None
            self.saved[f"score_{criterion.pk}"] = "" if points is None else str(points)
            self.saved[f"comment_{criterion.pk}"] = score.comment if score else ""
            # %-formatted by Django with the limit: a "%" in a title is doubled.
            out_of_range = (
                f"Give 0 to {_points(criterion.max_points)} points for "
                + criterion.title.replace("%", "%%")
                + "."
            )
            self.fields[f"score_{criterion.pk}"] = PlainDecimalField(
                label=f"Points for {criterion.title}",
                required=False,
                min_value=Decimal(0),
                max_value=criterion.max_points,
                max_digits=6,
                decimal_places=2,
                initial=score.points if score else None,
                widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control score"}),
                error_messages={
                    # One message for every way of being out of range (too large is
                    # also too many digits: PlainErrorsMixin says it once).
                    **dict.fromkeys(OUT_OF_RANGE, out_of_range),
                    "max_decimal_places": "Give points with at most 2 decimals, such as 7.25.",
                    "invalid": "Enter points as a number, such as 7 or 7.5.",
                },
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=f"Comment on {criterion.title}",
                required=False,
                max_length=COMMENT_MAX_LENGTH,
                initial=score.comment if score else "",
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
        if disabled:
            for field in self.fields.values():
                field.disabled = True
        if keep_unsent and self.is_bound:
            # A field the page did not send is not cleared: the browser sends every field
            # of the form, so the page had none for it (a criterion added since it was
            # built: probe 113), or the request was made by hand (probe 112).
            self.data = self.data.copy()
            for name, value in self.saved.items():
                if name not in self.data:
                    self.data[name] = value

    def clean(self):
        cleaned = super().clean()
        # Without the page's script, a level picked and no points typed scores the level.
        for criterion in self.criteria:
            name = f"score_{criterion.pk}"
            # parse_id: "²" or 5,000 digits pass isdigit() but no int() (a 500 before).
            sent = str(self.data.get(f"level_{criterion.pk}", ""))
            level_id = parse_id(sent)
            level = next((lv for lv in criterion.level_list if lv.pk == level_id), None)
            if sent and level is None:
                # The page offers the criterion's own levels only: another value was
                # dropped, and the draft said "saved" without it.
                self.add_error(name, f"Choose one of the levels shown for {criterion.title}.")
            elif (
                name in cleaned
                and cleaned[name] is None
                and level is not None
                and level != self._level_saved(criterion)
            ):
                cleaned[name] = level.points
        return cleaned

    def _level_saved(self, criterion: Criterion):
        """The level the saved score of CRITERION holds, which the page shows checked.

        Without the page's script a checked radio cannot be unchecked: points emptied on
        purpose came back with that level's points, and "Draft saved" (probe 114). Only
        a level other than that one is a level picked.
        """
        saved = self.saved.get(f"score_{criterion.pk}", "")
        return criterion.level_scored(Decimal(saved)) if saved else None

    def caught_up(self, post, shown: dict[str, str]) -> tuple[dict, list[str], list[str]]:
        """Merge POST, typed on a page that showed SHOWN, with what the review holds now
        (``saved``): a field this page left as shown takes the review's value, changed
        meanwhile elsewhere (a grader and an instructor on one review, two tabs).

        Return the data to save, the fields taken from the other change, and the fields
        both changed, each its own way.
        """
        data = post.copy()
        taken, clashes = [], []
        for name, now in self.saved.items():
            if name not in shown:  # a criterion added since the page was built
                continue
            typed = post.get(name, "")
            if _same(name, typed, shown[name]):
                if not _same(name, now, shown[name]):
                    data[name] = now
                    data.pop(f"level_{name.removeprefix('score_')}", None)
                    taken.append(name)
            elif not _same(name, now, shown[name]) and not _same(name, typed, now):
                clashes.append(name)
        return data, taken, clashes

    def labels(self, names: list[str]) -> str:
        """The fields NAMES as a grader reads them: "Comment on Style and Overall feedback"."""
        return get_text_list([str(self.fields[name].label) for name in names], "and")

    def labels_with_saved(self, names: list[str]) -> str:
        """``labels``, each with the value saved meanwhile: "Points for Style (now 4)", so
        that who saves again chooses knowingly between the two (probe 95: the other
        value showed nowhere)."""
        said = []
        for name in names:
            now = " ".join(self.saved.get(name, "").split())
            if name.startswith("score_") and now:
                now = str(without_trailing_zeros(Decimal(now)))
            elif now:
                now = f"“{Truncator(now).chars(60)}”"
            said.append(f"{self.fields[name].label} (now {now or 'empty'})")
        return get_text_list(said, "and")

    def chosen_levels(self) -> dict[int, int]:
        """Return, per criterion, the level whose points the score holds (to check it)."""
        chosen = {}
        for criterion in self.criteria:
            try:
                points = Decimal(str(self[f"score_{criterion.pk}"].value()))
            except (ArithmeticError, ValueError):
                continue
            # "NaN", "sNaN", "Infinity" as typed have no level
            if (level := criterion.level_scored(points)) is not None:
                chosen[criterion.pk] = level.pk
        return chosen

    def rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, tuple[Decimal | None, str]]:
        return {
            c.pk: (self.cleaned_data[f"score_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"])
            for c in self.criteria
        }


class LineCommentForm(PlainErrorsMixin, forms.Form):
    path = forms.CharField(widget=forms.HiddenInput, max_length=1000)
    line = forms.IntegerField(label="Line", min_value=1, max_value=10_000_000)
    text = forms.CharField(
        label="Comment", max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    # A criterion of the review's rubric, or none (the service checks it is one).
    criterion = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"), "Choose one of the rubric's criteria, or none."
        ),
    )


class LineCommentEditForm(PlainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        error_messages={"required": "Write the comment, or remove it instead."},
    )


class ReleaseForm(PlainErrorsMixin, forms.Form):
    confirm = forms.BooleanField(
        label="I understand that students will see their grades and feedback, and will be emailed.",
    )

    def __init__(
        self,
        *args,
        never_submitted: list[str] | tuple = (),
        due_later: str = "",
        without_group: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if due_later:
            # Released early, the project closed for everyone with nothing said: a
            # student still without a group could no longer form one or submit.
            alone = (
                f", and {without_group} student{'s' if without_group != 1 else ''} without "
                "a group can no longer form one or submit"
                if without_group
                else ""
            )
            self.fields["confirm_early"] = forms.BooleanField(
                label=(
                    f"I understand that the deadline ({due_later}) has not passed: releasing "
                    f"now ends the project early{alone}."
                ),
                error_messages={
                    "required": "Tick this box to release before the deadline has passed."
                },
            )
        if never_submitted:
            # Releasing ends the assignment for them too: they can no longer submit.
            count = len(never_submitted)
            self.fields["confirm_unsubmitted"] = forms.BooleanField(
                label=(
                    f"I understand that {count} group{'s' if count != 1 else ''} that never "
                    "submitted will get no grade and can no longer submit."
                ),
                error_messages={
                    "required": "Tick this box to release although some groups never submitted."
                },
            )


class GraderReassignForm(PlainErrorsMixin, forms.Form):
    """Give one group of an assignment to one of the course's graders."""

    group = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        label="Group",
        # An empty list said nothing (probe 96: groups formed, nothing handed in yet).
        help_text="The groups that have handed in work and whose review is not completed.",
        error_messages={
            "required": "Choose the group to reassign.",
            "invalid_choice": "Choose a group of this assignment that submitted and whose "
            "review is not completed (a completed review keeps its grader).",
        },
    )
    grader = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Grader",
        error_messages={
            "required": "Choose the grader who takes it over.",
            "invalid_choice": (
                "That person is not a grader of this course: choose one from the list."
            ),
        },
    )
    close_hand_in = forms.BooleanField(
        required=False,
        label="Also close its hand-in",
        help_text="For a group still before its deadline: this project takes no new "
        "version once grading starts.",
    )

    def __init__(self, *args, assignment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Not the groups whose review is completed: it cannot change graders (probe 88:
        # they were offered, then refused).
        self.fields["group"].queryset = (
            Group.objects.filter(assignment=assignment, submissions__isnull=False)
            .exclude(review__status=ReviewStatus.COMPLETED)
            .select_related("review__grader")
            .distinct()
            .order_by("name")
        )
        # Who grades it now, to move a group off an overloaded grader (probe 101).
        self.fields["group"].label_from_instance = _group_and_grader
        self.fields["grader"].queryset = User.objects.filter(
            enrollments__course_id=assignment.course_id, enrollments__role=Role.GRADER
        ).order_by("username")
        if assignment.late_version_rule != LateVersionRule.LOCK_WHEN_GRADING:
            del self.fields["close_hand_in"]


def _group_and_grader(group: Group) -> str:
    review = getattr(group, "review", None)
    return f"{group.name} ({f'graded by {review.grader}' if review else 'no grader yet'})"


class RegradeRequestForm(PlainErrorsMixin, forms.Form):
    criterion = forms.ModelChoiceField(
        queryset=Criterion.objects.none(),
        label="Criterion",
        error_messages={
            "required": "Choose the criterion to regrade.",
            "invalid_choice": "That is not one of this project's criteria: choose one of "
            "those listed.",
        },
    )
    reason = forms.CharField(
        label="Why should it be regraded?",
        max_length=REGRADE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why this criterion should be regraded."},
    )

    def __init__(self, *args, criteria, waiting: dict[int, str] | None = None, **kwargs) -> None:
        """CRITERIA: those a regrade may be asked for; WAITING: the titles, by id, of
        those with a request waiting (a teammate may have asked meanwhile)."""
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = criteria
        self.waiting = waiting or {}

    def clean(self):
        cleaned = super().clean()
        chosen = parse_id(str(self.data.get("criterion", "")))
        if "criterion" in self.errors and chosen in self.waiting:
            self.errors["criterion"] = self.error_class(
                [
                    f"A regrade of “{self.waiting[chosen]}” is already waiting for an answer "
                    "(asked by you or a teammate): its answer will show on this page."
                ]
            )
        return cleaned


class RegradeMessageForm(PlainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Your message",
        max_length=REGRADE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write the message first."},
    )

    def __init__(self, *args, to_group: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if to_group:  # what the grader's message does, read out with its box
            self.fields["text"].label = "Your question to the group"
            self.fields["text"].help_text = (
                "They read it under their request on their feedback page; the request "
                "stays open, and their answer appears above."
            )


class RegradeAnswerForm(PlainErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept with a new score"), ("decline", "Decline")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to accept or decline the regrade."},
    )
    new_points = PlainDecimalField(
        label="New score", required=False, min_value=0, max_digits=6, decimal_places=2
    )
    response = forms.CharField(
        label="Answer to the students",
        required=False,
        max_length=REGRADE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Plain text, as the students' reasons and the thread's messages (probe 95: the
        # **bold** of Markdown reached the group as typed).
        help_text="Required when declining. Plain text: the group reads it as typed.",
    )

    def __init__(self, *args, max_points: Decimal | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if max_points is None:
            return
        # The criterion's range, said as the service says it when it refuses a score.
        field = self.fields["new_points"]
        field.max_value = max_points
        field.validators.append(MaxValueValidator(max_points))
        field.widget.attrs["max"] = _points(max_points)
        field.label = f"New score (0 to {_points(max_points)})"
        out_of_range = f"To accept, give a new score between 0 and {_points(max_points)}."
        field.error_messages.update(dict.fromkeys(OUT_OF_RANGE, out_of_range))
        field.error_messages["max_decimal_places"] = (
            "Give the new score with at most 2 decimals, such as 7.25."
        )
        field.error_messages["invalid"] = (
            f"Give the new score as a number between 0 and {_points(max_points)}, such as 7.5."
        )


class PeerRatingForm(PlainErrorsMixin, forms.Form):
    """A 1-5 rating and an optional comment for every member, the rater included."""

    def __init__(self, *args, members: Iterable[User], me: User, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        existing = existing or {}
        for member in self.members:
            name = "yourself" if member.pk == me.pk else str(member)
            previous = existing.get(member.pk)
            self.fields[f"score_{member.pk}"] = forms.TypedChoiceField(
                label=f"Contribution of {name}",
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                initial=previous.score if previous else None,
            )
            self.fields[f"comment_{member.pk}"] = forms.CharField(
                label=f"Comment about {name} (optional)",
                required=False,
                max_length=2000,
                initial=previous.comment if previous else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def ratings(self) -> dict[int, tuple[int, str]]:
        return {
            m.pk: (self.cleaned_data[f"score_{m.pk}"], self.cleaned_data[f"comment_{m.pk}"])
            for m in self.members
        }


REASON_MAX_LENGTH = 2000


class MarkOverrideForm(PlainErrorsMixin, forms.Form):
    student = forms.ModelChoiceField(
        queryset=User.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That person is not a student of this project's course."},
    )
    mark = PlainDecimalField(
        label="Mark (%)",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        error_messages={
            # %-formatted with the limits ("%%" is "%"); "required" is not.
            **dict.fromkeys(OUT_OF_RANGE, "Give a mark between 0 and 100 (%%)."),
            "required": "Give a mark between 0 and 100 (%).",
            "invalid": "Give the mark as a number, such as 87.5.",
            "max_decimal_places": "Give the mark with at most 2 decimals, such as 87.25.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": "Give the reason for the new mark."},
    )
    # The override the page showed (grading.services.override_state): a change since
    # by another teacher is not silently replaced.
    seen = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, assignment=None, clear: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if assignment is not None:
            self.fields["student"].queryset = overridable_students(assignment)
        if clear:  # clearing an override needs only the student
            self.fields["mark"].required = self.fields["reason"].required = False

    def error_messages_text(self) -> list[str]:
        """Return the errors as sentences for a flash message (the form is one table row),
        each naming its field."""
        if "student" in self.errors:
            return list(self.errors["student"])
        return [message for errors in self.errors.values() for message in errors]
