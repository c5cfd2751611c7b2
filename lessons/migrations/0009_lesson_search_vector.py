"""PostgreSQL keeps each lesson's full-text vector in a generated column.

Lesson search computed it from the title and the whole text of every lesson a person
may see, on every search: 48 of the 63 ms of a search over 33 lessons (196 KB of text),
growing with every lesson added. PostgreSQL now stores it when a lesson is written
(a generated column: nothing in the application can forget to update it), and the
search reads it (lessons/search.py). The column is PostgreSQL's alone: SQLite's
search matches substrings and has no use for it, so the ORM does not know the column.
"""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(body_text, '')), 'B')"
)


def add_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE lessons_lesson ADD COLUMN search_vector tsvector"
            f" GENERATED ALWAYS AS ({VECTOR}) STORED"
        )


def drop_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE lessons_lesson DROP COLUMN search_vector")


class Migration(migrations.Migration):
    dependencies = [("lessons", "0008_constraint_messages")]

    operations = [migrations.RunPython(add_vector, drop_vector)]
