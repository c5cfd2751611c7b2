"""Project assignments, groups, memberships and submissions."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db.models import Prefetch
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from access import policy
from accounts.throttle import join_throttle, subject_of_user
from grading import services as grading
from grading.models import Review
from projects import selectors
from projects import services as projects
from projects.forms import GroupCreateForm, GroupJoinForm, GroupRenameForm, SubmissionForm
from projects.models import Group, GroupMembership, ProjectAssignment, Submission
from projects.selectors import MEMBER_OR_TEACHER
from projects.uploads import (
    UNREADABLE,
    UploadLimitHandler,
    close_partial_files,
    headers_too_long,
)
from projects.views.student import archive_download

from .. import filters, serializers
from ..problems import Conflict
from .base import (
    ApiViewSet,
    ZipRenderer,
    form_input,
    form_valid,
    no_body,
    only_params,
    problems,
    query_flag,
    refuse_unless_accepted,
)
from .grading import GradingAssignmentActions

logger = logging.getLogger(__name__)

CLOSE_HAND_IN = OpenApiParameter(
    "close_hand_in",
    bool,
    description="true: assign also groups still before their deadline, closing their "
    "hand-in (on a project whose versions lock when grading starts).",
)

NO_GROUP = "Join or create a group before submitting."
TOO_MANY_PARTS = (
    "The request has too many parts: at most {fields} fields and {files} files. "
    "Send the archive and the form's fields only."
)
FIELDS_TOO_LARGE = "The form's fields hold more than {megabytes} MB: send a shorter note."
NOT_MULTIPART = "The body is not a readable multipart/form-data request ({reason})."


@extend_schema_view(
    list=extend_schema(
        summary="Project assignments of the user's courses",
        description="Published ones for a course's members; drafts too for its instructors.",
    ),
    retrieve=extend_schema(
        summary="A project assignment",
        responses={200: serializers.AssignmentSerializer, **problems(404)},
    ),
)
class AssignmentViewSet(
    GradingAssignmentActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Project assignments: published ones for a course's members, drafts for its instructors."""

    model = ProjectAssignment
    serializer_class = serializers.AssignmentSerializer
    filterset_class = filters.AssignmentFilter

    def base_queryset(self):
        return ProjectAssignment.objects.select_related("course").order_by("course", "due_at", "pk")

    # Students' group actions -------------------------------------------------
    @extend_schema(
        summary="Create a group and join it (students, while groups are open)",
        request=serializers.GroupCreateSerializer,
        responses={201: serializers.GroupSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="groups")
    def create_group(self, request, pk=None):
        assignment = self.object_for(policy.CHANGE)
        data = form_valid(
            GroupCreateForm(form_input(serializers.GroupCreateSerializer, request.data))
        )
        group = projects.group_create(
            assignment=assignment, student=request.user, name=data["name"]
        )
        return Response(_group(group), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename one's group (members, while groups are open, until its grading starts)",
        request=serializers.GroupCreateSerializer,
        responses={200: serializers.GroupSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="rename-group")
    def rename_group(self, request, pk=None):
        assignment = self.object_for(policy.CHANGE)
        data = form_valid(
            GroupRenameForm(form_input(serializers.GroupCreateSerializer, request.data))
        )
        group = projects.group_rename(
            assignment=assignment, student=request.user, name=data["name"]
        )
        return Response(_group(group))

    @extend_schema(
        summary="Join a group with its join code (students)",
        request=serializers.GroupJoinSerializer,
        responses={200: serializers.GroupSerializer, **problems(400, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path="join")
    def join_group(self, request, pk=None):
        assignment = self.object_for(policy.CHANGE)
        data = form_valid(GroupJoinForm(form_input(serializers.GroupJoinSerializer, request.data)))
        guesser = subject_of_user(request.user)
        if not join_throttle.allows(guesser):  # as the site's form (projects.views)
            raise Throttled(
                wait=join_throttle.window.total_seconds(),
                detail=f"Too many wrong join codes: wait {join_throttle.wait}, then try again.",
            )
        try:
            group = projects.group_join(
                assignment=assignment, student=request.user, join_code=data["join_code"]
            )
        except ValidationError as exc:
            if not projects.is_unknown_join_code(exc):
                join_throttle.forgive(guesser)
            raise
        join_throttle.forgive(guesser)
        return Response(_group(group))

    @extend_schema(
        summary="Leave one's group (students, until it has submitted)",
        request=None,
        responses={204: None, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="leave")
    def leave_group(self, request, pk=None):
        assignment = self.object_for(policy.CHANGE)
        no_body(request)
        projects.group_leave(assignment=assignment, student=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Submitting --------------------------------------------------------------
    def initial(self, request, *args, **kwargs):
        if self.action != "submit":
            super().initial(request, *args, **kwargs)
            return
        if request._request.user.is_authenticated:
            # As on the site (projects/uploads.py): the upload limit is in place before
            # anything reads the body, and the CSRF check of a session (run as it
            # authenticates) reads it. Only a session's user gets here first: access is
            # checked once the user is known.
            self.upload_refused = self._read_upload(request, kwargs.get("pk"))
            super().initial(request, *args, **kwargs)
            return
        # Anyone else (a token, or no one) is authenticated, allowed and throttled before
        # a byte of the body is read: an anonymous 20 MB post costs nothing, and takes
        # as long for an assignment that exists as for one that does not.
        super().initial(request, *args, **kwargs)
        self.upload_refused = self._read_upload(request, kwargs.get("pk"))

    @staticmethod
    def _read_upload(request, pk) -> ValidationError | None:
        max_mb = (
            ProjectAssignment.objects.filter(pk=pk).values_list("max_upload_mb", flat=True).first()
        )
        return read_submission(request._request, max_bytes=(max_mb or 0) * 1024 * 1024)

    @extend_schema(
        summary="Submit a new version of one's group's work (students)",
        description=(
            "Multipart: `archive` (the zip), and/or `repository_url` (https) with an "
            "optional `commit`, and an optional `note`. The same checks, limits and "
            "version numbering as the site's form; `notices` says what the site says "
            "after it (a version kept but not graded, the same zip as the last). The "
            "same work sent again by the same student within two minutes (a retry) makes "
            "no new version: 200 with the version it made."
        ),
        request={"multipart/form-data": serializers.SubmissionCreateSerializer},
        responses={
            201: serializers.SubmissionCreatedSerializer,
            200: serializers.SubmissionCreatedSerializer,
            **problems(400, 403, 404),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="submissions",
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def submit(self, request, pk=None):
        assignment = self.object_for(policy.CHANGE)
        if self.upload_refused is not None:
            raise self.upload_refused
        group = selectors.group_for_student(assignment, request.user)
        if group is None:
            raise ValidationError(NO_GROUP)
        # A misspelled field ("comit") was saved as the version without it (201).
        serializers.refuse_unknown_fields(
            request.data, list(SubmissionForm.base_fields), unnamed=("csrfmiddlewaretoken",)
        )
        if isinstance(request.data.get("archive"), str):
            # Read as no archive at all ("Upload a zip archive…"), the zip's bytes unread.
            raise ValidationError(
                {"archive": ["Send the archive as a file (a part with a filename), not as text."]}
            )
        form = SubmissionForm(request.data, request.FILES, assignment=assignment)
        data = form_valid(form)
        submission = projects.submission_create(
            group=group,
            student=request.user,
            archive=data.get("archive") or None,
            repository_url=data.get("repository_url", ""),
            commit=data.get("commit", ""),
            note=data.get("note", ""),
        )
        sent_again = submission.sent_again
        submission = Submission.objects.select_related("group").get(pk=submission.pk)
        submission.notices = selectors.version_notices(submission, assignment)
        if sent_again:
            # The same work by the same student within two minutes (a retry, after a
            # timeout that hid the first answer): the version it made and what that
            # answer said, with a 200, since nothing was created.
            submission.notices.insert(0, selectors.sent_again_notice(submission))
        return Response(
            serializers.SubmissionCreatedSerializer(submission, context={"request": request}).data,
            status=status.HTTP_200_OK if sent_again else status.HTTP_201_CREATED,
        )

    # Instructors ---------------------------------------------------------------
    @extend_schema(
        summary="Give every submitted group without a grader one, evenly (instructors)",
        description="Never to a member of the group. On a project whose versions lock "
        "when grading starts, groups still before their deadline would be closed: "
        "refused (409, naming them in `groups`) unless `?close_hand_in=true`.",
        request=None,
        parameters=[CLOSE_HAND_IN],
        responses={
            200: serializers.ReviewSerializer(many=True),
            **problems(400, 403, 404),
            409: OpenApiResponse(serializers.ClosesHandInSerializer),
        },
    )
    # Its answer is a list but no listing: no filters or pages (nor in the schema).
    @action(
        detail=True,
        methods=["post"],
        url_path="assign-graders",
        filter_backends=[],
        pagination_class=None,
    )
    def assign_graders(self, request, pk=None):
        assignment = self.object_for(policy.TEACH)
        no_body(request)
        only_params(request, "close_hand_in")
        close_hand_in = query_flag(request, "close_hand_in")
        if not close_hand_in and (closing := grading.groups_closed_by_round_robin(assignment)):
            raise Conflict(
                grading.closing_refusal(closing, confirm="send ?close_hand_in=true"),
                groups=[group.pk for group in closing],
            )
        created = grading.graders_assign_round_robin(
            assignment=assignment, by=request.user, close_hand_in=close_hand_in
        )
        reviews = (
            Review.objects.filter(pk__in=[r.pk for r in created])
            .select_related("group__assignment")
            .prefetch_related("scores")
        )
        return Response(
            serializers.ReviewSerializer(reviews, many=True, context={"request": request}).data
        )


def read_submission(request: HttpRequest, *, max_bytes: int) -> ValidationError | None:
    """Parse REQUEST's body under MAX_BYTES, as ``read_upload`` does; return the refusal.

    The site's ``read_upload`` tells a student every body it cannot parse as their
    file's; a script is told what was wrong with the request: too many fields, or a
    body that is no multipart form. Only headers past Django's bound (a file name of a
    thousand characters) concern the archive.
    """
    limiter = UploadLimitHandler(request, max_bytes)
    request.upload_handlers.insert(0, limiter)
    try:
        request.POST  # noqa: B018 - parsing runs the handlers
    except (TooManyFieldsSent, TooManyFilesSent):
        problem = TOO_MANY_PARTS.format(
            fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            files=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        )
    except RequestDataTooBig:
        problem = FIELDS_TOO_LARGE.format(
            megabytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        )
    except (MultiPartParserError, SuspiciousOperation) as exc:
        if headers_too_long(exc):
            close_partial_files(request)
            return ValidationError(
                {"archive": ValidationError(UNREADABLE, code="unreadable_upload")}
            )
        problem = NOT_MULTIPART.format(reason=exc)
    else:
        return ValidationError({"archive": limiter.refusal()}) if limiter.exceeded else None
    logger.info("Refused an unreadable submission to %s: %s", request.path, problem)
    close_partial_files(request)
    return ValidationError(problem, code="unreadable_body")  # the request's, no field's


def _group(group: Group) -> dict:
    group = Group.objects.prefetch_related("memberships").get(pk=group.pk)
    return serializers.GroupSerializer(group).data


@extend_schema_view(
    list=extend_schema(summary="Groups: the user's own, or every group of a course they teach"),
    retrieve=extend_schema(
        summary="A group, with its members' ids",
        responses={200: serializers.GroupSerializer, **problems(404)},
    ),
)
class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Project groups, with their members' ids."""

    model = Group
    serializer_class = serializers.GroupSerializer
    filterset_class = filters.GroupFilter

    def base_queryset(self):
        return (
            Group.objects.select_related("assignment", "extension")
            .prefetch_related(
                Prefetch(
                    "memberships", queryset=GroupMembership.objects.order_by("joined_at", "pk")
                )
            )
            .order_by("assignment", "name", "pk")
        )


@extend_schema_view(
    list=extend_schema(summary="Who is in which group, of the groups the user may see"),
    retrieve=extend_schema(
        summary="A group membership",
        responses={200: serializers.MembershipSerializer, **problems(404)},
    ),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Who is in which group, of the groups the user may see."""

    model = GroupMembership
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter

    def base_queryset(self):
        return GroupMembership.objects.select_related("student").order_by(
            "group", "joined_at", "pk"
        )


@extend_schema_view(
    list=extend_schema(
        summary="Submissions: the user's group's versions, or every version of a course they teach",
        description="A group's graders download the archives of the versions they grade.",
    ),
    retrieve=extend_schema(
        summary="A submitted version",
        responses={200: serializers.SubmissionSerializer, **problems(404)},
    ),
)
class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Versions of groups' work: a group's members and the course's instructors see them;
    the group's graders download their archives, as on the site. A version names its
    group and who submitted it, which anonymous grading keeps from graders."""

    model = Submission
    serializer_class = serializers.SubmissionSerializer
    filterset_class = filters.SubmissionFilter
    view_roles = MEMBER_OR_TEACHER

    def base_queryset(self):
        return Submission.objects.select_related("group").order_by("group", "-version")

    @extend_schema(
        summary="Download a version's zip archive",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(404),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ZipRenderer])
    def download(self, request, pk=None):
        refuse_unless_accepted(request, ZipRenderer.media_type)
        return archive_download(self.object_for(policy.VIEW), user=request.user)
