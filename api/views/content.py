"""Courses, modules, lessons, enrollments, rosters and progress."""

from __future__ import annotations

import codecs
import re

from django.core.exceptions import ValidationError
from django.utils.http import parse_header_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy
from accounts.models import User
from accounts.validators import normalize_email, validate_mail_domain
from coursesite.csvexport import CSV_MEDIA_TYPE
from coursesite.ordering import next_order
from coursesite.wording import counted
from grading.gradebook import released_marks_of
from lessons import selectors
from lessons import services as lessons
from lessons.models import Course, Enrollment, Lesson, Module, Progress
from lessons.outline import course_outlines
from practice.selectors import work_in

from .. import filters, serializers
from ..pagination import Pagination, page_parameters
from ..parsers import JSONParser, read_body
from ..problems import Conflict
from .base import (
    NO_OPTIONS,
    ApiViewSet,
    changes,
    only_params,
    problems,
    query_flag,
    save_checked,
    valid,
)
from .grading import GradebookActions


class MeView(APIView):
    http_method_names = NO_OPTIONS

    @extend_schema(
        summary="The user the request acts as",
        description="With the token's scope (`read` or `write`) for a token; null for a session.",
        responses={200: serializers.MeSerializer, **problems(401)},
        tags=["me"],
    )
    def get(self, request):
        """Return the user the request acts as (and the token's scope, for a token)."""
        only_params(request)
        return Response(serializers.MeSerializer(request.user, context={"request": request}).data)


class MyProgressView(APIView):
    http_method_names = NO_OPTIONS

    @extend_schema(
        summary="The user's progress in each of their courses",
        description="Lessons done of the published lessons, per course the user is enrolled in.",
        parameters=page_parameters("Courses"),
        responses={200: serializers.MyProgressPageSerializer, **problems(401)},
        tags=["me"],
    )
    def get(self, request):
        """Return the user's progress in each course they are enrolled in (published lessons)."""
        only_params(request, "page", "page_size")
        user = request.user
        roles = policy.course_roles(user)
        courses = list(
            policy.scope(user, policy.VIEW, Course.objects.filter(pk__in=roles))
            .only("pk", "slug", "title", "term", "content_version")
            .order_by("-term", "title", "pk")
        )
        # Counted as the dashboard counts (its cached outlines and the user's completions),
        # so the two never disagree.
        outlines = course_outlines(user, courses)
        completed = set(selectors.all_completed_lesson_ids(user_id=user.pk))
        rows = []
        for course in courses:
            course_progress = Progress.of(outlines[course.pk].lessons, completed)
            rows.append(
                {
                    "course": course.pk,
                    "slug": course.slug,
                    "title": course.title,
                    "role": roles[course.pk],
                    "done": course_progress.done,
                    "total": course_progress.total,
                    "percent": course_progress.percent,
                }
            )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            serializers.MyProgressSerializer(page, many=True).data
        )


class CsvTextParser(parsers.BaseParser):
    """A roster as the CSV file itself, in the charset its Content-Type names (UTF-8 by
    default, as the file a spreadsheet saves as "CSV UTF-8"; probe 53: a body sent as
    ``charset=windows-1252`` was refused as "not UTF-8", with advice for spreadsheets)."""

    media_type = CSV_MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_body(stream)
        charset = parse_header_parameters(media_type or "")[1].get("charset", "").strip()
        if not charset:
            return {"csv": body}  # roster_parse reads UTF-8, with or without its mark
        if not _is_text_charset(charset):
            raise ParseError(f"Unknown charset “{charset[:40]}” in the Content-Type: send UTF-8.")
        try:
            return {"csv": body.decode(charset)}
        except UnicodeError:
            raise ParseError(
                f"The body is not {charset[:40]} text, as its Content-Type says."
            ) from None


# Charsets a file of text is written in (Python's names for them). Python's codecs
# also transform text (rot13, punycode, unicode_escape, utf-7...): no file's charset,
# and "undefined" raises on any text (probe 56: a 500).
_TEXT_CHARSET = re.compile(
    r"utf_(8|8_sig|16|16_be|16_le|32|32_be|32_le)|ascii|latin_1|iso8859_\d+|cp\d+"
    r"|mac_\w+|koi8_\w+|gb2312|gbk|gb18030|big5\w*|shift_jis\w*|euc_\w+|iso2022_\w+"
)


def _is_text_charset(charset: str) -> bool:
    try:
        name = codecs.lookup(charset).name.replace("-", "_")
    except (LookupError, ValueError):
        return False
    return bool(_TEXT_CHARSET.fullmatch(name))


