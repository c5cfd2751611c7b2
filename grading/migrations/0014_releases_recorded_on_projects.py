"""Projects released before projects kept the moment (ProjectAssignment.grades_released_at)
get it from their GradeRelease."""

from django.db import migrations


def record_releases(apps, schema_editor):
    GradeRelease = apps.get_model("grading", "GradeRelease")
    ProjectAssignment = apps.get_model("projects", "ProjectAssignment")
    for assignment_id, released_at in GradeRelease.objects.values_list(
        "assignment_id", "released_at"
    ):
        ProjectAssignment.objects.filter(pk=assignment_id).update(grades_released_at=released_at)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0013_one_line_titles"),
        ("projects", "0013_grades_released_at"),
    ]

    operations = [migrations.RunPython(record_releases, migrations.RunPython.noop)]
