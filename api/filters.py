"""Filters of the API's lists (django-filter), one FilterSet per list.

Ids are filtered as numbers, never looked up: a filter naming a course the user cannot
see gives an empty list, as a course without rows does, not an error that would tell
the two apart. Numbers no row can have are refused before they reach the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import django_filters
from django import forms
from django.db.models import OuterRef, Subquery
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from access import policy
from accounts.models import Role
from coursesite.converters import MAX_ID, is_whole_number
from grading.models import (
    LineComment,
    MarkOverride,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
)
from lessons.models import Course, Enrollment, Lesson, Module
from projects.models import Group, GroupMembership, ProjectAssignment, Submission


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not is_whole_number(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class BooleanField(forms.NullBooleanField):
    """true or false (1 or 0); anything else is refused, not taken for "no filter"
    (``?is_published=yes`` listed drafts and published rows alike)."""

    widget = forms.TextInput  # the value as sent (NullBooleanSelect maps the unknown to None)
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Give true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = BooleanField


class CourseFilter(django_filters.FilterSet):
    slug = django_filters.CharFilter(max_length=80)
    term = django_filters.CharFilter(max_length=30)
    is_published = BooleanFilter()

    class Meta:
        model = Course
        fields = ["slug", "term", "is_published"]


class ModuleFilter(django_filters.FilterSet):
    course = IdFilter(field_name="course_id")
    is_published = BooleanFilter()

    class Meta:
        model = Module
        fields = ["course", "is_published"]


class LessonFilter(django_filters.FilterSet):
    course = IdFilter(field_name="module__course_id")
    module = IdFilter(field_name="module_id")
    slug = django_filters.CharFilter(max_length=100)
    is_published = BooleanFilter()

    class Meta:
        model = Lesson
        fields = ["course", "module", "slug", "is_published"]


class EnrollmentFilter(django_filters.FilterSet):
    course = IdFilter(field_name="course_id")
    user = IdFilter(field_name="user_id")
    role = django_filters.ChoiceFilter(choices=Role.choices)
    email = django_filters.CharFilter(
        field_name="user__email", lookup_expr="iexact", max_length=254
    )

    class Meta:
        model = Enrollment
        fields = ["course", "user", "role", "email"]


class AssignmentFilter(django_filters.FilterSet):
    course = IdFilter(field_name="course_id")
    slug = django_filters.CharFilter(max_length=80)

    class Meta:
        model = ProjectAssignment
        fields = ["course", "slug"]


class GroupFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="assignment_id")
    course = IdFilter(field_name="assignment__course_id")

    class Meta:
        model = Group
        fields = ["assignment", "course"]


class MembershipFilter(django_filters.FilterSet):
    group = IdFilter(field_name="group_id")
    assignment = IdFilter(field_name="assignment_id")
    student = IdFilter(field_name="student_id")

    class Meta:
        model = GroupMembership
        fields = ["group", "assignment", "student"]


class SubmissionFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="group__assignment_id")
    group = IdFilter(field_name="group_id")
    is_late = BooleanFilter()
    latest = BooleanFilter(method="filter_latest", label="Only each group's latest version")

    class Meta:
        model = Submission
        fields = ["assignment", "group", "is_late", "latest"]

    def filter_latest(self, queryset, name, value):
        latest = (
            Submission.objects.filter(group=OuterRef("group"))
            .order_by("-version")
            .values("version")
        )[:1]
        if value:
            return queryset.filter(version=Subquery(latest))
        return queryset.exclude(version=Subquery(latest))


GRADER_HIDDEN = (
    "You cannot filter your reviews by grader: only a course's graders and instructors "
    "see who grades."
)


class ReviewFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="group__assignment_id")
    course = IdFilter(field_name="group__assignment__course_id")
    grader = IdFilter(
        method="filter_grader",
        label="The grader's id: reviews of the courses the user grades or teaches "
        "(anyone else is refused, 400).",
    )
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = Review
        fields = ["assignment", "course", "grader", "status"]

    def filter_grader(self, queryset, name, value):
        # A review's grader is hidden from its students (ReviewSerializer.get_grader):
        # counting their feedback per grader id told them who graded them.
        user = self.request.user
        if policy.is_superuser(user):
            return queryset.filter(grader_id=value)
        courses = policy.courses_where(user, policy.STAFF)
        if not courses:
            raise ValidationError({name: [GRADER_HIDDEN]})
        return queryset.filter(grader_id=value, group__assignment__course_id__in=courses)


class LineCommentFilter(django_filters.FilterSet):
    review = IdFilter(field_name="review_id")

    class Meta:
        model = LineComment
        fields = ["review"]


class RegradeFilter(django_filters.FilterSet):
    review = IdFilter(field_name="review_id")
    assignment = IdFilter(field_name="review__group__assignment_id")
    status = django_filters.ChoiceFilter(choices=RegradeStatus.choices)

    class Meta:
        model = RegradeRequest
        fields = ["review", "assignment", "status"]


class OverrideFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="assignment_id")
    student = IdFilter(field_name="student_id")

    class Meta:
        model = MarkOverride
        fields = ["assignment", "student"]


def refuse_other_params(request, taken: Sequence[str], *, what: str) -> None:
    """Refuse (400) the query parameters of REQUEST not in TAKEN, each as WHAT has none
    such: a misspelled one was ignored."""
    if unknown := sorted(set(request.query_params) - set(taken)):
        takes = ", ".join(taken) or "none"
        raise ValidationError({name: [f"{what}; it takes {takes}."] for name in unknown})
    # Every parameter takes one value: of ?course=1&course=2 the last one was read, unsaid.
    if repeated := sorted(name for name, values in request.query_params.lists() if len(values) > 1):
        raise ValidationError(
            {name: ["Give this parameter once: it takes one value."] for name in repeated}
        )


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing on lists what is neither a filter nor a page.

    A misspelled filter was ignored: ``/enrollments/?emial=...`` listed every row, and a
    script taking the first row's id to delete it removed the wrong person.
    """

    PAGING = ("page", "page_size")

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            filterset_class = self.get_filterset_class(view, queryset)
            taken = {*self.PAGING, *(filterset_class.base_filters if filterset_class else ())}
            refuse_other_params(request, sorted(taken), what="This list has no such filter")
            # An empty value filtered nothing: a script whose variable was empty got
            # every row (and deleted "the" one found).
            if empty := sorted(
                name
                for name, values in request.query_params.lists()
                if name not in self.PAGING and not any(value.strip() for value in values)
            ):
                raise ValidationError(
                    {name: ["Give a value, or leave this filter out."] for name in empty}
                )
        return super().filter_queryset(request, queryset, view)
