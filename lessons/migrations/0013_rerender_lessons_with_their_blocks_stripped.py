"""Re-render the stored lesson HTML as Lesson.render does now.

A heading over nothing but quiz and exercise blocks is left out (every lesson showed
"Check your understanding" twice), and images get a text alternative. The earlier
re-renders (0003, 0007) rendered a lesson's Markdown with its blocks in it: a database
that had quiz lessons then showed their questions, answers included, as code in the
lesson's text until each lesson was saved again. This puts every lesson right.
"""

import importlib

from django.db import migrations

rerender = importlib.import_module(
    "lessons.migrations.0003_rerender_with_strict_sanitizer"
).rerender


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0012_lesson_minutes_bound"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
