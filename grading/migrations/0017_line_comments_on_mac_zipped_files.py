"""Line comments on files whose names a Mac zipped in UTF-8 without the zip's UTF-8 mark.

Until projects.archives.open_zip, such names were read as CP437 ("résumé.py" as
"re╠üsume╠ü.py") and comments were stored under that reading. The viewer now lists the
file by its real name, so these comments matched no file and were shown nowhere (probe
54). A path that reads back as CP437 bytes forming valid UTF-8, and differs, is such a
reading (CP437's accents alone are never valid UTF-8): it gets the real name.
"""

from django.db import migrations


def real_name(path: str) -> str | None:
    if path.isascii():
        return None
    try:
        name = path.encode("cp437").decode("utf-8")
    except UnicodeError:
        return None
    return name if name != path else None


def rename(apps, schema_editor):
    LineComment = apps.get_model("grading", "LineComment")
    for comment in LineComment.objects.exclude(path__regex=r"^[ -~]*$").only("pk", "path"):
        name = real_name(comment.path)
        if name is not None:
            LineComment.objects.filter(pk=comment.pk).update(path=name)


class Migration(migrations.Migration):
    dependencies = [("grading", "0016_peer_help_text_says_when")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