@extend_schema_view(
    list=extend_schema(
        summary="List the courses the user may see",
        description="The published courses the user is enrolled in; drafts too of the courses "
        "they teach.",
    ),
    retrieve=extend_schema(
        summary="A course", responses={200: serializers.CourseSerializer, **problems(404)}
    ),
    partial_update=extend_schema(
        summary="Change a course (its instructors)",
        responses={200: serializers.CourseSerializer, **problems(400, 403, 404)},
    ),
)
class CourseViewSet(GradebookActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Courses: the published ones of the user's courses, drafts too for their instructors."""

    model = Course
    json_max_bytes = None  # the API's limit: a roster of 5,000 rows
    serializer_class = serializers.CourseSerializer
    filterset_class = filters.CourseFilter

    def base_queryset(self):
        return Course.objects.order_by("-term", "title", "pk")

    def partial_update(self, request, pk=None):
        course = self.get_object()
        serializer = self.get_serializer(course, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if changes(course, serializer.validated_data):
            serializer.save()
        return Response(serializer.data)

    @extend_schema(
        summary="Add a module to the course (its instructors)",
        request=serializers.ModuleSerializer,
        responses={201: serializers.ModuleSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="modules")
    def create_module(self, request, pk=None):
        course = self.object_for(policy.TEACH)
        data = valid(serializers.ModuleSerializer, request.data)
        module = Module(course=course, **data)
        if not module.order:  # left out (or 0): after the others, as in the back office
            module.order = next_order(Module, course=course)
        save_checked(module)
        return Response(serializers.ModuleSerializer(module).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Enroll an existing account (the course's instructors)",
        description="Someone already enrolled is a 409 whose `enrollment` is the id of "
        "their enrollment (change their role there).",
        request=serializers.EnrollmentCreateSerializer,
        responses={
            201: serializers.EnrollmentSerializer,
            **problems(400, 403, 404),
            409: OpenApiResponse(serializers.EnrolledAlreadySerializer),
        },
    )
    @action(detail=True, methods=["post"], url_path="enrollments")
    def create_enrollment(self, request, pk=None):
        course = self.object_for(policy.TEACH)
        data = valid(serializers.EnrollmentCreateSerializer, request.data)
        email = normalize_email(data["email"])
        try:  # no account has such an address: say why, not "import a roster"
            validate_mail_domain(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from exc
        user = User.objects.filter(email=email).first()
        if user is None:
            raise ValidationError(
                {"email": "No account has this email address. Import a roster to create one."}
            )
        try:
            lessons.refuse_if_unconfirmed_elsewhere(user, course, by=request.user)
            enrollment = lessons.enrollment_create(user=user, course=course, role=data["role"])
        except ValidationError as exc:
            code = getattr(exc, "code", None)
            if code in ("closed_account", "unconfirmed_elsewhere"):
                raise ValidationError({"email": exc.messages}) from exc
            if code == "already_enrolled":
                # A sync script tells "already there" from an error by the status,
                # and finds the enrollment to change by its id.
                existing = Enrollment.objects.get(user=user, course=course)
                raise Conflict(exc.messages[0], enrollment=existing.pk) from exc
            raise
        lessons.enrollments_reclaim([enrollment])  # invited instead, if never confirmed
        lessons.enrollments_notify([enrollment])
        return Response(
            serializers.EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Import a roster: enroll every row, creating missing accounts",
        description=(
            "The same import as the back office's CSV roster, with the same checks and a "
            f"report for every row. Send the CSV file itself (`Content-Type: {CSV_MEDIA_TYPE}`, "
            "columns email, name, role) or JSON rows. Rows that are already enrolled keep "
            "their role; rejected rows say why and change nothing; the accepted rows are "
            "saved together or not at all."
        ),
        request={
            "application/json": serializers.RosterInSerializer,
            CSV_MEDIA_TYPE: OpenApiTypes.STR,
        },
        responses={200: serializers.RosterReportSerializer, **problems(400, 403, 404)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="roster",
        parser_classes=[JSONParser, CsvTextParser],
    )
    def roster(self, request, pk=None):
        course = self.object_for(policy.TEACH)
        if request.content_type.startswith(CSV_MEDIA_TYPE):
            # An empty body is never parsed (DRF gives empty data): no roster at all.
            text = request.data.get("csv", "") if isinstance(request.data, dict) else ""
            if not text.strip():
                raise ValidationError("The roster is empty: send the CSV file's text.")
            rows = lessons.roster_parse(text)
            if not rows:
                raise ValidationError("The roster has a header but no rows.")
        else:
            # Numbered as the lines of the same roster as a file would be (header first).
            given = valid(serializers.RosterInSerializer, request.data)["rows"]
            rows = [lessons.roster_row(line=number, **row) for number, row in enumerate(given, 2)]
        rows = lessons.roster_import(course=course, rows=rows, by=request.user)
        accepted = sum(1 for row in rows if row.accepted)
        report = {
            "accepted": accepted,
            "rejected": len(rows) - accepted,
            "rows": [
                {
                    "line": row.line,
                    "email": row.email,
                    "name": row.name,
                    "role": row.role,
                    "outcome": row.outcome,
                    "accepted": row.accepted,
                    "invited": row.invited,
                    "detail": row.detail,
                }
                for row in rows
            ],
        }
        return Response(serializers.RosterReportSerializer(report).data)

    @extend_schema(
        summary="Progress of every student of the course (its instructors)",
        parameters=page_parameters("Students"),
        responses={200: serializers.CourseProgressSerializer, **problems(403, 404)},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="progress", filterset_class=None)
    def progress(self, request, pk=None):
        only_params(request, "page", "page_size")
        course = self.object_for(policy.TEACH)
        modules, report = lessons.course_progress_report(course=course)
        paginator = Pagination()
        page = paginator.paginate_queryset(report, request, view=self)
        results = [
            {
                "student": serializers.PersonSerializer(row.user).data,
                "modules": [_progress(cell) for cell in row.modules],
                "overall": _progress(row.overall),
            }
            for row in page
        ]
        response = paginator.get_paginated_response(results)
        response.data["modules"] = [
            {"id": m.pk, "title": m.title, "lessons": m.lesson_count} for m in modules
        ]
        return response


class MyMarksView(APIView):
    http_method_names = NO_OPTIONS

    @extend_schema(
        summary="The user's released marks, as their feedback pages show them",
        description="One row per project of the courses the user studies in whose grades "
        "are released and that gives them a mark (a completed review of their group, or "
        "an instructor's override). Nothing of a project not released.",
        parameters=page_parameters("Marks"),
        responses={200: serializers.MyMarksPageSerializer, **problems(401)},
        tags=["me"],
    )
    def get(self, request):
        only_params(request, "page", "page_size")
        rows = [
            {
                "assignment": assignment.pk,
                "course": assignment.course_id,
                "title": assignment.title,
                "mark": mark.mark,
                "adjusted": mark.override is not None,
                "group_mark": mark.grade.mark if mark.grade else None,
                "late_penalty": mark.grade.penalty_percent if mark.grade else None,
                "days_late": mark.grade.days_late if mark.grade else None,
                "peer_factor": mark.capped_factor_display,
            }
            for assignment, mark in released_marks_of(request.user)
        ]
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(serializers.MyMarkSerializer(page, many=True).data)


def _progress(progress: Progress) -> dict:
    return {"done": progress.done, "total": progress.total, "percent": progress.percent}


def refuse_deleting_work(request, lessons_deleted, what: str) -> None:
    """Refuse (409) to delete LESSONS_DELETED while they hold students' answers or tries,
    unless the request says ``?drop_work=true``: the back office's delete page lists
    what goes first, and a lesson's PATCH asks the same (probe 73: a DELETE of a module
    took 45 answers at once, without a word)."""
    only_params(request, "drop_work")
    if query_flag(request, "drop_work"):
        return
    answers, tries, students = work_in(lessons_deleted)
    if answers or tries:
        raise Conflict(
            f"This {what} holds {counted(answers, 'answer')} and "
            f"{counted(tries, 'exercise try', 'exercise tries')} of "
            f"{counted(students, 'student')}, deleted with it. To delete them, send the "
            "DELETE again with ?drop_work=true.",
            code="answered_work",
            answers=answers,
            tries=tries,
            students=students,
        )


DROP_WORK = OpenApiParameter(
    "drop_work",
    bool,
    description="true: delete the students' answers and exercise tries with it. Without "
    "it, a DELETE of something holding any is refused (409).",
)


@extend_schema_view(
    list=extend_schema(
        summary="Modules of the user's courses",
        description="Published modules for a course's members; drafts too for its instructors.",
    ),
    retrieve=extend_schema(
        summary="A module", responses={200: serializers.ModuleSerializer, **problems(404)}
    ),
    partial_update=extend_schema(
        summary="Change a module (the course's instructors)",
        responses={200: serializers.ModuleSerializer, **problems(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a module and its lessons (the course's instructors)",
        parameters=[DROP_WORK],
        responses={204: None, **problems(400, 403, 404, 409)},
    ),
)
class ModuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    """Modules of courses; instructors of a course change them."""

    model = Module
    serializer_class = serializers.ModuleSerializer
    filterset_class = filters.ModuleFilter
    destroy_params = ("drop_work",)

    def base_queryset(self):
        return Module.objects.order_by("course", "order", "pk")

    def perform_destroy(self, instance) -> None:
        refuse_deleting_work(self.request, Lesson.objects.filter(module=instance), "module")
        instance.delete()

    def partial_update(self, request, pk=None):
        module = self.get_object()
        data = valid(serializers.ModuleSerializer, request.data, instance=module, partial=True)
        for name, value in data.items():
            setattr(module, name, value)
        save_checked(module)
        return Response(self.get_serializer(module).data)

    @extend_schema(
        summary="Add a lesson to the module (the course's instructors)",
        request=serializers.LessonSerializer,
        responses={201: serializers.LessonSerializer, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="lessons")
    def create_lesson(self, request, pk=None):
        module = self.object_for(policy.TEACH)
        data = valid(serializers.LessonSerializer, request.data)
        data.pop("drop_work", None)  # a new lesson has no students' work
        lesson = Lesson(module=module, **data)
        if not lesson.order:
            lesson.order = next_order(Lesson, module=module)
        lessons.lesson_save(lesson)
        data = serializers.LessonSerializer(lesson, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Lessons of the user's courses, in course order",
        description="Published lessons for a course's members; drafts too for its instructors. "
        "The list leaves the text out: read a lesson for it.",
    ),
    retrieve=extend_schema(
        summary="A lesson, with its text",
        description="`body` (the Markdown source, quiz answers included) is sent to the "
        "course's instructors only; everyone reads `body_html`.",
        responses={200: serializers.LessonSerializer, **problems(404)},
    ),
    partial_update=extend_schema(
        summary="Change a lesson (the course's instructors)",
        request=serializers.LessonSerializer,
        responses={200: serializers.LessonSerializer, **problems(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a lesson (the course's instructors)",
        parameters=[DROP_WORK],
        responses={204: None, **problems(400, 403, 404, 409)},
    ),
)
class LessonViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    """Lessons: published ones for a course's members, drafts too for its instructors."""

    model = Lesson
    json_max_bytes = None  # the API's limit: a body of 200,000 characters
    filterset_class = filters.LessonFilter
    destroy_params = ("drop_work",)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.LessonListSerializer
        return serializers.LessonSerializer

    def base_queryset(self):
        # The course for the text's file addresses (a lesson's page is under its course).
        queryset = Lesson.objects.select_related("module__course").in_course_order()
        if self.action == "list":
            queryset = queryset.defer("body", "body_html", "toc_html", "body_text")
        return queryset

    def perform_destroy(self, instance) -> None:
        refuse_deleting_work(self.request, Lesson.objects.filter(pk=instance.pk), "lesson")
        instance.delete()

    def partial_update(self, request, pk=None):
        lesson = self.get_object()
        data = valid(serializers.LessonSerializer, request.data, instance=lesson, partial=True)
        drop_work = data.pop("drop_work", False)
        if changes(lesson, data):
            for name, value in data.items():
                setattr(lesson, name, value)
            lessons.lesson_save(lesson, drop_work=drop_work)
        return Response(serializers.LessonSerializer(lesson, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(
        summary="Enrollments: every one of the courses the user teaches, else their own"
    ),
    retrieve=extend_schema(
        summary="An enrollment", responses={200: serializers.EnrollmentSerializer, **problems(404)}
    ),
    partial_update=extend_schema(
        summary="Change a role (the course's instructors)",
        description="A body without `role` changes nothing (the enrollment comes back as it "
        "is). A course keeps at least one instructor: the last one's role cannot change.",
        request=serializers.EnrollmentRoleSerializer,
        responses={200: serializers.EnrollmentSerializer, **problems(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Remove someone from the course (the course's instructors; a course keeps "
        "at least one instructor)",
        responses={204: None, **problems(400, 403, 404)},
    ),
)
class EnrollmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    model = Enrollment
    serializer_class = serializers.EnrollmentSerializer
    filterset_class = filters.EnrollmentFilter

    def base_queryset(self):
        return Enrollment.objects.select_related("user").order_by(
            "course", "role", "user__username"
        )

    def partial_update(self, request, pk=None):
        enrollment = self.get_object()
        # A PATCH changes what it sends, as every other one: without a role, nothing.
        data = valid(serializers.EnrollmentRoleSerializer, request.data, partial=True)
        if "role" in data:
            enrollment = lessons.enrollment_set_role(
                user=enrollment.user, course=enrollment.course, role=data["role"]
            )
        return Response(self.get_serializer(enrollment).data)

    def perform_destroy(self, instance) -> None:
        lessons.enrollment_delete(instance)
