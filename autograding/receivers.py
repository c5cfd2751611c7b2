"""Where autograding hears of other apps' events; each receiver calls one service.

projects sends ``submission_created`` once a version is committed, and
``project_copied`` for each project of a course copied for a new run; a review created
after its version was tested gets the tests' points (``post_save`` of grading's
Review, on commit). Neither app imports autograding.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from grading.models import Review
from projects.signals import project_copied, submission_created

from . import services


@receiver(submission_created, dispatch_uid="autograding-queue-run")
def queue_run(sender, submission, **kwargs) -> None:
    services.on_submission_created(submission)


@receiver(post_save, sender=Review, dispatch_uid="autograding-prefill-review")
def prefill_review(sender, instance: Review, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        transaction.on_commit(lambda: services.prefill_new_review(instance), robust=True)


@receiver(project_copied, dispatch_uid="autograding-copy-suite")
def copy_suite(sender, source, copy, **kwargs) -> None:
    services.suite_copy(source=source, copy=copy)
