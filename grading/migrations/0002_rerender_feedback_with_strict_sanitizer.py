"""Re-render stored feedback with the stricter sanitizer (issue 11).

Until now ``class`` and ``id`` passed on every tag, so feedback saved before this
migration may still restyle or overlay the student's feedback page.
"""

from django.db import migrations


def rerender(apps, schema_editor):
    from lessons.rendering import markdown_to_html

    Review = apps.get_model("grading", "Review")
    for review in Review.objects.only("overall_feedback", "overall_feedback_html").iterator(
        chunk_size=500
    ):
        html = markdown_to_html(review.overall_feedback)
        if html != review.overall_feedback_html:
            # update(): a re-render is not a change of the review, so no history row.
            Review.objects.filter(pk=review.pk).update(overall_feedback_html=html)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0001_initial"),
        ("lessons", "0003_rerender_with_strict_sanitizer"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
