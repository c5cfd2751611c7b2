"""Re-render stored briefs with the stricter sanitizer (issue 11).

Until now ``class`` and ``id`` passed on every tag, so a brief saved before this
migration may still restyle or overlay the project page.
"""

from django.db import migrations


def rerender(apps, schema_editor):
    from lessons.rendering import markdown_to_html

    ProjectAssignment = apps.get_model("projects", "ProjectAssignment")
    for assignment in ProjectAssignment.objects.only("brief", "brief_html").iterator(
        chunk_size=500
    ):
        html = markdown_to_html(assignment.brief)
        if html != assignment.brief_html:
            ProjectAssignment.objects.filter(pk=assignment.pk).update(brief_html=html)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_grading_moves_out"),
        ("lessons", "0003_rerender_with_strict_sanitizer"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
