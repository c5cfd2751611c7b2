"""The demo project's grading: its rubric and a review waiting for the demo grader."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from lessons.demo import DemoCourse
from projects.models import Group, ProjectAssignment

from .models import Criterion, Level, Rubric
from .services import grader_assign

DEMO_RUBRIC = [
    ("Functionality", "The application does what the brief asks, without errors.", 40),
    ("Code quality", "Readable, idiomatic Django: models, views and templates in their place.", 25),
    ("Tests", "Meaningful tests that pass and cover the main paths.", 20),
    ("Documentation and deployment", "README, requirements, one-command run and test.", 15),
]


@transaction.atomic
def demo_grading_seed(*, demo: DemoCourse, assignment: ProjectAssignment) -> Rubric:
    """Give the demo project its rubric and hand its submitted group to the demo grader.

    Does nothing if the project already has a rubric.
    """
    existing = Rubric.objects.filter(assignment=assignment).first()
    if existing is not None:
        return existing
    rubric = Rubric.objects.create(assignment=assignment)
    for order, (title, description, points) in enumerate(DEMO_RUBRIC, start=1):
        criterion = Criterion.objects.create(
            rubric=rubric, order=order, title=title, description=description, max_points=points
        )
        for label, share in (("Excellent", 1), ("Good", Decimal("0.7")), ("Needs work", 0.3)):
            Level.objects.create(criterion=criterion, label=label, points=points * Decimal(share))
    for group in Group.objects.filter(assignment=assignment, submissions__isnull=False).distinct():
        # The demo shows grading under way: its hand-in closes on purpose.
        grader_assign(
            group=group,
            grader=demo.users["grader"],
            by=demo.users["instructor"],
            close_hand_in=True,
            notify=False,  # demo data: nobody to tell
        )
    return rubric
