"""Run every runnable example of a course bundle (see lessons/examples.py for the markers)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.examples import DEFAULT_TIMEOUT, ExampleError, check_bundle


class Command(BaseCommand):
    help = (
        "Run the code blocks of a course bundle marked {.python .run}, {.bash .run} or "
        "{.python .file} and report how many passed, failed and were skipped."
    )
    # Nothing here touches the database or the project's settings.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the course folder (the one holding course.md)")
        parser.add_argument(
            "--timeout",
            type=int,
            default=DEFAULT_TIMEOUT,
            help=f"seconds a block may run unless it says timeout=N (default {DEFAULT_TIMEOUT})",
        )

    def handle(self, *args, path: str, timeout: int, **options) -> None:
        try:
            report = check_bundle(Path(path), default_timeout=timeout)
        except ExampleError as exc:
            raise CommandError(str(exc)) from exc
        for outcome in report.outcomes:
            if outcome.status == "skipped":
                self.stdout.write(f"SKIP {outcome.block.label}: {outcome.detail}")
        for outcome in report.outcomes:
            if outcome.status == "failed":
                self.stdout.write(self.style.ERROR(f"FAIL {outcome.block.label}"))
                for line in outcome.detail.splitlines():
                    self.stdout.write(f"    {line}")
        if not report.network_isolated:
            self.stdout.write(
                self.style.WARNING("note: this system cannot cut the examples off the network")
            )
        summary = (
            f"blocks: {report.total} total, {report.run} run, {report.count('passed')} passed, "
            f"{report.count('failed')} failed, {report.count('skipped')} skipped"
        )
        if not report.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
