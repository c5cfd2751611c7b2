"""The demo course's group project, so `make run` shows every role something to do."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from lessons.demo import DemoCourse
from projects.models import ProjectAssignment

from .groups import group_create, group_join
from .submissions import submission_create

DEMO_BRIEF = """\
Build a small web application in Django as a team of two to four.

## What to deliver

- A Django project with at least two models, their admin, and pages to list and edit them.
- Authentication: visitors can sign up, log in and only edit what they own.
- A JSON endpoint for one of your models.
- Tests (`pytest`) and a README that says how to run and test the project in one command each.

Submit a zip of your repository (without the virtualenv) or its URL with the commit to grade.
"""

# Team Alpha's version 1: a small Django blog that runs, with gaps the example tests
# of the course bundle find (courses/python-web-development/autograding/group-project).
DEMO_SUBMISSION = Path(__file__).resolve().parent.parent / "demo_submission"


def _demo_zip() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(DEMO_SUBMISSION.rglob("*")):
            relative = path.relative_to(DEMO_SUBMISSION)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".sqlite3":
                archive.write(path, relative.as_posix())
    return SimpleUploadedFile("team-alpha.zip", buffer.getvalue(), "application/zip")


@transaction.atomic
def demo_project_seed(*, demo: DemoCourse) -> ProjectAssignment:
    """Create the demo group project with one group that has submitted.

    Does nothing if the project already exists.
    """
    existing = ProjectAssignment.objects.filter(course=demo.course, slug="group-project").first()
    if existing is not None:
        return existing
    now = timezone.now()
    assignment = ProjectAssignment.objects.create(
        course=demo.course,
        title="Group project: a web application in Django",
        slug="group-project",
        brief=DEMO_BRIEF,
        opens_at=now - timedelta(days=7),
        due_at=now + timedelta(days=21),
        late_penalty_per_day=Decimal("10"),
        late_penalty_cap=Decimal("50"),
        min_group_size=2,
        max_group_size=4,
        is_published=True,
    )
    users = demo.users
    group = group_create(assignment=assignment, student=users["student1"], name="Team Alpha")
    group_join(assignment=assignment, student=users["student2"], join_code=group.join_code)
    submission_create(
        group=group, student=users["student1"], archive=_demo_zip(), note="First version."
    )
    return assignment
