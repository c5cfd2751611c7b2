"""Background tasks of autograding (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.tasks import task

from . import services

# Below every other task (emails: 0): a password reset waited 26 s behind an environment
# build (probe 52), and a deadline's runs would hold every email for as long.
SLOW = -10


@task(priority=SLOW)
def run_tests(*, run_id: int) -> str:
    """Execute one queued run in the sandbox; return its status ("" if another worker had it)."""
    return services.execute_run(run_id)


@task()
def recover_stale() -> int:
    """Put back (or end) the runs whose worker died; queued for when a run must be over."""
    return services.recover_stale_runs()


@task(priority=SLOW)
def build_environment(*, suite_id: int) -> str:
    """Build the virtualenv a suite's runs need (with network, outside any sandbox)."""
    suite = services.suite_build(suite_id)
    return suite.build_status if suite is not None else ""


@task()
def run_final_version(*, group_id: int) -> int | None:
    """At a group's deadline, queue a run of its final version (suites run on final ones)."""
    run = services.final_version_run(group_id)
    return run.pk if run is not None else None
