"""HTML stored before the stricter sanitizer is re-rendered by the migrations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("lessons", "0002_content_rendering_attachments_slugs"),
    ("projects", "0004_grading_moves_out"),
    ("grading", "0001_initial"),
]
OVERLAY = '<div class="position-fixed top-0 start-0 w-100 h-100" id="main-nav">pay here</div>'
SOURCE = f"## Submit\n\n{OVERLAY}\n"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_old_lessons_briefs_and_feedback_lose_their_classes_and_ids():
    old = migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(username="s", email="s@example.org")
    course = old.get_model("lessons", "Course").objects.create(
        title="Web", slug="web", enrollment_key="k-rerender", summary=SOURCE, summary_html=OVERLAY
    )
    module = old.get_model("lessons", "Module").objects.create(
        course=course, title="One", summary=SOURCE, summary_html=OVERLAY
    )
    lesson = old.get_model("lessons", "Lesson").objects.create(
        module=module, title="L", slug="l", body=SOURCE, body_html=OVERLAY, toc_html=OVERLAY
    )
    now = timezone.now()
    assignment = old.get_model("projects", "ProjectAssignment").objects.create(
        course=course,
        title="Blog",
        slug="blog",
        opens_at=now - timedelta(days=9),
        due_at=now,
        brief=SOURCE,
        brief_html=OVERLAY,
    )
    group = old.get_model("projects", "Group").objects.create(
        assignment=assignment, name="Team", join_code="RERENDER"
    )
    submission = old.get_model("projects", "Submission").objects.create(
        group=group, version=1, submitted_by=user
    )
    review = old.get_model("grading", "Review").objects.create(
        group=group,
        submission=submission,
        grader=user,
        overall_feedback=SOURCE,
        overall_feedback_html=OVERLAY,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from grading.models import Review
    from lessons.models import Course, Lesson, Module
    from projects.models import ProjectAssignment

    stored = [
        Course.objects.get(pk=course.pk).summary_html,
        Module.objects.get(pk=module.pk).summary_html,
        Lesson.objects.get(pk=lesson.pk).body_html,
        ProjectAssignment.objects.get(pk=assignment.pk).brief_html,
        Review.objects.get(pk=review.pk).overall_feedback_html,
    ]
    for html in stored:
        assert "position-fixed" not in html and 'id="main-nav"' not in html
        assert "pay here" in html  # the text is kept, only the styling goes
        assert '<h2 id="md-submit">' in html
    assert 'href="#md-submit"' in Lesson.objects.get(pk=lesson.pk).toc_html
