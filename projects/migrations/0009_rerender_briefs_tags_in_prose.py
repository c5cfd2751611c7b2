"""Re-render stored briefs now that tags named in prose show as text (see
lessons/migrations/0007_rerender_tags_in_prose.py)."""

import importlib

from django.db import migrations

rerender = importlib.import_module(
    "projects.migrations.0005_rerender_briefs_with_strict_sanitizer"
).rerender


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_assignment_weight_and_missing"),
        ("lessons", "0007_rerender_tags_in_prose"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
