"""What the API shows of each row, and the shape of what it accepts.

Writes are checked by the site's own forms and services (see views): the serializers
that describe a write only give its shape to the schema and to clients.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access import policy
from accounts.models import Role, User
from coursesite.jinja2 import markdown
from coursesite.numbers import PlainDecimalSerializerField
from grading.forms import COMMENT_MAX_LENGTH, FEEDBACK_MAX_LENGTH, REGRADE_TEXT_MAX_LENGTH
from grading.gradebook import CellState
from grading.models import (
    Criterion,
    CriterionScore,
    Level,
    LineComment,
    MarkOverride,
    RegradeMessage,
    RegradeRequest,
    Review,
    ReviewStatus,
    Rubric,
)
from grading.services import OVERRIDE_STATE, override_state
from lessons.models import LESSON_BODY_MAX_LENGTH, Course, Enrollment, Lesson, Module
from lessons.rendering import with_absolute_file_addresses
from projects.models import Group, GroupMembership, ProjectAssignment, Submission
from projects.services.submissions import NOTE_MAX_LENGTH

from .models import TokenScope

MAX_FIELDS_NAMED = 20  # in one refusal: 50,000 unknown keys drew a 5.6 MB answer


def refuse_unknown_fields(data, taken, *, unnamed=()) -> None:
    """Refuse (400) the keys of DATA not in TAKEN, naming the first few of them; the
    keys of UNNAMED are taken too, but not named as fields to send (a form's CSRF token)."""
    if unknown := sorted(
        str(name) for name in data.keys() if name not in taken and name not in unnamed
    ):
        takes = ", ".join(taken) or "no fields"
        errors = {
            name: [f"This request has no such field; it takes {takes}."]
            for name in unknown[:MAX_FIELDS_NAMED]
        }
        if len(unknown) > MAX_FIELDS_NAMED:
            errors["non_field_errors"] = [
                f"{len(unknown) - MAX_FIELDS_NAMED} more fields that this request does not "
                "take were sent."
            ]
        raise serializers.ValidationError(errors)


class RefuseUnknownFieldsMixin:
    """Refuse (400) the fields of a JSON object that a write does not take: a misspelled
    one ("titel") was ignored, and the answer read as success. Query parameters are
    refused the same way (api.filters)."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            taken = [name for name, field in self.fields.items() if not field.read_only]
            refuse_unknown_fields(data, taken)
            # DRF's text fields take JSON numbers as their Python text: 1e999 was
            # saved as the title "inf". Text is sent as a string.
            numbers = [
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and isinstance(data.get(name), int | float)
                and not isinstance(data.get(name), bool)
            ]
            if numbers:
                raise serializers.ValidationError(
                    {name: ["Send text here, as a JSON string, not a number."] for name in numbers}
                )
            # DRF's boolean fields also take 0, 1, "yes" or "off": the schema says a
            # boolean, and `"is_published": "no"` is too close to a typo to guess at.
            not_booleans = [
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.BooleanField)
                and not field.read_only
                and name in data
                and not isinstance(data[name], bool)
                and not (data[name] is None and field.allow_null)
            ]
            if not_booleans:
                raise serializers.ValidationError(
                    {name: ["Send true or false, as a JSON boolean."] for name in not_booleans}
                )
        return super().to_internal_value(data)


class Serializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    pass


class PersonSerializer(ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class MeSerializer(ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    token_scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "pending_email", "is_superuser", "token_scope"]

    @extend_schema_field(serializers.ChoiceField(choices=TokenScope.choices, allow_null=True))
    def get_token_scope(self, user) -> str | None:
        token = self.context["request"].auth
        return getattr(token, "scope", None)


# Courses and content --------------------------------------------------------
class CourseSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id", "slug", "title", "code", "term", "summary", "objectives", "prerequisites",
            "is_published", "created_at", "updated_at", "url",
        ]  # fmt: skip
        read_only_fields = ["id", "slug", "created_at", "updated_at"]

    def get_url(self, course) -> str:
        return self.context["request"].build_absolute_uri(course.get_absolute_url())


ORDER_HELP = "Its place among its siblings, smallest first; left out or 0 on a new one: last."


class ModuleSerializer(ModelSerializer):
    class Meta:
        model = Module
        fields = ["id", "course", "order", "title", "slug", "summary", "is_published"]
        read_only_fields = ["id", "course"]
        extra_kwargs = {"order": {"help_text": ORDER_HELP}}


class LessonListSerializer(ModelSerializer):
    course = serializers.IntegerField(source="module.course_id", read_only=True)

    class Meta:
        model = Lesson
        fields = [
            "id", "course", "module", "order", "title", "slug", "estimated_minutes",
            "is_published", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "module", "updated_at"]
        extra_kwargs = {"order": {"help_text": ORDER_HELP}}


class LessonSerializer(LessonListSerializer):
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LESSON_BODY_MAX_LENGTH,
        help_text="The Markdown source, quiz answers and exercise solutions included: "
        "sent to the course's instructors only (everyone else reads body_html).",
    )
    drop_work = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="A change of body that takes out a question or exercise students answered "
        "(its block removed, or its id changed) would delete their answers with it: refused "
        "(400) unless this is true.",
    )

    class Meta(LessonListSerializer.Meta):
        fields = [*LessonListSerializer.Meta.fields, "body", "body_html", "drop_work"]
        read_only_fields = [*LessonListSerializer.Meta.read_only_fields, "body_html"]

    def to_representation(self, instance: Lesson) -> dict:
        data = super().to_representation(instance)
        # The practice blocks of the source say which choice is right and show the
        # solutions: a student reading them passes any required quiz without learning.
        request = self.context.get("request")
        if request is None or not policy.can(request.user, policy.TEACH, instance):
            del data["body"]
        if request is not None and "body_html" in data:
            # The text points at its files relative to the lesson's page, which a client
            # reading it here is not on.
            page = request.build_absolute_uri(instance.get_absolute_url())
            data["body_html"] = with_absolute_file_addresses(data["body_html"], page)
        return data


# Enrollments and progress ---------------------------------------------------
class EnrollmentSerializer(ModelSerializer):
    user = PersonSerializer(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "course", "user", "email", "role", "created_at"]
        read_only_fields = ["id", "course", "created_at"]


class EnrollmentCreateSerializer(Serializer):
    email = serializers.EmailField(help_text="The email address of an existing account.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STUDENT)


class EnrollmentRoleSerializer(Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class RosterRowInSerializer(Serializer):
    email = serializers.CharField(allow_blank=True, max_length=1000)
    name = serializers.CharField(allow_blank=True, max_length=1000)
    role = serializers.CharField(allow_blank=True, required=False, default="", max_length=100)


class RosterInSerializer(Serializer):
    rows = RosterRowInSerializer(many=True, allow_empty=False, max_length=5000)


class RosterRowSerializer(Serializer):
    line = serializers.IntegerField(help_text="Line of the CSV (the header is line 1).")
    email = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    outcome = serializers.CharField(
        help_text="created account and enrolled, enrolled, already enrolled or rejected"
    )
    accepted = serializers.BooleanField()
    invited = serializers.BooleanField(
        help_text="Emailed an invitation to choose the account's first password."
    )
    detail = serializers.CharField()


class RosterReportSerializer(Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rows = RosterRowSerializer(many=True)


class ProgressSerializer(Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class MyProgressSerializer(ProgressSerializer):
    course = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MyProgressPageSerializer(Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MyProgressSerializer(many=True)


class MyMarkSerializer(Serializer):
    assignment = serializers.IntegerField()
    course = serializers.IntegerField()
    title = serializers.CharField()
    mark = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="The student's mark in %, as their feedback page shows it: the "
        "instructor's override if there is one, else the group mark (after the late "
        "penalty) times their peer factor.",
    )
    adjusted = serializers.BooleanField(
        help_text="The mark is an instructor's override (the site says “Adjusted by "
        "your instructor”)."
    )
    group_mark = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The group's mark in %, after the late penalty (null without a "
        "completed review).",
    )
    late_penalty = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The late penalty taken off, in % (0 when on time; null without a review).",
    )
    days_late = serializers.IntegerField(allow_null=True)
    peer_factor = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        allow_null=True,
        help_text="The peer factor applied, capped (null without peer evaluation).",
    )


class MyMarksPageSerializer(Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MyMarkSerializer(many=True)


class ProgressModuleSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    lessons = serializers.IntegerField()


class StudentProgressSerializer(Serializer):
    student = PersonSerializer()
    modules = ProgressSerializer(many=True)
    overall = ProgressSerializer()


class CourseProgressSerializer(Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    modules = ProgressModuleSerializer(many=True)
    results = StudentProgressSerializer(many=True)


# Projects -------------------------------------------------------------------
class AssignmentSerializer(ModelSerializer):
    class Meta:
        model = ProjectAssignment
        fields = [
            "id", "course", "title", "slug", "brief", "opens_at", "due_at", "late_policy",
            "late_penalty_per_day", "late_penalty_cap", "min_group_size", "max_group_size",
            "formation_mode", "submission_kinds", "max_upload_mb", "late_version_rule",
            "weight", "missing_counts_as_zero", "is_published",
        ]  # fmt: skip
        read_only_fields = fields


class MembershipSerializer(ModelSerializer):
    student = PersonSerializer(read_only=True)

    class Meta:
        model = GroupMembership
        fields = ["id", "group", "assignment", "student", "joined_at"]
        read_only_fields = fields


class GroupSerializer(ModelSerializer):
    members = serializers.SerializerMethodField()
    # The group's own deadline: the project's, or its extension (probe 66: a script saw
    # only the project's due_at, then a version hours after it marked on time).
    deadline = serializers.DateTimeField(read_only=True)
    extended = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = [
            "id", "assignment", "name", "join_code", "created_at", "members", "deadline",
            "extended",
        ]  # fmt: skip
        read_only_fields = fields

    def get_members(self, group) -> list[int]:
        return [m.student_id for m in group.memberships.all()]

    def get_extended(self, group) -> bool:
        return group.deadline() != group.assignment.due_at


class GroupCreateSerializer(Serializer):
    name = serializers.CharField(max_length=80)


class GroupJoinSerializer(Serializer):
    join_code = serializers.CharField(max_length=20)


class SubmissionSerializer(ModelSerializer):
    assignment = serializers.IntegerField(source="group.assignment_id", read_only=True)
    repository_url = serializers.CharField(read_only=True)  # "" when none was given
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id", "assignment", "group", "version", "submitted_by", "submitted_at", "is_late",
            "archive_name", "archive_size", "sha256", "repository_url", "commit", "note",
            "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, submission) -> str | None:
        if not submission.archive:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:submission-download", kwargs={"pk": submission.pk})
        )


class SubmissionCreatedSerializer(SubmissionSerializer):
    notices = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What the group should know of this version, as the site says it after "
        "submitting: kept but not graded (grading started on another, or the grades are "
        "released), or the same zip as the version before. Empty when nothing.",
    )

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "notices"]
        read_only_fields = fields


class SubmissionCreateSerializer(Serializer):
    """A new version of the user's group's work: a zip, a repository URL, or both."""

    archive = serializers.FileField(required=False, help_text="The zip archive (multipart).")
    repository_url = serializers.CharField(required=False, max_length=500)
    commit = serializers.CharField(required=False, max_length=40)
    note = serializers.CharField(required=False, max_length=NOTE_MAX_LENGTH)


# Grading --------------------------------------------------------------------
class ScoreSerializer(ModelSerializer):
    comment_html = serializers.SerializerMethodField(
        help_text="The comment (Markdown) as the site shows it: rendered and sanitised."
    )

    class Meta:
        model = CriterionScore
        fields = ["criterion", "points", "comment", "comment_html"]

    def get_comment_html(self, score) -> str:
        # Kept only as typed: rendered as the feedback page renders it (one cache for both).
        return str(markdown(score.comment)) if score.comment else ""


class ReviewSerializer(ModelSerializer):
    assignment = serializers.IntegerField(source="group.assignment_id", read_only=True)
    scores = ScoreSerializer(many=True, read_only=True)
    grader = serializers.SerializerMethodField()
    submission = serializers.SerializerMethodField(
        help_text="The version graded: once grading started, the one it started on; "
        "before, the group's latest, which grading will take (download it, and name it "
        "when saving: a newer one arriving meanwhile is refused with 409)."
    )
    overall_feedback_html = serializers.CharField(
        read_only=True,
        help_text="The overall feedback (Markdown) rendered and sanitised, as the site shows it.",
    )

    class Meta:
        model = Review
        fields = [
            "id", "assignment", "group", "submission", "grader", "status", "overall_feedback",
            "overall_feedback_html", "total", "scores", "assigned_at", "completed_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_submission(self, review) -> int:
        # The record's own field is the version at assignment: under "accept and notify"
        # a review still to do grades a later one, and a script downloading the stale
        # one was refused (409) at every save, with no way to learn the right one.
        latest = getattr(review, "latest_submission", None)
        if review.status == ReviewStatus.TODO and latest is not None:
            return latest
        return review.submission_id

    def get_grader(self, review) -> int | None:
        # Students read their feedback, not who wrote it (the site does not show it).
        user = self.context["request"].user
        if policy.can(user, policy.GRADE, review.group.assignment):
            return review.grader_id
        return None


def form_checked_text(max_length: int, **kwargs) -> serializers.CharField:
    """A review's text, which the site's review form bounds to MAX_LENGTH: the schema
    publishes the limit (probe 42: it gave none), and the form checks it together with
    the request's other fields, so a too-long comment and a score out of range are told
    in one answer, in the site's words."""
    field_class = extend_schema_field({"type": "string", "maxLength": max_length})(
        type(f"ReviewText{max_length}", (serializers.CharField,), {})
    )
    return field_class(allow_blank=True, required=False, **kwargs)


class ScoreInSerializer(Serializer):
    criterion = serializers.IntegerField(min_value=1)
    points = PlainDecimalSerializerField(
        max_digits=6, decimal_places=2, allow_null=True, min_value=Decimal(0)
    )
    comment = form_checked_text(COMMENT_MAX_LENGTH, default="")


# A rubric has a few criteria; the bound keeps one request's work small (a body of
# 10 MB holds 300,000 scores).
MAX_SCORES = 200


def graded_version_field() -> serializers.IntegerField:
    """The version a script says it graded (a review's update, a line comment)."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The id of the version you graded (the review's `submission` when you "
        "downloaded it). Sent, nothing is saved (409) when the review grades another "
        "version: a newer one arrived before grading started, or the review grades another.",
    )


class ReviewInSerializer(Serializer):
    scores = ScoreInSerializer(
        many=True,
        required=False,
        max_length=MAX_SCORES,
        error_messages={"max_length": f"At most {MAX_SCORES} scores in one request."},
    )
    overall_feedback = form_checked_text(FEEDBACK_MAX_LENGTH)
    complete = serializers.BooleanField(
        required=False,
        help_text="true completes the review (every criterion scored); false keeps it a "
        "draft. Left out: a completed review stays completed.",
    )
    submission = graded_version_field()


class LineCommentSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = LineComment
        fields = [
            "id", "review", "path", "line", "text", "text_html", "criterion", "author",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_author(self, comment) -> int | None:
        # As for a review's grader: students read the comment, not who wrote it.
        user = self.context["request"].user
        if policy.can(user, policy.GRADE, comment.review.group.assignment):
            return comment.author_id
        return None


class LineCommentInSerializer(Serializer):
    path = serializers.CharField(max_length=1000)
    line = serializers.IntegerField(min_value=1, max_value=10_000_000)
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    criterion = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The id of the rubric's criterion the comment explains (GET …/rubric/).",
    )
    submission = graded_version_field()


class LevelSerializer(ModelSerializer):
    class Meta:
        model = Level
        fields = ["label", "points", "description"]
        read_only_fields = fields


class CriterionSerializer(ModelSerializer):
    levels = LevelSerializer(many=True, read_only=True)

    class Meta:
        model = Criterion
        fields = ["id", "order", "title", "description", "max_points", "levels"]
        read_only_fields = fields


class RubricSerializer(ModelSerializer):
    """A project's rubric: its settings and criteria, whose ids the reviews' scores name."""

    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Rubric
        fields = [
            "assignment", "anonymous_grading", "graders_see_all", "regrade_window_days",
            "peer_evaluation", "peer_factor_cap", "criteria",
        ]  # fmt: skip
        read_only_fields = fields


class RegradeMessageSerializer(ModelSerializer):
    """A message of a regrade's thread, named by its side only (as on the site: no
    grader's name to students, no student's to an anonymous grader)."""

    class Meta:
        model = RegradeMessage
        fields = ["from_staff", "text", "created_at"]
        read_only_fields = fields


class RegradeSerializer(ModelSerializer):
    messages = RegradeMessageSerializer(many=True, read_only=True)

    class Meta:
        model = RegradeRequest
        fields = [
            "id", "review", "criterion", "reason", "status", "old_points", "new_points",
            "response", "created_at", "answered_at", "messages",
        ]  # fmt: skip
        read_only_fields = fields


class RegradeMessageInSerializer(Serializer):
    text = serializers.CharField(max_length=REGRADE_TEXT_MAX_LENGTH)


class RegradeAnswerSerializer(Serializer):
    decision = serializers.ChoiceField(
        choices=["accept", "decline"],
        # The request's status reads "accepted": a client sending that was told only
        # that it was no choice (probe 86).
        error_messages={"invalid_choice": "Give accept or decline (not “{input}”)."},
    )
    new_points = PlainDecimalSerializerField(
        max_digits=6, decimal_places=2, required=False, allow_null=True, min_value=Decimal(0)
    )
    response = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=REGRADE_TEXT_MAX_LENGTH
    )


class ReleaseSerializer(Serializer):
    assignment = serializers.IntegerField()
    released = serializers.BooleanField()
    released_at = serializers.DateTimeField(allow_null=True)
    released_by = serializers.IntegerField(allow_null=True)


class OverrideSerializer(ModelSerializer):
    state = serializers.SerializerMethodField(
        help_text="This override as read: send it as `replaces` with a new mark, so that "
        "one another instructor set meanwhile is not replaced unseen."
    )

    class Meta:
        model = MarkOverride
        fields = ["id", "assignment", "student", "mark", "reason", "by", "at", "state"]
        read_only_fields = fields

    def get_state(self, override) -> str:
        return override_state(override)


class OverrideInSerializer(Serializer):
    student = serializers.IntegerField(min_value=1)
    mark = PlainDecimalSerializerField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100)
    )
    reason = serializers.CharField(max_length=2000)
    replaces = serializers.RegexField(
        OVERRIDE_STATE,
        required=False,
        max_length=64,
        error_messages={
            "invalid": "Send the `state` of the student's override as /overrides/ gives it "
            "(such as 12:1765101600.000000), or none if they had none."
        },
        help_text="The `state` of the student's override you read, or `none` if they had "
        "none. Sent, nothing is saved (409) when their override changed since.",
    )


class GradebookColumnSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    released = serializers.BooleanField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    missing_counts_as_zero = serializers.BooleanField()


class GradebookRowSerializer(Serializer):
    student = serializers.IntegerField(source="student_id")
    name = serializers.CharField()
    username = serializers.CharField()
    email = serializers.CharField()
    progress = serializers.DecimalField(max_digits=5, decimal_places=2)
    marks = serializers.ListField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    )
    states = serializers.SerializerMethodField(
        help_text="Per project, in the order of `assignments`: graded, pending (submitted, "
        "not graded yet), missing (deadline passed, nothing submitted) or not due."
    )
    overrides = serializers.SerializerMethodField(
        help_text="Per project, in the order of `assignments`: the reason of the "
        "instructor's override whose mark `marks` gives, or null for a computed mark."
    )
    total = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The weighted total over the projects that count (null if none does).",
    )

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=list(CellState)))
    )
    def get_states(self, row) -> list[str]:
        return [cell.state.value for cell in row.cells]

    @extend_schema_field(serializers.ListField(child=serializers.CharField(allow_null=True)))
    def get_overrides(self, row) -> list[str | None]:
        return [cell.override_reason for cell in row.cells]


class GradebookSerializer(Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    assignments = GradebookColumnSerializer(many=True)
    results = GradebookRowSerializer(many=True)


class ProblemSerializer(Serializer):
    """An RFC 9457 problem detail."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = serializers.DictField(required=False)


class ClosesHandInSerializer(ProblemSerializer):
    """The problem of giving graders to groups still before their deadline (409)."""

    groups = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,  # a 409 of two writes at the same moment names none
        help_text="The ids of the groups whose hand-in it would close: send "
        "?close_hand_in=true to close it, or wait for their deadlines.",
    )


class EnrolledAlreadySerializer(ProblemSerializer):
    """The problem of enrolling someone already enrolled (409)."""

    enrollment = serializers.IntegerField(help_text="The id of their enrollment.")
