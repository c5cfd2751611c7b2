"""Reviews, scores, line comments, regrades, releases, overrides and the gradebook."""

from __future__ import annotations

import re
import sys
from collections import Counter
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from access import policy
from coursesite.csvexport import CSV_MEDIA_TYPE
from coursesite.dates import local_text
from grading import selectors as grading_selectors
from grading import services as grading
from grading import views as grading_pages
from grading.forms import LineCommentForm, MarkOverrideForm, RegradeAnswerForm, RubricForm
from grading.gradebook import gradebook_page
from grading.models import (
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    RegradeRequest,
    Review,
    Rubric,
)
from projects.models import Submission

from .. import filters, serializers
from ..pagination import Pagination, page_parameters
from ..problems import Conflict, PreconditionFailed
from .base import (
    ApiViewSet,
    CsvRenderer,
    form_input,
    form_valid,
    no_body,
    only_params,
    problems,
    refuse_unless_accepted,
    valid,
)

# The rubric form's per-criterion fields, and the names of the API's scores.
RUBRIC_FIELDS = {"score": "points", "comment": "comment"}
REVIEW_SCORES = Prefetch(
    "scores", queryset=CriterionScore.objects.order_by("criterion__order", "criterion")
)

# The columns a gradebook sorts by (_check_sort refuses a project not of the course).
GRADEBOOK_SORT = {"type": "string", "pattern": r"^-?(name|progress|total|p[1-9][0-9]*)$"}

# The group's latest version: the one a review still to do will grade (its `submission`).
LATEST_SUBMISSION = Subquery(Submission.objects.latest_of(OuterRef("group_id")).values("pk")[:1])


# A review's version, as its answers' ETag header says it (If-Match sends it back).
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The review's version: send it as If-Match with a change.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the review as you read it: if someone saved it since, "
    "nothing is saved (412). Left out, the change is made whatever was saved meanwhile.",
)


