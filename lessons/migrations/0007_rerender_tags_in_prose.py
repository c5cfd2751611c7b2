"""Re-render stored Markdown HTML now that tags named in prose show as text.

Until now "<style>" in a sentence swallowed the rest of the text (an unclosed raw-text
element, dropped by the sanitizer), "<textarea>" turned it into literal markup and
"a<b and c>d" made it bold; the renderer is pure, so running it again over the sources
gives every stored copy the author's full text.
"""

import importlib

from django.db import migrations

# The same walk over courses, modules and lessons as the strict sanitizer's re-render.
rerender = importlib.import_module(
    "lessons.migrations.0003_rerender_with_strict_sanitizer"
).rerender


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0006_lesson_quiz_required"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
