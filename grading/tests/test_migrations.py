"""A database from before grading had its own app migrates forward with all its rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

LAST_OLD = ("projects", "0003_submission_submitted_at_index")


def before_the_move(graph) -> list[tuple[str, str | None]]:
    """Targets for the schema before grading moved out: projects at LAST_OLD, and every
    migration that needs the move (grading's, and those of apps added since, such as
    autograding and api) unapplied."""
    later = set(graph.backwards_plan(("projects", "0004_grading_moves_out")))
    targets = {LAST_OLD[0]: LAST_OLD[1]}
    for app in sorted({app for app, _name in later} - {LAST_OLD[0]}):
        earlier = [node for node in graph.nodes if node[0] == app and node not in later]
        targets[app] = max(earlier)[1] if earlier else None
    return list(targets.items())


def migrate(targets):
    """Migrate to TARGETS (the latest migrations if None); return the models there."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(targets or leaves)
    if not targets:
        return None
    # The other apps stay at their latest migrations.
    moved = {app for app, _name in targets}
    nodes = [leaf for leaf in leaves if leaf[0] not in moved]
    nodes += [target for target in targets if target[1] is not None]
    return executor.loader.project_state(nodes).apps


def fill_old_schema(apps) -> dict[str, int]:
    """Write one row of every grading model through the old (projects) models."""
    user_model = apps.get_model("accounts", "User")
    teacher = user_model.objects.create(username="t", email="t@example.org")
    grader = user_model.objects.create(username="g", email="g@example.org")
    student = user_model.objects.create(username="s", email="s@example.org")
    course = apps.get_model("lessons", "Course").objects.create(
        title="Web", slug="web", enrollment_key="k-migrate"
    )
    now = timezone.now()
    assignment = apps.get_model("projects", "ProjectAssignment").objects.create(
        course=course, title="Blog", slug="blog", opens_at=now - timedelta(days=9), due_at=now
    )
    group = apps.get_model("projects", "Group").objects.create(
        assignment=assignment, name="Team", join_code="MIGRATE1"
    )
    apps.get_model("projects", "GroupMembership").objects.create(
        group=group, assignment=assignment, student=student
    )
    submission = apps.get_model("projects", "Submission").objects.create(
        group=group, version=1, submitted_by=student
    )
    old = {name: apps.get_model("projects", name) for name in (
        "Rubric", "Criterion", "Level", "Review", "CriterionScore", "LineComment",
        "GradeRelease", "RegradeRequest", "PeerRating", "MarkOverride", "HistoricalReview",
    )}  # fmt: skip
    rubric = old["Rubric"].objects.create(assignment=assignment, anonymous_grading=True)
    criterion = old["Criterion"].objects.create(
        rubric=rubric, order=1, title="Correctness", max_points=Decimal("10")
    )
    old["Level"].objects.create(criterion=criterion, label="Good", points=Decimal("7"))
    review = old["Review"].objects.create(
        group=group, submission=submission, grader=grader, status="completed", total=7
    )
    old["CriterionScore"].objects.create(review=review, criterion=criterion, points=7)
    old["LineComment"].objects.create(
        review=review, path="app.py", line=3, text="Nice.", author=grader
    )
    old["GradeRelease"].objects.create(assignment=assignment, released_at=now, released_by=teacher)
    old["RegradeRequest"].objects.create(
        review=review, criterion=criterion, requested_by=student, reason="Please."
    )
    old["PeerRating"].objects.create(group=group, rater=student, ratee=student, score=4)
    old["MarkOverride"].objects.create(
        assignment=assignment, student=student, mark=Decimal("80"), reason="Illness.", by=teacher
    )
    old["HistoricalReview"].objects.create(
        id=review.pk,
        group_id=group.pk,
        submission_id=submission.pk,
        grader_id=grader.pk,
        status="completed",
        total=7,
        assigned_at=now,
        updated_at=now,
        history_date=now,
        history_type="+",
    )
    return {"review": review.pk, "criterion": criterion.pk, "group": group.pk}


def test_grading_rows_survive_the_move_to_the_grading_app():
    old_apps = migrate(before_the_move(MigrationExecutor(connection).loader.graph))
    ids = fill_old_schema(old_apps)
    ContentType.objects.get_or_create(app_label="projects", model="review")

    migrate(None)

    from grading.models import (
        Criterion,
        CriterionScore,
        GradeRelease,
        Level,
        LineComment,
        MarkOverride,
        PeerRating,
        RegradeRequest,
        Review,
        Rubric,
    )

    review = Review.objects.select_related("group", "submission", "grader").get(pk=ids["review"])
    assert (review.group.name, review.grader.username, review.total) == ("Team", "g", 7)
    assert review.scores.get().criterion.title == "Correctness"
    assert review.line_comments.get().text == "Nice."
    assert review.regrade_requests.get().reason == "Please."
    assert review.history.get().status == "completed"
    assert Rubric.objects.get().anonymous_grading is True
    assert Level.objects.get().criterion_id == ids["criterion"]
    release = GradeRelease.objects.select_related("assignment").get()
    assert release.released_by.username == "t"
    # The project knows it too (grading 0014), as its pages read it.
    assert release.assignment.grades_released_at == release.released_at
    assert PeerRating.objects.get().score == 4
    assert MarkOverride.objects.get().mark == Decimal("80")
    assert CriterionScore.objects.count() == 1
    # Admin history and permissions follow the model: its content type was relabelled.
    assert ContentType.objects.get_for_model(Review).app_label == "grading"
    assert not ContentType.objects.filter(app_label="projects", model="review").exists()
    # New rows get new ids (the sequences came along with the tables).
    rubric = Rubric.objects.get()
    added = Criterion.objects.create(rubric=rubric, order=2, title="Style", max_points=5)
    assert added.pk > ids["criterion"]
    assert LineComment.objects.filter(review=review).exists()
    assert RegradeRequest.objects.count() == 1
