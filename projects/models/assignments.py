from __future__ import annotations

import math
import secrets
import unicodedata
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Role, User
from accounts.validators import validate_name
from coursesite.dates import local_text
from coursesite.urlpaths import path_of
from lessons.models import Enrollment, validate_one_line
from lessons.rendering import markdown_to_html
from projects.archives import format_bytes

BRIEF_MAX_LENGTH = 100_000  # shown on the project's page to every student
GROUP_SIZE_LIMIT = 100


class LatePolicy(models.TextChoices):
    NO_LATE_WORK = "none", _("No late work accepted")
    PENALTY = "penalty", _("Accepted with a penalty per day, up to a cap")
    NO_PENALTY = "accept", _("Accepted without penalty")


class FormationMode(models.TextChoices):
    SELF = "self", _("Students form their own groups")
    INSTRUCTOR = "instructor", _("The instructor assigns groups")


class SubmissionKinds(models.TextChoices):
    ZIP = "zip", _("Zip archive of the code")
    URL = "url", _("Repository URL")
    BOTH = "both", _("Zip archive and/or repository URL")


class LateVersionRule(models.TextChoices):
    """What happens to a version a group submits once its work may be graded."""

    LOCK_AT_DEADLINE = "deadline", _("Lock at the deadline: no version after it")
    LOCK_WHEN_GRADING = "grading", _("Lock when grading starts (a grader is assigned)")
    ACCEPT_AND_NOTIFY = "notify", _("Accept and notify the grader (the graded version stays)")


# The database's check, and the back office's by the field (ProjectAssignmentForm).
DUE_AFTER_OPENING = _("The deadline must be after the opening time.")


class ProjectAssignmentQuerySet(models.QuerySet):
    def published(self) -> ProjectAssignmentQuerySet:
        return self.filter(is_published=True, course__is_published=True)

    def lock(self, pk: int) -> ProjectAssignment | None:
        """Lock project PK's row until the transaction ends (PostgreSQL; SQLite serializes
        every write anyway), and return the project as it is then (None if deleted):
        decide on this copy, not on one read before the lock.

        The writes that must see each other's outcome (forming groups, numbering a
        version, assigning graders, saving a review, releasing the grades, overriding a
        mark) take it first, before any row of a group or review: they queue here one
        at a time per project, each sees what the one before it committed, and no two
        of them hold each other's rows (no deadlock).
        """
        return self.select_for_update(of=("self",)).filter(pk=pk).first()


