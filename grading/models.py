"""Grading models: rubrics, reviews, line comments, release, regrades, peer evaluation.

Grading settings live on ``Rubric`` (one per assignment) so the assignment model stays
the students' side. Every model whose changes affect a mark keeps a history
(django-simple-history): who changed it and when, visible in the admin.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coursesite.dates import local_text
from lessons.models import validate_one_line
from projects.models import Group, ProjectAssignment, Submission

# A year: a window must close within the course's life, and a date it computes must exist.
REGRADE_WINDOW_MAX_DAYS = 365


class Rubric(models.Model):
    """The criteria an assignment is graded on, and how grading works for it."""

    assignment = models.OneToOneField(
        ProjectAssignment, on_delete=models.CASCADE, related_name="rubric"
    )
    anonymous_grading = models.BooleanField(
        _("anonymous grading"),
        default=False,
        help_text=_("Graders see a group number instead of group and student names."),
    )
    graders_see_all = models.BooleanField(
        _("graders see all submissions"),
        default=False,
        help_text=_(
            "Every grader of the course may open every review of this assignment, "
            "not only the ones assigned to them (only the assigned grader edits)."
        ),
    )
    regrade_window_days = models.PositiveSmallIntegerField(
        _("regrade window (days)"),
        default=7,
        validators=[MaxValueValidator(REGRADE_WINDOW_MAX_DAYS)],
        help_text=_(
            "Students may ask for a regrade this many days after the release (at most 365)."
        ),
    )
    peer_evaluation = models.BooleanField(
        _("peer evaluation"),
        default=False,
        help_text=_(
            "From their group's deadline until the release, members rate each teammate's "
            "share of the work; each member's mark is the group's times their peer factor "
            "(WebPA: 1.00 for an even share, more for more)."
        ),
    )
    peer_factor_cap = models.DecimalField(
        _("maximum peer factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.20"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("2.00"))],
        help_text=_(
            "A member's peer factor is capped at this value (1.00 to 2.00), so no mark "
            "rises more than that times the group's."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["assignment_id"]

    def __str__(self) -> str:
        return f"Rubric: {self.assignment}"

    def get_absolute_url(self) -> str:
        return reverse("grading:assignment_grading", kwargs={"pk": self.assignment_id})


# A criterion's or a level's description: a paragraph or two, not a lesson.
RUBRIC_TEXT_MAX_LENGTH = 5000


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    # Shown as Markdown on every review and feedback page: bounded as other texts are
    # (probe 63: 80 KB of backtick runs held each review page for a minute).
    description = models.TextField(_("description"), blank=True, max_length=RUBRIC_TEXT_MAX_LENGTH)
    max_points = models.DecimalField(
        _("maximum points"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    # A maximum changed before the release changes the marks of completed reviews.
    history = HistoricalRecords()

    class Meta:
        ordering = ["rubric_id", "order", "pk"]
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.title

    def level_scored(self, points: Decimal | None) -> Level | None:
        """The level worth POINTS, if one is (of ``level_list``, from
        ``selectors.rubric_criteria``): what a grader chose, as the student reads it."""
        if points is None or not points.is_finite():
            return None
        return next((level for level in self.level_list if level.points == points), None)


class Level(models.Model):
    """An optional descriptor of a criterion, e.g. 'Good' worth 8 points."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    label = models.CharField(_("label"), max_length=80)
    points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    description = models.TextField(_("description"), blank=True, max_length=RUBRIC_TEXT_MAX_LENGTH)

    history = HistoricalRecords()

    class Meta:
        ordering = ["criterion_id", "-points", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"


class ReviewStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DRAFT = "draft", _("In progress")
    COMPLETED = "completed", _("Done")


class Review(models.Model):
    """One grader's review of one group's submission (one review per group).

    ``submission`` is the version being graded: the group's latest when the grader
    starts; later uploads are not graded.
    """

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="review")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reviews")
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus, default=ReviewStatus.TODO
    )
    overall_feedback = models.TextField(_("overall feedback"), blank=True)
    overall_feedback_html = models.TextField(editable=False, blank=True)
    # Computed from the criterion scores by the services, never typed. Room for any sum
    # of criteria (each at most 9,999.99): PostgreSQL refuses a total its column cannot
    # hold, and 101 criteria at their maximum overflowed 8 digits.
    total = models.DecimalField(
        _("total"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Who completed it (from a draft): an instructor finishing a grader's review at the
    # end of term, whose marks are not the grader's (probe 88).
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["submission__submitted_at", "pk"]

    def __str__(self) -> str:
        # Its history names each version by its grader then: an account deleted since
        # (once its reviews went to another) made the history pages a server error.
        try:
            grader = str(self.grader)
        except ObjectDoesNotExist:
            grader = "a deleted account"
        return f"Review of {self.group} by {grader}"

    def get_absolute_url(self) -> str:
        return reverse("grading:review", kwargs={"pk": self.pk})

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED

    def group_label(self, *, anonymous: bool) -> str:
        """Return how graders see the group: its name, or a number if grading is anonymous."""
        return group_label(self.group_id, "" if anonymous else self.group.name, anonymous=anonymous)


def group_label(group_id: int, name: str, *, anonymous: bool) -> str:
    """Return how graders see group GROUP_ID named NAME (lists read as values use it too)."""
    return f"Group #{group_id}" if anonymous else name


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    # RESTRICT: a scored criterion stays (the review's total was added up from its
    # scores); it goes with its review, as when a whole project is deleted.
    criterion = models.ForeignKey(Criterion, on_delete=models.RESTRICT, related_name="scores")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review_id", "criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="grading_score_unique"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0),
                name="grading_score_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.points}"


class LineComment(models.Model):
    """A grader's comment on one line of one file of the reviewed archive."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="line_comments")
    path = models.CharField(_("file"), max_length=1000)
    line = models.PositiveIntegerField(_("line"), validators=[MinValueValidator(1)])
    text = models.TextField(_("comment"), help_text=_("Markdown."))
    # Rendered and sanitised once, when saved (lessons/rendering.py), like all Markdown.
    text_html = models.TextField(editable=False, blank=True)
    # The rubric's criterion the comment explains, if the grader says: the student reads
    # which part of the mark a line cost (PRODUCT.md: comments tied to the rubric).
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criterion"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review_id", "path", "line", "pk"]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class GradeRelease(models.Model):
    """Students see grading results of an assignment once this row exists."""

    assignment = models.OneToOneField(
        ProjectAssignment, on_delete=models.CASCADE, related_name="grade_release"
    )
    released_at = models.DateTimeField(_("released at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-released_at"]

    def __str__(self) -> str:
        return f"Grades of {self.assignment} released {local_text(self.released_at)}"

    def get_absolute_url(self) -> str:
        return reverse("grading:assignment_grading", kwargs={"pk": self.assignment_id})


class RegradeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class RegradeRequest(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="regrade_requests")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RegradeStatus, default=RegradeStatus.OPEN
    )
    old_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    new_points = models.DecimalField(
        _("new points"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    response = models.TextField(_("response"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"],
                condition=Q(status="open"),
                name="grading_one_open_regrade_per_criterion",
                violation_error_message=_(
                    "A regrade of this criterion is already waiting for an answer."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Regrade of {self.criterion} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("grading:regrade_answer", kwargs={"pk": self.pk})


class RegradeMessage(models.Model):
    """A message in a regrade request's thread, while it waits for its answer: the
    grader asks the group for details, the group answers (the reason opens it)."""

    regrade = models.ForeignKey(RegradeRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Said by the grading side (the review's grader or a teacher), else by the group:
    # how the thread names it without naming a grader to students or a student to an
    # anonymous grader, whoever the author becomes later.
    from_staff = models.BooleanField(_("from the grading side"))
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message on {self.regrade}"


class PeerRating(models.Model):
    """How much RATER thinks RATEE contributed (1-5); never shown to the ratee.

    Raters rate every member, themselves included, as WebPA does (see services.peer).
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="peer_ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ratee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("contribution"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["group_id", "rater_id", "ratee_id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "rater", "ratee"], name="grading_peer_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="grading_peer_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rater} rated {self.ratee}: {self.score}"


class MarkOverride(models.Model):
    """An instructor's replacement for one student's computed mark, with the reason."""

    assignment = models.ForeignKey(
        ProjectAssignment, on_delete=models.CASCADE, related_name="mark_overrides"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mark = models.DecimalField(
        _("mark (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["assignment_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="grading_override_unique"
            ),
            models.CheckConstraint(
                condition=Q(mark__gte=0) & Q(mark__lte=100), name="grading_override_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.mark}% ({self.assignment})"


class FeedbackView(models.Model):
    """When a student last opened their group's released feedback.

    The dashboard's to-do list shows feedback nobody opened yet as new, and regrade
    answers given after this time as unread.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="feedback_views")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    viewed_at = models.DateTimeField(_("last viewed at"))

    class Meta:
        ordering = ["review_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "student"], name="grading_feedback_view_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} viewed {self.review} at {local_text(self.viewed_at)}"
