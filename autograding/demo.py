"""The demo project's automated tests: the course bundle's example suite, and a run.

The suite is the bundle's folder ``autograding/<project slug>/``, saved as
``manage.py autograde_suite`` saves one (autograding.folders). The demo group's
version is queued for testing; a worker (``make worker``) runs it: some of its tests
pass, some fail, and the rubric's criteria linked to them get pre-filled points. Nothing
is built or run here, so seeding stays fast and works on machines without bwrap.
"""

from __future__ import annotations

from django.db import transaction

from lessons.demo import DEMO_COURSE
from projects.models import ProjectAssignment, Submission

from . import services
from .folders import suite_from_folder
from .models import Run, TestSuite


def demo_suite_folder(assignment: ProjectAssignment):
    return DEMO_COURSE / "autograding" / assignment.slug


@transaction.atomic
def demo_autograding_seed(*, assignment: ProjectAssignment) -> list[Run]:
    """Give the demo project its example suite and queue each group's latest version.

    Does nothing if the project already has a suite; return the runs queued.
    """
    if TestSuite.objects.filter(assignment=assignment).exists():
        return []
    suite_from_folder(assignment=assignment, folder=demo_suite_folder(assignment))
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(group__assignment=assignment).order_by("version"):
        latest[submission.group_id] = submission  # the last version wins
    runs = [services.run_request(submission=submission) for submission in latest.values()]
    return [run for run in runs if run is not None]
