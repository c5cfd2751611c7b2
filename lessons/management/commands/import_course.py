"""Create or update a course from a bundle folder (see lessons/bundle.py for the format)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.models import Role
from lessons.bundle import BundleError
from lessons.services import course_import


class Command(BaseCommand):
    help = (
        "Create or update a course from a folder of Markdown files. Importing the same "
        "folder twice changes nothing; a bad bundle is rejected as a whole."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the course folder (the one holding course.md)")
        parser.add_argument("--slug", help="import into this course slug instead of the bundle's")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, then roll back"
        )
        parser.add_argument(
            "--delete-answers",
            action="store_true",
            help="import lessons that take out questions or exercises students answered, "
            "deleting their answers (refused otherwise)",
        )

    def handle(
        self,
        *args,
        path: str,
        slug: str | None,
        dry_run: bool,
        delete_answers: bool,
        **options,
    ) -> None:
        verbosity = options["verbosity"]
        try:
            report = course_import(
                path=path, slug=slug, dry_run=dry_run, delete_answers=delete_answers
            )
        except BundleError as exc:
            raise CommandError(
                f"{path} was not imported, nothing was changed:\n" + "\n".join(exc.errors)
            ) from exc
        except DatabaseError as exc:
            # The bundle passed its checks but the database refused a row (a clash
            # with a row written meanwhile, say): the transaction is rolled back.
            raise CommandError(
                f"{path} was not imported, nothing was changed: the database refused "
                f"it ({type(exc).__name__}: {str(exc).strip()[:200]})"
            ) from exc
        # A dry run names what it would change: the point of running it.
        if verbosity > 1 or (dry_run and verbosity):
            for line in report.created:
                self.stdout.write(f"  created {line}")
            for line in report.updated:
                self.stdout.write(f"  updated {line}")
        for line in report.notices:
            self.stdout.write(self.style.WARNING(f"  {line}"))
        for line in report.not_in_bundle:
            self.stdout.write(self.style.WARNING(f"  left alone (not in the bundle): {line}"))
        prefix = "Dry run: would have " if dry_run else ""
        summary = (
            f"{prefix}imported {report.course.slug}: "
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{report.unchanged} unchanged."
        )
        if verbosity:
            self.stdout.write(self.style.SUCCESS(summary))
        course = report.course
        if not dry_run and not course.enrollments.filter(role=Role.INSTRUCTOR).exists():
            # Only superusers see a course nobody teaches (probe 68).
            self.stdout.write(
                self.style.WARNING(
                    f"Nobody teaches {course.slug} yet: enroll its instructor with "
                    f"`python manage.py enroll EMAIL {course.slug} instructor`."
                )
            )
