"""Where autograding hears of other apps' events; each receiver calls one service.

projects sends ``submission_created`` once a version is committed, and
``project_copied`` for each project of a course copied for a new run; a review created
after its version was tested gets the tests' points (``post_save`` of grading's
Review, on commit). Neither app imports autograding. A suite's zip replaced or deleted
leaves the storage once the change commits.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from grading.models import Review
from projects.signals import project_copied, submission_created

from . import services
from .models import TestSuite


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


@receiver(pre_save, sender=TestSuite, dispatch_uid="autograding-suite-zip-replaced")
def forget_replaced_zip(sender, instance: TestSuite, raw: bool = False, **kwargs) -> None:
    if not raw:
        services.suite_forget_replaced_archive(instance)


@receiver(post_delete, sender=TestSuite, dispatch_uid="autograding-suite-zip-deleted")
def forget_deleted_zip(sender, instance: TestSuite, **kwargs) -> None:
    services.suite_forget_archive(instance.archive.name, instance.archive.storage)
