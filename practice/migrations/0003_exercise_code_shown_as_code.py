"""Show an exercise's bare code (a solution with no fence) as a code block.

Stored before, "def f(x):\n    return x" was rendered as one line of prose until its
lesson was saved again: its expected result and solution are rendered again as
practice.services renders them now (fenced and prose texts render as before).
"""

from django.db import migrations, models
from django.db.models import F


def rerender(apps, schema_editor):
    from practice.services import _exercise_text_html

    Exercise = apps.get_model("practice", "Exercise")
    Course = apps.get_model("lessons", "Course")
    courses = set()
    fields = ("expected", "expected_html", "solution", "solution_html", "lesson__module__course_id")
    for exercise in Exercise.objects.values("pk", *fields).iterator(chunk_size=500):
        new = {
            "expected_html": _exercise_text_html(exercise["expected"]),
            "solution_html": _exercise_text_html(exercise["solution"]),
        }
        if any(exercise[field] != html for field, html in new.items()):
            Exercise.objects.filter(pk=exercise["pk"]).update(**new)
            courses.add(exercise["lesson__module__course_id"])
    # The lesson page keeps a course's exercises under its content version.
    Course.objects.filter(pk__in=courses).update(content_version=F("content_version") + 1)


class Migration(migrations.Migration):

    dependencies = [
        ('practice', '0002_block_id_label'),
        ('lessons', '0018_lesson_quiz_max_tries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exercise',
            name='expected',
            field=models.TextField(help_text='Markdown: prose, with code between ```python and ``` lines. A text with no such fence that reads as code (several lines of Python, or lines indented like code) is shown as one code block.', verbose_name='expected result'),
        ),
        migrations.AlterField(
            model_name='exercise',
            name='solution',
            field=models.TextField(help_text='Markdown: prose, with code between ```python and ``` lines. A text with no such fence that reads as code (several lines of Python, or lines indented like code) is shown as one code block.', verbose_name='worked solution'),
        ),
        migrations.AlterField(
            model_name='exercise',
            name='starter',
            field=models.TextField(blank=True, help_text="Put as typed in the student's box.", verbose_name='starter code'),
        ),
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
