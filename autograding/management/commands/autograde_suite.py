"""Use a folder (e.g. of the course bundle) as a project's test suite.

    manage.py autograde_suite python-web-development group-project courses/tests/blog

The folder is zipped (without caches and hidden files) and saved as the suite, with
the checks of the back office's upload; a requirements.txt in it fills the suite's
requirements. The environment is built in the background, or here with --build.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from autograding import environments, services
from autograding.models import TestGroup, TestSuite
from projects.models import ProjectAssignment


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            if path.is_file() and not path.is_symlink():
                archive.write(path, relative.as_posix())
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Save a folder of pytest files as the test suite of a project."

    def add_arguments(self, parser) -> None:
        parser.add_argument("course", help="the course's slug")
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("folder", type=Path, help="the folder holding the tests")
        parser.add_argument(
            "--build", action="store_true", help="build the environment now, not in the worker"
        )

    def handle(self, *, course: str, project: str, folder: Path, build: bool, **options) -> str:
        assignment = ProjectAssignment.objects.filter(course__slug=course, slug=project).first()
        if assignment is None:
            raise CommandError(f"No project {project!r} in a course {course!r}.")
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        upload = ContentFile(zip_folder(folder), name=f"{folder.name}.zip")
        try:
            sha256, requirements = services.suite_check_archive(upload)
            environments.clean_requirements(requirements)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            suite, created = TestSuite.objects.get_or_create(assignment=assignment)
            suite.archive.save(upload.name, upload, save=False)
            suite.archive_name = upload.name
            suite.sha256 = sha256
            if requirements.strip():
                suite.requirements = requirements
            suite.save()
            if created:
                TestGroup.objects.create(suite=suite, name="All tests", patterns="*")
            services.suite_prepare(suite)
        if build:
            suite = services.suite_build(suite.pk)
            if options["verbosity"]:
                self.stdout.write(suite.build_log)
            if suite.build_status != "ready":
                raise CommandError("The environment could not be built; see the log above.")
        return self.style.SUCCESS(
            f"{'Created' if created else 'Updated'} the tests of {assignment} "
            f"(environment: {suite.get_build_status_display().lower()})."
        )
