"""Load demo data: accounts for every role, the demo course and its group project.

Idempotent: existing demo accounts are left alone (their passwords are printed only
when the account is created), so `make run` can call it every time.

It lives in autograding, the app that may import all the others (lessons, projects,
grading): none of them imports autograding.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from autograding.demo import demo_autograding_seed
from grading.demo import demo_grading_seed
from lessons.demo import demo_course_seed
from projects.services.demo import demo_project_seed


class Command(BaseCommand):
    help = "Create demo accounts, the demo course and its group project (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        demo = demo_course_seed()
        assignment = demo_project_seed(demo=demo)
        demo_grading_seed(demo=demo, assignment=assignment)
        # After the rubric: the suite's groups pre-fill its criteria.
        runs = demo_autograding_seed(assignment=assignment)
        course, report = demo.course, demo.report
        # The import lists a lesson twice when both it and its questions changed: each
        # item counts once, by its label (the text before " (what changed)").
        created = set(report.created)
        updated = {entry.split(" (", 1)[0] for entry in report.updated} - created
        self.stdout.write(
            f"Demo course {course.slug}: {len(created)} created, {len(updated)} updated; "
            f"{demo.new_enrollments} new enrollment(s). Enrollment key: {course.enrollment_key}"
        )
        self.stdout.write(f"Demo project: {assignment.title}")
        if runs:
            self.stdout.write(
                f"Automated tests: {len(runs)} version(s) queued; `make worker` runs them, as "
                "does the worker `make run` starts (bubblewrap needed, see docs/autograding.md)."
            )
        if demo.new_accounts:
            self.stdout.write(self.style.SUCCESS("Demo accounts (passwords are shown only now):"))
            for username, role, password in demo.new_accounts:
                self.stdout.write(f"  {role:<11} {username:<11} {password}")
        else:
            self.stdout.write(
                "Demo accounts already exist; their passwords were printed when created."
            )
