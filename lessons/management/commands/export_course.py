"""Write a course back to a bundle folder that import_course reads."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lessons import bundle
from lessons.models import Course
from lessons.services import course_export


class Command(BaseCommand):
    help = (
        "Export a course as a folder of Markdown files (the import_course format), "
        "its lessons' attachments included."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the course's slug")
        parser.add_argument("path", help="the folder to write (created if missing)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a previous export in PATH (its course.md and module folders)",
        )

    def handle(self, *args, slug: str, path: str, force: bool, **options) -> None:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course has the slug {slug!r}.")
        root = Path(path)
        if root.exists() and any(root.iterdir()) and not force:
            raise CommandError(
                f"{root} is not empty. Choose an empty folder, or pass --force to "
                "replace the course bundle in it."
            )
        # Written beside PATH first, then moved in: an export that fails (a file the
        # server lost, a full disk) leaves no half bundle, and a previous one intact.
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
        try:
            written = course_export(course=course, path=staging)
            _replace_export(root, staging)
        except ValidationError as exc:
            raise CommandError(f"{course.slug} was not exported: {' '.join(exc.messages)}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"Exported {course.slug} to {root} ({len(written)} files).")
            )


def _replace_export(root: Path, staging: Path) -> None:
    """Move the bundle written in STAGING into ROOT, in place of a previous export."""
    root.mkdir(exist_ok=True)
    # Only what an export writes is removed, so stale lessons do not linger.
    (root / bundle.COURSE_FILE).unlink(missing_ok=True)
    for folder in root.iterdir():
        if (
            folder.is_dir()
            and not folder.is_symlink()  # another folder, linked here: not ours
            and (folder / bundle.MODULE_FILE).is_file()
        ):
            shutil.rmtree(folder)
    for item in staging.iterdir():
        target = root / item.name
        if target.exists() or target.is_symlink():
            raise CommandError(f"{target} is in the way of the export (not written by one).")
        item.rename(target)
