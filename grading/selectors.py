"""The reads the review page repeats with other ids, compiled once (coursesite/prepared.py)."""

from __future__ import annotations

from coursesite.prepared import prepared
from projects.models import GroupMembership, Submission

from .models import CriterionScore, LineComment, RegradeRequest, Review


@prepared
def review_by_pk(pk: int):
    """The review with what its page and the access policy read of it."""
    return Review.objects.filter(pk=pk).select_related(
        "group__assignment__course",
        "group__assignment__rubric",
        "group__extension",
        "submission",
        "grader",
    )


@prepared
def scores_of(review_id: int):
    return CriterionScore.objects.filter(review_id=review_id)


@prepared
def latest_version_of(group_id: int):
    return Submission.objects.filter(group_id=group_id).order_by("-version")[:1]


@prepared
def line_comments_of(review_id: int):
    return LineComment.objects.filter(review_id=review_id).select_related("author")


@prepared
def members_of(group_id: int):
    return (
        GroupMembership.objects.filter(group_id=group_id)
        .select_related("student")
        .order_by("student")
    )


@prepared
def regrades_of(review_id: int):
    return RegradeRequest.objects.filter(review_id=review_id).select_related("criterion")