class ProjectAssignment(models.Model):
    course = models.ForeignKey("lessons.Course", on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    slug = models.SlugField(_("slug"), max_length=80)
    brief = models.TextField(
        _("brief"), blank=True, max_length=BRIEF_MAX_LENGTH, help_text=_("Markdown.")
    )
    brief_html = models.TextField(editable=False, blank=True)
    # When its grades were released (grading's GradeRelease, which stays the record):
    # set by assignment_grading_closed in the release's transaction, never unset, so
    # that project pages know it from the row they load already.
    grades_released_at = models.DateTimeField(null=True, blank=True, editable=False)
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    late_policy = models.CharField(
        _("late policy"), max_length=10, choices=LatePolicy, default=LatePolicy.PENALTY
    )
    late_penalty_per_day = models.DecimalField(
        _("penalty per late day (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    late_penalty_cap = models.DecimalField(
        _("maximum penalty (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # Bounded in words: past the database's range the form said "at most
    # 9223372036854775807".
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(GROUP_SIZE_LIMIT)],
    )
    max_group_size = models.PositiveSmallIntegerField(
        _("maximum group size"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(GROUP_SIZE_LIMIT)],
    )
    formation_mode = models.CharField(
        _("group formation"), max_length=12, choices=FormationMode, default=FormationMode.SELF
    )
    submission_kinds = models.CharField(
        _("accepted submissions"),
        max_length=4,
        choices=SubmissionKinds,
        default=SubmissionKinds.BOTH,
    )
    max_upload_mb = models.PositiveSmallIntegerField(
        _("maximum upload size (MB)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    late_version_rule = models.CharField(
        _("new versions after grading"),
        max_length=10,
        choices=LateVersionRule,
        default=LateVersionRule.LOCK_WHEN_GRADING,
        help_text=_(
            "Whether a group may still submit once its deadline passed or its work is "
            "being graded. Locking at the deadline refuses late work whatever the late "
            "policy. A version that arrives after grading started is not graded."
        ),
    )
    # How the gradebook totals this project (grading/gradebook.py).
    weight = models.DecimalField(
        _("weight in the total"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Relative weight in the course's weighted total; 0 leaves it out."),
    )
    missing_counts_as_zero = models.BooleanField(
        _("missing work counts as 0"),
        default=False,
        help_text=_(
            "A student without a mark gets 0 in the weighted total; otherwise the project "
            "is left out of their total until it is graded."
        ),
    )
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectAssignmentQuerySet.as_manager()
    # Each save kept: dates and late rules move marks (the back office says whose), and
    # a brief pasted over was lost (probe 73).
    history = HistoricalRecords(excluded_fields=["brief_html"])

    class Meta:
        ordering = ["course_id", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="projects_assignment_slug"),
            models.CheckConstraint(
                condition=Q(min_group_size__gte=1) & Q(min_group_size__lte=F("max_group_size")),
                name="projects_assignment_group_sizes",
                violation_error_message=_(
                    "The minimum group size must be at least 1 and not above the maximum."
                ),
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("opens_at")),
                name="projects_assignment_due_after_open",
                violation_error_message=DUE_AFTER_OPENING,
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="projects_assignment_weight_not_negative",
                violation_error_message=_("The weight cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # brief_html is a cache of brief: render it once here, never per request.
        self.brief_html = markdown_to_html(self.brief)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "brief" in update_fields:
            kwargs["update_fields"] = {*update_fields, "brief_html"}
        with transaction.atomic():
            former = _slug_before(self, kwargs.get("update_fields"))
            super().save(*args, **kwargs)
            if former != self.slug:
                FormerProjectSlug.remember(self, old=former)

    def get_absolute_url(self) -> str:
        return path_of("projects:detail", course_slug=self.course.slug, slug=self.slug)

    @property
    def accepts_late_work(self) -> bool:
        return self.late_policy != LatePolicy.NO_LATE_WORK

    @property
    def students_form_groups(self) -> bool:
        return self.formation_mode == FormationMode.SELF

    def groups_are_open(self, now: datetime | None = None) -> bool:
        """Return whether students may still create, join or leave groups."""
        return self.is_published and (now or timezone.now()) < self.due_at

    def students_in_no_group(self):
        """Return the course's students in no group of this project (a User queryset)."""
        return User.objects.filter(
            enrollments__course_id=self.course_id, enrollments__role=Role.STUDENT
        ).exclude(group_memberships__assignment=self)

    @property
    def accepts_zip(self) -> bool:
        return self.submission_kinds in (SubmissionKinds.ZIP, SubmissionKinds.BOTH)

    @property
    def accepts_url(self) -> bool:
        return self.submission_kinds in (SubmissionKinds.URL, SubmissionKinds.BOTH)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def has_opened(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.opens_at

    def days_late(self, submitted_at: datetime, deadline: datetime | None = None) -> int:
        """Return started days past DEADLINE (the assignment's, or a group's extension).

        Days as the calendar counts them in the site's time zone, where students read
        the deadline and the time they handed in: across a change of the clocks a day
        is 23 or 25 hours, and 23 h 31 min after a deadline of 23:59 is one day late,
        not two. Any time after the deadline is at least one day.
        """
        deadline = deadline or self.due_at
        if submitted_at <= deadline:
            return 0
        wall = timezone.localtime(submitted_at).replace(tzinfo=None)
        due = timezone.localtime(deadline).replace(tzinfo=None)
        return max(1, math.ceil((wall - due).total_seconds() / 86400))

    def late_penalty_percent(self, days_late: int) -> Decimal:
        if days_late <= 0 or self.late_policy != LatePolicy.PENALTY:
            return Decimal("0")
        return min(self.late_penalty_per_day * days_late, self.late_penalty_cap)


def new_join_code() -> str:
    # 8 characters from an unambiguous alphabet: easy to read out, hard to guess.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _slug_before(assignment: ProjectAssignment, update_fields) -> str | None:
    """ASSIGNMENT's slug as stored, if this save may change it (None: a new project)."""
    if assignment.pk is None or (update_fields is not None and "slug" not in update_fields):
        return assignment.slug
    stored = ProjectAssignment.objects.filter(pk=assignment.pk).values_list("slug", flat=True)
    return stored.first()


class FormerProjectSlug(models.Model):
    """A slug a project had before it changed, within its course.

    Its pages' old addresses (bookmarks, deadline and feedback emails) lead to the new
    ones, for whoever may see the project (projects.middleware); a current slug always
    wins over a former one. Course slugs follow on their own (lessons.FormerSlug).
    """

    assignment = models.ForeignKey(
        ProjectAssignment, on_delete=models.CASCADE, related_name="former_slugs"
    )
    course = models.ForeignKey("lessons.Course", on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=80)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="projects_formerslug_course"),
        ]

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def remember(cls, assignment: ProjectAssignment, *, old: str | None) -> None:
        """Record that ASSIGNMENT left slug OLD for its current one."""
        # Named back to a former slug, that slug is current again.
        cls.objects.filter(course_id=assignment.course_id, slug=assignment.slug).delete()
        if old:
            # The latest project to leave a slug keeps it.
            cls.objects.update_or_create(
                course_id=assignment.course_id,
                slug=old,
                defaults={"assignment": assignment, "changed_at": timezone.now()},
            )


class Group(models.Model):
    assignment = models.ForeignKey(
        ProjectAssignment, on_delete=models.CASCADE, related_name="groups"
    )
    # Shown to graders and instructors beside its members: readable as typed.
    name = models.CharField(_("name"), max_length=80, validators=[validate_name])
    join_code = models.CharField(_("join code"), max_length=12, unique=True, default=new_join_code)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the grading services (projects never asks grading): when a grader was
    # assigned to the group or the grades were released, and the version being graded.
    grading_started_at = models.DateTimeField(_("grading started"), null=True, blank=True)
    graded_submission = models.ForeignKey(
        "Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("graded version"),
    )

    class Meta:
        ordering = ["assignment_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "name"],
                name="projects_group_name",
                violation_error_message=_(
                    "Another group of this project already has this name: choose another."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # One spelling of each accent (NFC), as people's names (accounts.models.User).
        self.name = unicodedata.normalize("NFC", self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return self.assignment.get_absolute_url()

    def clean(self) -> None:
        # Composed before the forms check that the name is free: the name saved is
        # (probe 67: a decomposed "Café" beside a composed one passed the check, then
        # failed on saving as "Someone changed this at the same moment").
        # Spaces as a student's form leaves them: "Team  Alpha" and a no-break space
        # passed beside "Team Alpha" (probe 93).
        self.name = " ".join(unicodedata.normalize("NFC", self.name).split())
        # Whatever its capitals, as students are refused (probe 90: the back office
        # made "team alpha" beside "Team Alpha").
        if self.assignment_id and self.name:
            siblings = Group.objects.filter(assignment_id=self.assignment_id)
            if siblings.filter(name__iexact=self.name).exclude(pk=self.pk).exists():
                raise ValidationError(
                    {
                        "name": _(
                            "Another group of this project already has this name: choose another."
                        )
                    }
                )

    def deadline(self) -> datetime:
        """Return the group's deadline: the assignment's, or its extension."""
        extension = getattr(self, "extension", None)
        if extension is not None and extension.due_at > self.assignment.due_at:
            return extension.due_at
        return self.assignment.due_at


class GroupMembershipQuerySet(models.QuerySet):
    def of_students(self) -> GroupMembershipQuerySet:
        """Memberships of people still students of the project's course. Someone removed
        from the course keeps their membership (the group's versions were theirs too) but
        no longer counts among its members: they rate and are rated by nobody, and do
        not keep a group that holds work open to newcomers."""
        return self.filter(_still_a_student())

    def with_is_student(self) -> GroupMembershipQuerySet:
        """Each membership with ``is_student``: whether of_students() would keep it."""
        return self.annotate(is_student=_still_a_student())

    def with_counted_in_marks(self) -> GroupMembershipQuerySet:
        """Each membership with ``counted``: whether the member counts in their group's
        peer factors. Once the project's grades are released, as they did then
        (``student_at_release``); before, whether of_students() would keep it."""
        return self.annotate(
            counted=Coalesce(
                "student_at_release", _still_a_student(), output_field=models.BooleanField()
            )
        )

    def freeze_students(self, course_id: int) -> int:
        """Record on each membership whether its member is a student of COURSE_ID now
        (``student_at_release``); return how many were written."""
        return self.update(student_at_release=_still_a_student(course_id))


def _still_a_student(course_id: int | None = None) -> Exists:
    return Exists(
        Enrollment.objects.filter(
            course_id=OuterRef("assignment__course_id") if course_id is None else course_id,
            user_id=OuterRef("student_id"),
            role=Role.STUDENT,
        )
    )


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    # Denormalized so the database itself keeps a student in one group per assignment.
    assignment = models.ForeignKey(
        ProjectAssignment, on_delete=models.CASCADE, related_name="memberships"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    # Whether the member was a student of the course when the project's grades were
    # released (None before). The released marks' peer factors count the members as they
    # were then: removing someone from the course later moved their teammates' published
    # marks (probe 64).
    student_at_release = models.BooleanField(
        _("a student when the grades were released"), null=True, editable=False
    )

    objects = GroupMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group_id", "joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="projects_one_group_per_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.group}"


class MembershipEvent(models.Model):
    """History of who joined and left which group, and who made the change."""

    class Action(models.TextChoices):
        CREATED = "created", _("created the group")
        JOINED = "joined", _("joined")
        LEFT = "left", _("left")
        ADDED = "added", _("was added by an instructor")
        REMOVED = "removed", _("was removed by an instructor")
        RENAMED = "renamed", _("renamed the group")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, help_text=_("A renaming's former name."))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        said = f"{self.student} {self.get_action_display()} {self.group}"
        return f"{said} ({self.note})" if self.note else said


class Extension(models.Model):
    """A later deadline granted to one group by an instructor."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="extension")
    due_at = models.DateTimeField(_("new deadline"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Extension for {self.group} until {local_text(self.due_at)}"

    def clean(self) -> None:
        group = getattr(self, "group", None)
        if group is None or not group.assignment_id or not self.due_at:
            return
        stored = Extension.objects.filter(pk=self.pk).values_list("due_at", flat=True).first()
        if stored and stored.replace(microsecond=0) == self.due_at.replace(microsecond=0):
            # Left as it was (to the second, as the form shows it): one the project's
            # deadline has since passed no longer applies (Group.deadline), and must not
            # stop the group's page from saving.
            return
        if self.due_at <= group.assignment.due_at:
            raise ValidationError(
                {"due_at": _("An extension must end after the project's deadline.")}
            )


def submission_upload_to(instance: Submission, filename: str) -> str:
    # Unguessable names: the original name is kept in the database only.
    return f"submissions/{instance.group.assignment_id}/{uuid.uuid4().hex}.zip"


class SubmissionQuerySet(models.QuerySet):
    def latest_of(self, group) -> SubmissionQuerySet:
        """The versions of GROUP (an id, or an OuterRef to one), the latest first: its
        first row is the group's latest version, as a subquery's ``[:1]`` too."""
        return self.filter(group=group).order_by("-version")


class Submission(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="submissions")
    version = models.PositiveIntegerField(_("version"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    is_late = models.BooleanField(_("late"), default=False)
    archive = models.FileField(_("zip archive"), upload_to=submission_upload_to, blank=True)
    archive_name = models.CharField(_("original file name"), max_length=255, blank=True)
    archive_size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    repository_url = models.URLField(_("repository URL"), max_length=500, blank=True)
    commit = models.CharField(_("commit"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = SubmissionQuerySet.as_manager()

    # Set by services.submission_create on the version it returns when the same work was
    # just handed in by the same student (a double click): nothing new was made.
    sent_again = False

    class Meta:
        ordering = ["group_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "version"], name="projects_submission_version"
            ),
        ]
        # The admin lists the latest first: read one page, not sort them all.
        indexes = [models.Index(fields=["submitted_at", "id"], name="projects_sub_submitted_at")]

    def __str__(self) -> str:
        return f"{self.group} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("projects:submission", kwargs={"pk": self.pk})

    def get_download_url(self) -> str:
        return reverse("projects:submission_download", kwargs={"pk": self.pk})

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]

    @property
    def size_display(self) -> str:
        return format_bytes(self.archive_size) if self.archive_size is not None else ""

    def download_filename(self) -> str:
        """Return a safe file name for downloads: never the stored (unguessable) one."""
        stem = self.archive_name.rsplit(".", 1)[0] if self.archive_name else "submission"
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-")
        return f"{safe or 'submission'}-v{self.version}.zip"
