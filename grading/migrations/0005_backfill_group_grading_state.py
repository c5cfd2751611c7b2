"""Tell projects which groups are already being graded, and which version.

Groups with a review get ``grading_started_at`` (when the grader was assigned) and
``graded_submission`` (the review's version); groups of released assignments without
one are locked from the release on, as the services do from now on.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Group = apps.get_model("projects", "Group")
    Review = apps.get_model("grading", "Review")
    GradeRelease = apps.get_model("grading", "GradeRelease")
    review = Review.objects.filter(group=OuterRef("pk"))
    Group.objects.filter(review__isnull=False).update(
        grading_started_at=Subquery(review.values("assigned_at")[:1]),
        graded_submission=Subquery(review.values("submission_id")[:1]),
    )
    release = GradeRelease.objects.filter(assignment=OuterRef("assignment"))
    Group.objects.filter(
        grading_started_at__isnull=True, assignment__grade_release__isnull=False
    ).update(grading_started_at=Subquery(release.values("released_at")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0004_line_comment_markdown"),
        ("projects", "0007_assignment_late_version_rule"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
