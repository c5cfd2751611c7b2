"""Re-render stored feedback and line comments now that tags named in prose show as
text (see lessons/migrations/0007_rerender_tags_in_prose.py): a grader's "Your <style>
block is misplaced" lost everything after "<style>"."""

from django.db import migrations


def rerender(apps, schema_editor):
    from lessons.rendering import markdown_to_html

    # update(), not save(): a re-render is not a change of the review, so no history row.
    Review = apps.get_model("grading", "Review")
    for review in Review.objects.only("overall_feedback", "overall_feedback_html").iterator(
        chunk_size=500
    ):
        html = markdown_to_html(review.overall_feedback)
        if html != review.overall_feedback_html:
            Review.objects.filter(pk=review.pk).update(overall_feedback_html=html)
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
