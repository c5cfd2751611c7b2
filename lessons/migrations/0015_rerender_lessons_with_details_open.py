"""Re-render the stored lesson HTML as Lesson.render does now: a ``<details open>`` the
author wrote stays open (the sanitizer used to drop ``open``, so every such section
showed folded until the lesson was saved again)."""

import importlib

from django.db import migrations

rerender = importlib.import_module(
    "lessons.migrations.0003_rerender_with_strict_sanitizer"
).rerender


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0014_one_line_titles_attachment_names"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
