"""Use a folder (e.g. of the course bundle) as a project's test suite.

    manage.py autograde_suite python-web-development group-project \\
        courses/python-web-development/autograding/group-project

The folder is zipped (without caches and hidden files) and saved as the suite, with
the checks of the back office's upload; a requirements.txt in it fills the suite's
requirements, a groups.yaml its groups of tests (see autograding/folders.py). The
environment is built in the background, or here with --build.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from autograding.folders import suite_from_folder
from projects.models import ProjectAssignment


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
        try:
            suite, created = suite_from_folder(assignment=assignment, folder=folder, build=build)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if build:
            if options["verbosity"]:
                self.stdout.write(suite.build_log)
            if suite.build_status != "ready":
                raise CommandError("The environment could not be built; see the log above.")
        return self.style.SUCCESS(
            f"{'Created' if created else 'Updated'} the tests of {assignment} "
            f"({suite.groups.count()} groups; environment: "
            f"{suite.get_build_status_display().lower()})."
        )