@extend_schema_view(
    list=extend_schema(
        summary="Reviews: those the user grades, every review of a course they teach, and "
        "their group's released feedback"
    ),
    retrieve=extend_schema(
        summary="A review, with its scores",
        parameters=[ETAG],
        responses={200: serializers.ReviewSerializer, **problems(404)},
    ),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Reviews with their scores; graders score the ones assigned to them."""

    model = Review
    json_max_bytes = None  # the API's limit: 200 scores' comments
    serializer_class = serializers.ReviewSerializer
    filterset_class = filters.ReviewFilter
    write_action = policy.GRADE

    def base_queryset(self):
        reviews = (
            Review.objects.select_related("group__assignment")
            .annotate(latest_submission=LATEST_SUBMISSION)
            .order_by("submission__submitted_at", "pk")
        )
        if self.request.method != "GET":
            # The services read review.scores as they save them: no stale prefetched copy.
            return reviews
        return reviews.prefetch_related(REVIEW_SCORES)

    def retrieve(self, request, pk=None):
        review = self.get_object()
        return _with_etag(Response(self.get_serializer(review).data), review)

    @extend_schema(
        summary="Score a review: a draft, or complete it (its grader, or an instructor)",
        parameters=[IF_MATCH, ETAG],
        request=serializers.ReviewInSerializer,
        responses={200: serializers.ReviewSerializer, **problems(400, 403, 404, 409, 412)},
    )
    def partial_update(self, request, pk=None):
        review = self.get_object()
        version = _if_match(request, review)
        data = valid(serializers.ReviewInSerializer, request.data)
        criteria = grading_selectors.rubric_criteria(review.group.assignment_id)
        existing = {score.criterion_id: score for score in review.scores.all()}
        known = {criterion.pk for criterion in criteria}
        unknown = [s["criterion"] for s in data.get("scores", []) if s["criterion"] not in known]
        if unknown:
            raise ValidationError(
                {"scores": f"Criteria {unknown} are not part of this assignment's rubric."}
            )
        sent = [s["criterion"] for s in data.get("scores", [])]
        if repeated := sorted(pk for pk, times in Counter(sent).items() if times > 1):
            # Which of two scores would count is a guess: say so rather than keep the last.
            raise ValidationError(
                {"scores": f"Criteria {repeated} are scored more than once: send each once."}
            )
        # The site's rubric form checks the points; what is not sent stays as it is.
        form_data = {"overall_feedback": data.get("overall_feedback", review.overall_feedback)}
        for criterion in criteria:
            score = existing.get(criterion.pk)
            points = score.points if score else None
            form_data[f"score_{criterion.pk}"] = "" if points is None else str(points)
            form_data[f"comment_{criterion.pk}"] = score.comment if score else ""
        for score in data.get("scores", []):
            points = score["points"]
            form_data[f"score_{score['criterion']}"] = "" if points is None else str(points)
            form_data[f"comment_{score['criterion']}"] = score["comment"]
        form = RubricForm(form_data, criteria=criteria, scores=existing.values())
        if not form.is_valid():
            raise ApiValidationError(_rubric_errors(form, data.get("scores", [])))
        cleaned = form.cleaned_data
        # Not sent: the status stays as it is when the save runs, under the lock.
        complete = data.get("complete")
        # Only what was sent: the rest is kept as saved when the save runs (under the
        # project's lock), not as read here, so a grader's change meanwhile stays.
        with _as_api_refusals(), _stale_as_412(review, request.user):
            grading.review_save(
                review=review,
                by=request.user,
                scores={pk: score for pk, score in form.scores().items() if pk in sent},
                overall_feedback=(
                    cleaned["overall_feedback"] if "overall_feedback" in data else None
                ),
                complete=complete,
                only_given=True,
                version=version,
                shown_version=_shown_version(review, data.get("submission")),
            )
        review = (
            Review.objects.select_related("group__assignment")
            .annotate(latest_submission=LATEST_SUBMISSION)
            .prefetch_related(REVIEW_SCORES)
            .get(pk=pk)
        )
        return _with_etag(Response(self.get_serializer(review).data), review)

    @extend_schema(
        summary="Comment on a line of the reviewed archive (its grader, or an instructor)",
        request=serializers.LineCommentInSerializer,
        responses={
            201: serializers.LineCommentSerializer,
            200: OpenApiResponse(
                serializers.LineCommentSerializer,
                description="The same comment sent again within two minutes: the one made then.",
            ),
            **problems(400, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"], url_path="comments")
    def comment(self, request, pk=None):
        review = self.object_for(policy.GRADE)
        sent = form_input(serializers.LineCommentInSerializer, request.data)
        data = form_valid(LineCommentForm(sent))
        shown_version = _shown_version(
            review, int(sent["submission"]) if "submission" in sent else None
        )
        sent_at = timezone.now()
        with _as_api_refusals():
            comment = grading.line_comment_add(
                review=review,
                by=request.user,
                path=data["path"],
                line=data["line"],
                text=data["text"],
                shown_version=shown_version,
                criterion_id=data["criterion"],
            )
        data = serializers.LineCommentSerializer(comment, context={"request": request}).data
        # The same comment sent again within minutes is the one made then (a retry): 200.
        return Response(data, status=201 if comment.created_at >= sent_at else 200)


def _etag(review: Review) -> str:
    # The version the review page's own stale check uses: it changes on every save.
    return f'"{grading.draft_version(review)}"'


def _with_etag(response: Response, review: Review) -> Response:
    response["ETag"] = _etag(review)
    return response


# A strong entity tag (RFC 9110) as the ETag header gives it: ours are digits ("*" quoted
# is a tag that names no version, not the * that means any).
# One entity tag of a list (RFC 9110 8.8.3): W/ if weak, then the quoted opaque part,
# whose characters may be a comma or a "*" (only * unquoted and alone is "any").
# The quoted part's characters are etagc's: visible ASCII but the quote, and obs-text,
# bytes 0x80-0xFF as the server decodes them ("\xa0" was a 400: probe 122).
_LISTED_TAG = re.compile(r'[ \t,]*(W/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|\Z)')


# A version as draft_version writes it: ASCII digits ("²" is a digit to str.isdigit and
# not to int(), a 500: probe 120), a few of them.
_VERSION = re.compile(r'"[0-9]{1,20}"')


def _listed_tags(header: str) -> list[str] | None:
    """The strong tags of an If-Match list as sent, quotes included; None if it is not a
    list of entity tags, or holds one that never names a review's version (weak, "")."""
    tags, position = [], 0
    while header[position:].strip(" \t,"):  # empty items are allowed (RFC 9110's #rule)
        found = _LISTED_TAG.match(header, position)
        if found is None or found[1] or found[2] == '""':
            return None
        tags.append(found[2])
        position = found.end()
    return tags or None


def _if_match(request, review: Review) -> str:
    """Return the review's version if the request's If-Match names it ("" without
    If-Match, or with *); refuse (412) one naming another: the review was saved since."""
    header = request.headers.get("If-Match")
    if header is None:
        return ""
    if header.strip(" \t,") == "*":  # a trailing comma: RFC 9110's #rule allows it
        return ""
    tags = _listed_tags(header)
    if tags is None:
        # Not "changed since": the header names no version at all (probe 110); nor a
        # weak tag, "" or * among tags, which never name a review's version (probe 113).
        raise ApiValidationError(
            {
                "If-Match": [
                    "Send the review's ETag as its ETag header gives it, in double quotes "
                    '(If-Match: "1796660208810886"), or * alone.'
                ]
            }
        )
    if _etag(review) not in tags:
        # A version is when the review was saved (draft_version), each kept in its
        # history: a tag that is none of them was never its version, and "changed since
        # you read it" would send the client looking for a writer (probes 116, 127: any
        # number before the last save was answered so).
        had = grading_selectors.versions_had(review)
        if not any(_VERSION.fullmatch(tag) and tag[1:-1] in had for tag in tags):
            raise PreconditionFailed(
                f"If-Match names no version this review has had (its ETag is {_etag(review)}):"
                " read it again, then send your change with the ETag it answers with."
            )
        raise PreconditionFailed(_stale(review, request.user))
    # Checked again under the project's lock, where a save meanwhile is refused too.
    return grading.draft_version(review)


@contextmanager
def _stale_as_412(review: Review, user):
    """Answer 412 a save refused because the review was saved since If-Match's version."""
    try:
        yield
    except ValidationError as exc:
        if any(e.code == grading.STALE for e in getattr(exc, "error_list", ())):
            review.refresh_from_db(fields=["updated_at"])
            raise PreconditionFailed(_stale(review, user)) from exc
        raise


def _stale(review: Review, user) -> str:
    who = grading_selectors.last_changed_by(review)
    by = f" by {who}" if who is not None else ""
    if who is not None and user is not None and who.pk == user.pk:
        by = " by you (another request)"
    at = local_text(review.updated_at, seconds=True)
    return (
        f"This review was changed{by} on {at} since you read it, so nothing was "
        "saved. Read it again (its ETag is new), then send your change with If-Match."
    )


def _shown_version(review: Review, submission: int | None) -> int | None:
    """Return the version number of SUBMISSION, the version the client says it graded."""
    if submission is None:
        return None
    version = grading_selectors.version_number(group_id=review.group_id, submission_id=submission)
    if version is None:
        raise ApiValidationError(
            {"submission": [f"Submission {submission} is not a version of this review's group."]}
        )
    return version


@contextmanager
def _as_api_refusals():
    """Answer 409, with the service's words, a save about a version the review does not
    grade, or over a mark another teacher changed since it was read; and report a line
    comment's path or line refused at that field."""
    try:
        yield
    except ValidationError as exc:
        errors = getattr(exc, "error_list", ())
        conflicts = [e for e in errors if e.code in (grading.NEWER_VERSION, grading.MARK_CHANGED)]
        if conflicts:
            raise Conflict(conflicts[0].message) from exc
        fields = {e.code: [e.message] for e in errors if e.code in ("path", "line")}
        if fields:
            raise ApiValidationError(fields) from exc
        raise


def _rubric_errors(form: RubricForm, sent: list[dict]) -> dict:
    """Return the rubric FORM's errors as the API names them: a criterion's fields
    (``score_<id>``, ``comment_<id>`` on the site) at ``scores.<index>.points`` or
    ``.comment``, the index of the score the client sent, as the serializer's are."""
    index = {score["criterion"]: i for i, score in enumerate(sent)}
    per_score: list[dict] = [{} for _ in sent]
    errors: dict = {}
    for name, messages in form.errors.items():
        field, _, pk = name.partition("_")
        if field in RUBRIC_FIELDS and pk.isdigit() and int(pk) in index:
            per_score[index[int(pk)]][RUBRIC_FIELDS[field]] = list(messages)
        elif field in RUBRIC_FIELDS or name == NON_FIELD_ERRORS:
            # A score not sent (saved before its criterion changed) concerns the review.
            errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
        else:
            errors[name] = list(messages)
    if any(per_score):
        errors["scores"] = per_score
    return errors


@extend_schema_view(
    list=extend_schema(summary="Line comments of the reviews the user may read"),
    retrieve=extend_schema(
        summary="A line comment",
        responses={200: serializers.LineCommentSerializer, **problems(404)},
    ),
    destroy=extend_schema(
        summary="Delete a line comment (the review's grader, or an instructor)",
        responses={204: None, **problems(400, 403, 404)},
    ),
)
class LineCommentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    model = LineComment
    serializer_class = serializers.LineCommentSerializer
    filterset_class = filters.LineCommentFilter
    write_action = policy.GRADE

    def base_queryset(self):
        return LineComment.objects.select_related("review__group__assignment").order_by(
            "review", "path", "line", "pk"
        )

    def perform_destroy(self, instance) -> None:
        grading.line_comment_delete(comment=instance, by=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Regrade requests of the reviews the user may read"),
    retrieve=extend_schema(
        summary="A regrade request, with its answer",
        responses={200: serializers.RegradeSerializer, **problems(404)},
    ),
)
class RegradeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Students' requests to regrade a criterion, and the answers."""

    model = RegradeRequest
    serializer_class = serializers.RegradeSerializer
    filterset_class = filters.RegradeFilter
    write_action = policy.GRADE

    def base_queryset(self):
        return RegradeRequest.objects.order_by("status", "-created_at", "-pk").prefetch_related(
            "messages"
        )

    @extend_schema(
        summary="Write in a regrade request's thread while it waits for its answer (the "
        "group's members, its grader or an instructor)",
        request=serializers.RegradeMessageInSerializer,
        responses={201: serializers.RegradeSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="messages")
    def messages(self, request, pk=None):
        regrade = self.object_for(policy.VIEW)
        # A reader who is neither its grader nor of the group (a grader of a rubric open
        # to all graders): refused as /answer/ refuses them, not as a bad body.
        if not (
            policy.can(request.user, policy.GRADE, regrade.review)
            or policy.can(request.user, policy.VIEW, regrade, roles=policy.STUDENTS)
        ):
            raise PermissionDenied("Only the group and its grader write in this request.")
        data = valid(serializers.RegradeMessageInSerializer, request.data)
        grading.regrade_message_add(regrade=regrade, by=request.user, text=data["text"])
        regrade = self.base_queryset().get(pk=regrade.pk)
        return Response(self.get_serializer(regrade).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept (with new points) or decline a regrade request (the review's grader, "
        "or an instructor)",
        request=serializers.RegradeAnswerSerializer,
        responses={200: serializers.RegradeSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request, pk=None):
        regrade = self.object_for(policy.GRADE)
        data = form_valid(
            RegradeAnswerForm(form_input(serializers.RegradeAnswerSerializer, request.data))
        )
        regrade = grading.regrade_answer(
            regrade=regrade,
            by=request.user,
            accept=data["decision"] == "accept",
            new_points=data["new_points"],
            response=data["response"],
        )
        return Response(self.get_serializer(regrade).data)


@extend_schema_view(
    list=extend_schema(summary="Mark overrides of the projects the user teaches"),
    retrieve=extend_schema(
        summary="A mark override", responses={200: serializers.OverrideSerializer, **problems(404)}
    ),
    destroy=extend_schema(
        summary="Remove an override: the computed mark applies again (instructors)",
        responses={204: None, **problems(403, 404)},
    ),
)
class OverrideViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    model = MarkOverride
    serializer_class = serializers.OverrideSerializer
    filterset_class = filters.OverrideFilter
    view_action = policy.TEACH  # overrides exist for their course's instructors only

    def base_queryset(self):
        return MarkOverride.objects.order_by("assignment", "student", "pk")

    def perform_destroy(self, instance) -> None:
        _refuse_own_groups_mark(self.request.user, instance.assignment_id, instance.student_id)
        # This override, not the student's: a newer one saved meanwhile stays.
        if not grading.mark_override_delete(override=instance, by=self.request.user):
            raise NotFound("This override was already removed.")


class GradingAssignmentActions:
    """The instructors' grading actions on an assignment (mixed into AssignmentViewSet)."""

    @extend_schema(
        summary="The project's rubric: settings, criteria and levels (its graders and instructors)",
        description="The criteria's ids are those the reviews' scores name.",
        responses={200: serializers.RubricSerializer, **problems(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="rubric")
    def rubric(self, request, pk=None):
        assignment = self.object_for(policy.GRADE)
        rubric = (
            Rubric.objects.filter(assignment=assignment)
            .prefetch_related(
                Prefetch(
                    "criteria",
                    Criterion.objects.order_by("order", "pk").prefetch_related(
                        Prefetch("levels", Level.objects.order_by("-points", "pk"))
                    ),
                )
            )
            .first()
        )
        if rubric is None:
            raise NotFound("This project has no rubric yet.")
        return Response(serializers.RubricSerializer(rubric).data)

    @extend_schema(
        summary="Whether the grades are released, and when (instructors)",
        responses={200: serializers.ReleaseSerializer, **problems(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="release")
    def release(self, request, pk=None):
        assignment = self.object_for(policy.TEACH)
        release = GradeRelease.objects.filter(assignment=assignment).first()
        return Response(_release(assignment, release))

    @extend_schema(
        summary="Release the grades: students see their feedback and are emailed (instructors)",
        request=None,
        responses={201: serializers.ReleaseSerializer, **problems(400, 403, 404)},
    )
    @release.mapping.post
    def release_grades(self, request, pk=None):
        assignment = self.object_for(policy.TEACH)
        no_body(request)
        release = grading.grades_release(
            assignment=assignment,
            by=request.user,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        return Response(_release(assignment, release), status=201)

    @extend_schema(
        summary="Override a student's mark, with the reason (instructors)",
        request=serializers.OverrideInSerializer,
        responses={200: serializers.OverrideSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="overrides")
    def override(self, request, pk=None):
        assignment = self.object_for(policy.TEACH)
        data = form_input(serializers.OverrideInSerializer, request.data)
        data["seen"] = data.pop("replaces", "")  # the site form's name for it
        form = MarkOverrideForm(data, assignment=assignment)
        cleaned = form_valid(form)
        _refuse_own_groups_mark(request.user, assignment.pk, cleaned["student"].pk)
        with _as_api_refusals():
            override = grading.mark_override(
                assignment=assignment,
                student=cleaned["student"],
                mark=cleaned["mark"],
                reason=cleaned["reason"],
                by=request.user,
                seen=cleaned["seen"] or None,
            )
        return Response(serializers.OverrideSerializer(override).data)


def _refuse_own_groups_mark(user, assignment_id: int, student_id: int) -> None:
    """A 403, as the policy's refusals are: not a body to correct (the service says it
    as a 400 to the site's form)."""
    if policy.sets_own_groups_mark(user, assignment_id, student_id):
        raise PermissionDenied(policy.OWN_GROUP)


def _release(assignment, release: GradeRelease | None) -> dict:
    # Through the serializer, which writes times in the site's zone as every other
    # answer does (the renderer alone wrote UTC, with a Z).
    return serializers.ReleaseSerializer(
        {
            "assignment": assignment.pk,
            "released": release is not None,
            "released_at": release.released_at if release else None,
            "released_by": release.released_by_id if release else None,
        }
    ).data


class GradebookActions:
    """The gradebook of a course, as JSON pages or the site's CSV (mixed into CourseViewSet)."""

    @extend_schema(
        summary="The gradebook: a mark per project for every student (instructors)",
        parameters=[
            OpenApiParameter(
                "sort",
                GRADEBOOK_SORT,
                description="name (the default), progress, total or p<assignment id> (a "
                "project of the course); a leading - for descending.",
            ),
            *page_parameters("Students"),
        ],
        responses={200: serializers.GradebookSerializer, **problems(400, 403, 404)},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="gradebook")
    def gradebook(self, request, pk=None):
        only_params(request, "sort", "page", "page_size")
        course = self.object_for(policy.TEACH)
        paginator = Pagination()
        per_page = paginator.get_page_size(request)
        number = paginator.page_number(request)
        sort = request.query_params.get("sort", "name")
        book, page = gradebook_page(
            course,
            sort=sort,
            # "last", like the other lists; past the end the last page comes back (below).
            number=sys.maxsize if number == "last" else number,
            per_page=per_page,
        )
        _check_sort(sort, [f"p{a.pk}" for a in book.assignments])
        if number != "last" and page.number != number:
            # Paginator.get_page() answers the last page instead; the lists answer 404.
            raise paginator.no_page(number)
        url = request.build_absolute_uri()
        data = {
            "count": page.paginator.count,
            "next": replace_query_param(url, "page", page.next_page_number())
            if page.has_next()
            else None,
            "previous": (
                replace_query_param(url, "page", page.previous_page_number())
                if page.previous_page_number() > 1
                else remove_query_param(url, "page")
            )
            if page.has_previous()
            else None,
            "assignments": serializers.GradebookColumnSerializer(
                [
                    {
                        "id": a.pk,
                        "title": a.title,
                        "released": a.pk in book.released,
                        "weight": a.weight,
                        "missing_counts_as_zero": a.missing_counts_as_zero,
                    }
                    for a in book.assignments
                ],
                many=True,
            ).data,
            "results": serializers.GradebookRowSerializer(book.rows, many=True).data,
        }
        return Response(data)

    @extend_schema(
        summary="The gradebook as the site's CSV file (instructors)",
        parameters=[OpenApiParameter("sort", GRADEBOOK_SORT, description="As for the gradebook.")],
        responses={
            (200, CSV_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR),
            **problems(400, 403, 404),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="gradebook/csv",
        renderer_classes=[JSONRenderer, CsvRenderer],
    )
    def gradebook_csv(self, request, pk=None):
        refuse_unless_accepted(request, CSV_MEDIA_TYPE)
        only_params(request, "sort")
        course = self.object_for(policy.TEACH)
        _check_sort(
            request.query_params.get("sort", "name"),
            [f"p{pk}" for pk in course.projects.values_list("pk", flat=True)],
        )
        # The site's own export, so that the API's file is the same as the page's.
        return grading_pages.gradebook_csv(request._request, slug=course.slug)


def _check_sort(sort: str, columns: list[str]) -> None:
    """Refuse a gradebook SORT that names no column (it sorted by name, unsaid)."""
    if sort.removeprefix("-") in ("name", "progress", "total", *columns):
        return
    projects = f" ({', '.join(columns)} here)" if columns else ""
    raise ApiValidationError(
        {
            "sort": [
                f"Sort by name, progress, total or p<project id>{projects}; a leading - "
                "sorts in descending order."
            ]
        }
    )
