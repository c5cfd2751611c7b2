"""Re-render stored feedback and line comments now that tags named in prose show as
text (see lessons/migrations/0007_rerender_tags_in_prose.py): a grader's "Your <style>
block is misplaced" lost everything after "<style>"."""

import importlib

from django.db import migrations

# The reviews' feedback, walked as the strict sanitizer's re-render walked it.
rerender_feedback = importlib.import_module(
    "grading.migrations.0002_rerender_feedback_with_strict_sanitizer"
).rerender


def rerender(apps, schema_editor):
    from lessons.rendering import markdown_to_html

    rerender_feedback(apps, schema_editor)
    # Then the line comments, which that re-render missed (update(): no history row).
    LineComment = apps.get_model("grading", "LineComment")
    for comment in LineComment.objects.only("text", "text_html").iterator(chunk_size=500):
        html = markdown_to_html(comment.text)
        if html != comment.text_html:
            LineComment.objects.filter(pk=comment.pk).update(text_html=html)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0007_regrade_window_at_most_a_year"),
        ("lessons", "0007_rerender_tags_in_prose"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
