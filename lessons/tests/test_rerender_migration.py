"""HTML stored before the stricter sanitizer is re-rendered by the data migrations.

The migrations' functions run here on the current models, over rows whose stored
HTML is what the old sanitizer let through (written with update(), which skips the
rendering in save()).
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from grading.models import Review
from grading.tests.factories import grading_world
from lessons.models import Course, Lesson, Module
from lessons.tests.factories import LessonFactory
from projects.models import ProjectAssignment

pytestmark = pytest.mark.django_db

MIGRATIONS = [
    "lessons.migrations.0003_rerender_with_strict_sanitizer",
    "projects.migrations.0005_rerender_briefs_with_strict_sanitizer",
    "grading.migrations.0002_rerender_feedback_with_strict_sanitizer",
]
OVERLAY = '<div class="position-fixed top-0 start-0 w-100 h-100" id="main-nav">pay here</div>'
SOURCE = f"## Submit\n\n{OVERLAY}\n"


def test_old_lessons_briefs_and_feedback_lose_their_classes_and_ids(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    lesson = LessonFactory(module__course=world.course)
    Course.objects.update(summary=SOURCE, summary_html=OVERLAY)
    Module.objects.update(summary=SOURCE, summary_html=OVERLAY)
    Lesson.objects.update(body=SOURCE, body_html=OVERLAY, toc_html=OVERLAY)
    ProjectAssignment.objects.update(brief=SOURCE, brief_html=OVERLAY)
    Review.objects.update(overall_feedback=SOURCE, overall_feedback_html=OVERLAY)
    updated_at = Lesson.objects.get(pk=lesson.pk).updated_at

    for name in MIGRATIONS:
        import_module(name).rerender(apps, None)  # data only: no schema editor needed

    stored = [
        Course.objects.get(pk=world.course.pk).summary_html,
        Module.objects.get(pk=lesson.module_id).summary_html,
        Lesson.objects.get(pk=lesson.pk).body_html,
        ProjectAssignment.objects.get(pk=world.assignment.pk).brief_html,
        Review.objects.get(pk=world.review.pk).overall_feedback_html,
    ]
    for html in stored:
        assert "position-fixed" not in html and 'id="main-nav"' not in html
        assert "pay here" in html  # the text is kept, only the styling goes
        assert '<h2 id="md-submit">' in html
    assert 'href="#md-submit"' in Lesson.objects.get(pk=lesson.pk).toc_html
    assert Lesson.objects.get(pk=lesson.pk).updated_at == updated_at  # not an edit


def test_text_cut_at_a_tag_named_in_prose_comes_back(alice, bob, grace):
    from grading.models import LineComment

    world = grading_world(alice=alice, bob=bob, grace=grace)
    lesson = LessonFactory(module__course=world.course)
    source = "Your <style> block is misplaced.\n\nSecond paragraph: see line 12."
    cut = "<p>Your </p>"  # what the old renderer stored
    Lesson.objects.filter(pk=lesson.pk).update(body=source, body_html=cut)
    ProjectAssignment.objects.update(brief=source, brief_html=cut)
    Review.objects.update(overall_feedback=source, overall_feedback_html=cut)
    comment = LineComment.objects.create(
        review=world.review, path="app.py", line=1, text=source, text_html=cut
    )

    for name in (
        "lessons.migrations.0007_rerender_tags_in_prose",
        "projects.migrations.0009_rerender_briefs_tags_in_prose",
        "grading.migrations.0008_rerender_feedback_tags_in_prose",
    ):
        import_module(name).rerender(apps, None)

    for html in (
        Lesson.objects.get(pk=lesson.pk).body_html,
        ProjectAssignment.objects.get(pk=world.assignment.pk).brief_html,
        Review.objects.get(pk=world.review.pk).overall_feedback_html,
        LineComment.objects.get(pk=comment.pk).text_html,
    ):
        assert "Your &lt;style&gt; block is misplaced." in html
        assert "Second paragraph: see line 12." in html


def test_lessons_are_rendered_again_without_their_blocks_or_the_heading_over_them(pyweb):
    from lessons.rendering import render_markdown

    lesson = pyweb.lessons[0]
    quiz = "```question\nid: q\nkind: text\nprompt: Which?\nanswers: [secret-answer]\n```\n"
    source = f"## Routing\n\nText.\n\n## Check your understanding\n\n{quiz}"
    # What the earlier re-renders stored: the blocks rendered as code, answers included.
    leaked = render_markdown(source)
    Lesson.objects.filter(pk=lesson.pk).update(
        body=source, body_html=leaked.html, toc_html=leaked.toc_html
    )
    assert "secret-answer" in Lesson.objects.get(pk=lesson.pk).body_html

    import_module("lessons.migrations.0013_rerender_lessons_with_their_blocks_stripped").rerender(
        apps, None
    )

    stored = Lesson.objects.get(pk=lesson.pk)
    assert "secret-answer" not in stored.body_html
    assert "Check your understanding" not in stored.body_html + stored.toc_html
    assert "Text." in stored.body_html and "Routing" in stored.toc_html
