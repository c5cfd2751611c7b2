"""Autograding actions: saving suites, queueing runs, executing them, using the results.

The queue is the ``Run`` table. Creating a run enqueues a ``run_tests`` task on the
django.tasks database backend in the same transaction; any number of ``db_worker``
processes, on any number of machines, pick the tasks. A worker *claims* a run with one
conditional UPDATE (queued -> running): whatever the task queue does (a task delivered
twice, a re-run clicked twice), one worker alone executes a run. A run whose worker
died stays "running"; once it is older than its time limit plus a margin, the next
worker that starts a task puts it back in the queue (or, after repeated crashes, ends
it as a sandbox error).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import shutil
import socket
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import User
from coursesite.copying import copy_file, copy_of
from coursesite.files import delete_file_on_commit
from grading.models import Criterion, CriterionScore, Review, ReviewStatus
from projects.archives import decode_text, is_junk, open_zip, sha256_of, validate_zip
from projects.models import Group, ProjectAssignment, Submission

from . import environments, sandbox
from .models import (
    NOT_RUN,
    STOPPED_HERE,
    BuildStatus,
    Outcome,
    PrefilledScore,
    Run,
    RunScope,
    RunStatus,
    TestGroup,
    TestResult,
    TestSuite,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # a run whose worker died this often ends as a sandbox error
STALE_MARGIN = timedelta(minutes=2)
SUITE_MAX_BYTES = 20 * 1024 * 1024
REQUIREMENTS_MAX_BYTES = 64 * 1024
NO_TESTS_IN_ARCHIVE = "The zip holds no test file (test_*.py or *_test.py)."


# Suites and their environments ----------------------------------------------------


def suite_check_archive(upload: UploadedFile) -> tuple[str, str]:
    """Validate an uploaded suite zip; return (sha256, requirements.txt text or "")."""
    if upload.size > SUITE_MAX_BYTES:
        raise ValidationError("A test suite zip may hold at most 20 MB.")
    summary = validate_zip(upload)
    names = [name.replace("\\", "/") for name in summary.names]
    if not any(_is_test_file(name) for name in names):
        raise ValidationError(NO_TESTS_IN_ARCHIVE)
    _refuse_python_that_does_not_compile(upload, summary.names)
    requirements = ""
    top = _single_top_folder(names)
    wanted = f"{top}requirements.txt"
    if wanted in names:
        member_name = summary.names[names.index(wanted)]  # its stored name, backslashes kept
        upload.seek(0)
        with open_zip(upload) as archive, archive.open(member_name) as member:
            requirements = _requirements_text(member.read(REQUIREMENTS_MAX_BYTES + 1))
    return sha256_of(upload), requirements


# How much of a suite's Python the upload compiles (the request waits on it: 60 files of
# 2 MB took 55 s, probe 105); what is past it is left to the runs to report.
_COMPILED_MAX_BYTES = 2 * 1024 * 1024


def _refuse_python_that_does_not_compile(upload: UploadedFile, names: list[str]) -> None:
    """Refuse a suite one of whose files pytest imports (its test files, its conftest.py
    files) does not compile: it was accepted, and every student's next run ended as an
    error of the tests with nothing said to the instructor (probe 103). Other modules
    (a sample of broken code, a Python 2 script) may be anything; macOS's copies
    ("__MACOSX/", "._name.py") are not Python (probe 105)."""
    budget = _COMPILED_MAX_BYTES
    upload.seek(0)
    with open_zip(upload) as archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            imported = _is_test_file(name) or name.rsplit("/", 1)[-1] == "conftest.py"
            if not imported or is_junk(name) or info.file_size > budget:
                continue
            budget -= info.file_size
            with archive.open(info) as member:
                source = member.read(_COMPILED_MAX_BYTES + 1)
            try:
                compile(source, name, "exec", dont_inherit=True)
            except SyntaxError as exc:  # IndentationError, TabError too
                where = f", line {exc.lineno}" if exc.lineno else ""
                raise ValidationError(
                    f"{name}{where} does not compile ({type(exc).__name__}: {exc.msg}): every "
                    "student's run would end as an error of the tests, not of their code. "
                    "Correct it and upload the zip again."
                ) from exc
            except (ValueError, RecursionError, MemoryError) as exc:  # a NUL, nesting
                raise ValidationError(
                    f"{name} cannot be read as Python ({type(exc).__name__}). Correct it and "
                    "upload the zip again."
                ) from exc


def _requirements_text(data: bytes) -> str:
    """Return a suite's requirements.txt as text, decoded as the code viewer decodes it.

    Windows editors save UTF-8 with a byte-order mark, or UTF-16 (PowerShell's ">"):
    read as plain UTF-8, the first line would not be a requirement, or every one would
    be mojibake.
    """
    if len(data) > REQUIREMENTS_MAX_BYTES:
        raise ValidationError(
            "The zip's requirements.txt is over 64 KB: it should list only the packages "
            "the tests need, one per line."
        )
    decoded = decode_text(data)
    if decoded is None:
        raise ValidationError(
            "The zip's requirements.txt is not a text file: save it as plain text "
            "(UTF-8), one package per line, and upload the zip again."
        )
    return decoded[0]


def _is_test_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(".py") and (base.startswith("test_") or base.endswith("_test.py"))


def _single_top_folder(names: list[str]) -> str:
    tops = {name.split("/", 1)[0] for name in names if name.strip("/")}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""


@transaction.atomic
def suite_prepare(suite: TestSuite) -> TestSuite:
    """Recompute SUITE's environment key and queue a build if the environment changed.

    Called after the back office saved a suite; the build runs in the background.
    """
    requirements = environments.clean_requirements(suite.requirements)
    key = environments.key_for(requirements)
    rebuild = (BuildStatus.WAITING, BuildStatus.FAILED)
    changed = key != suite.env_key or suite.build_status in rebuild
    if not suite.archive:
        TestSuite.objects.filter(pk=suite.pk).update(env_key=key, build_status=BuildStatus.WAITING)
        return suite
    if changed:
        TestSuite.objects.filter(pk=suite.pk).update(env_key=key, build_status=BuildStatus.QUEUED)
        from .tasks import build_environment

        transaction.on_commit(lambda: build_environment.enqueue(suite_id=suite.pk))
    suite.refresh_from_db()
    return suite


@transaction.atomic
def suite_forget_archive(name: str, storage) -> None:
    """Delete a suite's zip NAME from STORAGE once the change that dropped it commits:
    hidden tests an instructor replaced or deleted must not stay on the server."""
    delete_file_on_commit(storage, name)


def suite_forget_replaced_archive(suite: TestSuite) -> None:
    """Forget the zip SUITE had before, if this save gives it another one."""
    if suite.pk is None:
        return
    before = TestSuite.objects.filter(pk=suite.pk).values_list("archive", flat=True).first()
    if before and before != suite.archive.name:
        suite_forget_archive(before, suite.archive.storage)


def suite_copy(*, source: ProjectAssignment, copy: ProjectAssignment) -> TestSuite | None:
    """Copy SOURCE's test suite (its archive, settings and test groups) to COPY, a project
    of the course's new run; None if SOURCE has none. A test group's criterion is the
    copied rubric's of the same order and title (grading copies the rubric first)."""
    suite = TestSuite.objects.filter(assignment=source).first()
    if suite is None:
        return None
    new = copy_of(suite, assignment_id=copy.pk)
    if suite.archive:
        try:
            copy_file(suite.archive, new.archive)
        except FileNotFoundError as exc:
            raise ValidationError(
                f"The test suite of “{source.title}” has lost its zip on the server, so "
                "nothing was copied: upload the suite again, then copy the course."
            ) from exc
    new.save()
    criteria = {
        (criterion.order, criterion.title): criterion.pk
        for criterion in Criterion.objects.filter(rubric__assignment=copy)
    }
    groups = suite.groups.select_related("criterion").order_by("order", "pk")
    TestGroup.objects.bulk_create(
        copy_of(
            group,
            suite_id=new.pk,
            criterion_id=(
                criteria.get((group.criterion.order, group.criterion.title))
                if group.criterion
                else None
            ),
        )
        for group in groups
    )
    return suite_prepare(new)


def suite_build(suite_id: int) -> TestSuite | None:
    """Build (or find) SUITE's environment on this machine and record the outcome."""
    suite = TestSuite.objects.filter(pk=suite_id).first()
    if suite is None:
        return None
    TestSuite.objects.filter(pk=suite.pk).update(build_status=BuildStatus.BUILDING)
    try:
        requirements = environments.clean_requirements(suite.requirements)
        key = environments.key_for(requirements)
        environment, log = environments.ensure(key, requirements)
        suite_files(suite)
    except ValidationError as exc:
        _build_failed(suite, "\n".join(exc.messages))
    except environments.BuildFailed as exc:
        _build_failed(suite, exc.log)
    except (OSError, zipfile.BadZipFile) as exc:
        _build_failed(suite, f"The suite's zip could not be unpacked: {exc}")
    else:
        TestSuite.objects.filter(pk=suite.pk).update(
            env_key=key,
            build_status=BuildStatus.READY,
            build_log=log or "The environment was already built on this machine.",
            built_at=timezone.now(),
            environment_path=str(environment.path),
        )
        _run_again_after_the_build(suite)
    suite.refresh_from_db()
    return suite


def _run_again_after_the_build(suite: TestSuite) -> None:
    """Queue again the latest run of each version that ended because SUITE's environment
    could not be built: mended, nobody had to find them (probe 69)."""
    ended = Run.objects.filter(suite=suite, status=RunStatus.SANDBOX_ERROR, message=BUILD_FAILED)
    later = Run.objects.filter(submission=OuterRef("submission"), pk__gt=OuterRef("pk"))
    for run in ended.exclude(Exists(later)).select_related("submission__group"):
        run_request(submission=run.submission)


def _build_failed(suite: TestSuite, log: str) -> None:
    TestSuite.objects.filter(pk=suite.pk).update(
        build_status=BuildStatus.FAILED, build_log=log, built_at=timezone.now()
    )


def suite_files(suite: TestSuite) -> Path:
    """Return the folder of SUITE's tests on this machine, unpacking them once per archive."""
    target = environments.root() / "suites" / suite.sha256
    if (target / ".ready").exists():
        return target / "tests"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix="suite-", dir=target.parent))
    try:
        with suite.archive.open("rb") as handle:
            data = io.BytesIO(handle.read(SUITE_MAX_BYTES + 1))
        validate_zip(data)
        _extract(data, partial / "tests")
        for item in [partial, *partial.rglob("*")]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        (partial / ".ready").touch()
        try:
            partial.rename(target)
        except OSError:
            pass  # another worker unpacked the same archive first
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target / "tests"


def _extract(data: io.BytesIO, target: Path) -> None:
    """Unpack a validated zip into TARGET, dropping one top folder; never outside it."""
    target.mkdir(parents=True)
    base = target.resolve()
    with open_zip(data) as archive:
        names = [info.filename.replace("\\", "/") for info in archive.infolist()]
        top = _single_top_folder(names)
        for info, name in zip(archive.infolist(), names, strict=True):
            relative = name[len(top) :] if top and name.startswith(top) else name
            parts = [p for p in relative.split("/") if p not in ("", ".")]
            if not parts or ".." in parts or parts[0] == "__MACOSX":
                continue
            path = base.joinpath(*parts).resolve()
            if not path.is_relative_to(base):
                continue
            if name.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out)


# Queueing ---------------------------------------------------------------------


def suite_of(assignment: ProjectAssignment | int) -> TestSuite | None:
    assignment_id = assignment if isinstance(assignment, int) else assignment.pk
    return TestSuite.objects.filter(assignment_id=assignment_id).first()


def run_request(
    *, submission: Submission, by: User | None = None, supersede: bool = False
) -> Run | None:
    """Queue a run of SUBMISSION's assignment's tests on it; None if there is nothing to run.

    A version without a zip archive (a repository URL only) is not run: the sandbox
    has no network to fetch it. With SUPERSEDE (a new version's own run), the runs of
    the group's earlier versions still waiting, that nobody asked for, are dropped.
    """
    suite = suite_of(submission.group.assignment_id)
    if suite is None or not suite.archive or not submission.archive:
        return None
    with transaction.atomic():
        # Asked twice at once (a double click, two tabs): one run waits, not two.
        ProjectAssignment.objects.lock(submission.group.assignment_id)
        if supersede:
            # Probe 51: three versions sent in a row, each sleeping to the time limit,
            # held the worker for three minutes, and every other group's run waited
            # behind them. Only the latest version's result matters to the group; a run
            # a grader or instructor asked for stays. The dropped runs' tasks find no
            # run to take (claim), and end.
            Run.objects.filter(
                submission__group_id=submission.group_id,
                submission__version__lt=submission.version,
                status=RunStatus.QUEUED,
                requested_by=None,
            ).exclude(
                # The version a grader grades keeps its run (probe 54: its review had no
                # results, the later version's prefill none of its scores).
                submission_id=F("submission__group__graded_submission_id")
            ).delete()
        waiting = Run.objects.filter(
            submission=submission, suite=suite, status=RunStatus.QUEUED
        ).first()
        if waiting is not None:
            return waiting
        run = Run.objects.create(submission=submission, suite=suite, requested_by=by)
        _enqueue(run)
    return run


def _enqueue(run: Run) -> None:
    from .tasks import run_tests

    # In the run's transaction: the task exists exactly when the run does.
    run_tests.enqueue(run_id=run.pk)


def runs_request_for_assignment(
    *, assignment: ProjectAssignment, by: User | None = None, final_only: bool | None = None
) -> list[Run]:
    """Queue a run for every version of ASSIGNMENT, or each group's final version, but
    those whose run still waits; return the runs, queued now or waiting.

    FINAL_ONLY defaults to the suite's setting; a group's final version is its latest
    and, once grading started, the version graded (probe 69: new tests re-ran each
    group's latest, while its review kept the old tests' results on the version graded).
    """
    suite = suite_of(assignment)
    if suite is None or not suite.archive:
        raise ValidationError("This project has no tests to run: upload a test suite first.")
    if final_only is None:
        final_only = suite.run_scope == RunScope.FINAL
    submissions = Submission.objects.filter(group__assignment=assignment).exclude(archive="")
    if final_only:
        later = Submission.objects.filter(group=OuterRef("group"), version__gt=OuterRef("version"))
        submissions = submissions.filter(~Exists(later) | Q(group__graded_submission=F("pk")))
    runs = []
    with transaction.atomic():
        # Asked twice (a double click, two instructors): a version whose run still
        # waits keeps that one, as run_request does; twice over, it queued every
        # version twice, hours of a worker on a large course.
        ProjectAssignment.objects.lock(assignment.pk)
        waiting = {
            run.submission_id: run
            for run in Run.objects.filter(
                submission__group__assignment=assignment, suite=suite, status=RunStatus.QUEUED
            )
        }
        for submission in submissions.order_by("group_id", "version"):
            run = waiting.get(submission.pk)
            if run is None:
                run = Run.objects.create(submission=submission, suite=suite, requested_by=by)
                _enqueue(run)
            runs.append(run)
    return runs


def on_submission_created(submission: Submission) -> Run | None:
    """Queue what a new version needs: its run, or a check at the group's deadline.

    A version queued already, by the code that created it in the same transaction
    (the demo data), is not queued twice.
    """
    suite = suite_of(submission.group.assignment_id)
    if suite is None or not suite.is_active or submission.autograde_runs.exists():
        return None
    if suite.run_scope == RunScope.FINAL:
        deadline = submission.group.deadline()
        if timezone.now() < deadline:
            from .tasks import run_final_version

            # The final version is known at the deadline; until then nothing runs.
            run_final_version.using(run_after=deadline).enqueue(group_id=submission.group_id)
            return None
    return run_request(submission=submission, supersede=True)


def final_version_run(group_id: int) -> Run | None:
    """At a group's deadline: run its last version, unless a run of it exists already."""
    group = Group.objects.select_related("assignment", "extension").filter(pk=group_id).first()
    if group is None:
        return None
    if timezone.now() < group.deadline():  # an extension moved the deadline
        from .tasks import run_final_version

        run_final_version.using(run_after=group.deadline()).enqueue(group_id=group.pk)
        return None
    latest = group.submissions.order_by("-version").first()
    if latest is None or latest.autograde_runs.exists():
        return None
    return run_request(submission=latest)


# Executing ----------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(run_id: int, worker: str) -> Run | None:
    """Take RUN_ID for WORKER if it is still queued; None if another worker has it.

    One conditional UPDATE: the database runs it atomically on every backend, so two
    workers can never both see the row as queued and both win.
    """
    now = timezone.now()
    taken = Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, worker=worker, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Run.objects.select_related("suite", "submission__group__assignment").get(pk=run_id)


def _watch(run: Run) -> None:
    """Queue a check for when RUN must have ended: if its worker dies meanwhile, the check,
    kept in the task queue (which outlives workers), puts it back; otherwise it finds
    nothing. Without it, a run stayed "running" until some other run started."""
    from .tasks import recover_stale

    if not recover_stale.get_backend().supports_defer:  # the immediate backend runs it now
        return
    due = run.started_at + STALE_MARGIN + timedelta(seconds=run.suite.wall_seconds + 1)
    recover_stale.using(run_after=due).enqueue()


def recover_stale_runs(now=None) -> int:
    """Re-queue (or end) runs whose worker died; return how many were found.

    A run may legitimately run for its time limit; past that and a margin, nobody is
    executing it any more.
    """
    now = now or timezone.now()
    count = 0
    candidates = (
        Run.objects.running().select_related("suite").filter(started_at__lt=now - STALE_MARGIN)
    )
    for run in candidates:
        if run.started_at > now - STALE_MARGIN - timedelta(seconds=run.suite.wall_seconds):
            continue
        with transaction.atomic():
            if run.attempts >= MAX_ATTEMPTS:
                changed = Run.objects.filter(
                    pk=run.pk, status=RunStatus.RUNNING, started_at=run.started_at
                ).update(
                    status=RunStatus.SANDBOX_ERROR,
                    finished_at=now,
                    message=WORKER_LOST,
                )
            else:
                changed = Run.objects.filter(
                    pk=run.pk, status=RunStatus.RUNNING, started_at=run.started_at
                ).update(status=RunStatus.QUEUED, started_at=None, worker="")
                if changed:
                    _enqueue(run)
        count += changed
    return count


WORKER_LOST = (
    "The test run was interrupted on our side (the worker running it stopped) several "
    "times. Nothing is wrong with your code for this reason; your instructor can re-run it."
)
SANDBOX_FAILED = (
    "The tests could not be run on our side (the sandbox failed to start). Nothing is "
    "wrong with your code for this reason; your instructor can re-run it."
)
BUILD_FAILED = (
    "The tests could not be run: the packages your instructor's tests need could not be "
    "installed. Nothing is wrong with your code for this reason; your instructor can "
    "re-run it once the tests' environment is mended."
)


def execute_run(run_id: int, *, worker: str | None = None) -> str:
    """Claim and execute one run; return its final status ("" if another worker had it)."""
    worker = worker or worker_name()
    recover_stale_runs()
    run = claim(run_id, worker)
    if run is None:
        return ""
    _watch(run)
    suite = run.suite
    try:
        requirements = environments.clean_requirements(suite.requirements)
        key = environments.key_for(requirements)
        if suite.build_status == BuildStatus.FAILED and environments.ready(key) is None:
            # pip failed on these requirements already: the instructor fixes the suite.
            _finish_error(
                run,
                f"The suite's environment failed to build:\n{suite.build_log}",
                message=BUILD_FAILED,
            )
            return RunStatus.SANDBOX_ERROR
        environment, _ = environments.ensure(key, requirements)
        tests = suite_files(suite)
        with tempfile.TemporaryDirectory(dir=_scratch()) as folder:
            archive = Path(folder) / "submission.zip"
            with run.submission.archive.open("rb") as source, open(archive, "wb") as out:
                shutil.copyfileobj(source, out)
            outcome = sandbox.run(
                environment=environment.path,
                base_prefix=environment.base_prefix,
                suite_dir=tests,
                archive_bytes_path=archive,
                limits=limits_for(suite),
                uid=sandbox_uid(run),
                settings_module=suite.settings_module,
                scratch_root=_scratch(),
            )
    except (
        sandbox.SandboxUnavailable,
        environments.BuildFailed,
        ValidationError,
        OSError,
        zipfile.BadZipFile,
    ) as exc:
        logger.exception("Run %s could not be executed", run.pk)
        _finish_error(run, f"{type(exc).__name__}: {exc}")
        return RunStatus.SANDBOX_ERROR
    try:
        return record(run, outcome)
    except Exception as exc:  # noqa: BLE001 - a report we cannot store ends the run
        # Left "running", the run would be recovered as stale and re-run forever.
        logger.exception("Run %s could not be recorded", run.pk)
        _finish_error(run, f"{type(exc).__name__}: {exc}")
        return RunStatus.SANDBOX_ERROR


def _scratch() -> Path:
    path = environments.root() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def limits_for(suite: TestSuite) -> sandbox.Limits:
    return sandbox.Limits(
        wall_seconds=suite.wall_seconds,
        cpu_seconds=suite.wall_seconds,
        memory_mb=suite.memory_mb,
        processes=settings.AUTOGRADING_MAX_PROCESSES,
        file_mb=settings.AUTOGRADING_MAX_FILE_MB,
        disk_mb=settings.AUTOGRADING_DISK_MB,
        output_kb=settings.AUTOGRADING_OUTPUT_KB,
    )


def sandbox_uid(run: Run) -> int:
    """The unprivileged uid the sandbox runs as when started by root: one per run, so
    the process limit of one run never counts another's processes. Run ids repeat
    between databases, so each database's runs start at an offset of their own (two
    sites on one machine, the test suite's workers); ``sandbox.claimed_uid`` moves to
    the next free uid if another run holds this one all the same."""
    database = connection.settings_dict
    offset = zlib.crc32(f"{database['HOST']}:{database['PORT']}/{database['NAME']}".encode())
    return settings.AUTOGRADING_SANDBOX_UID_BASE + (offset + run.pk) % 1_000_000


def _finish_error(run: Run, detail: str, message: str = SANDBOX_FAILED) -> None:
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.SANDBOX_ERROR,
        finished_at=timezone.now(),
        message=message,
        output=_text(detail, len(detail))[-8000:],
    )


# Results --------------------------------------------------------------------------

MAX_RESULTS = 5_000  # results kept per run: more than any suite of ours has tests
MAX_COLLECT_ERRORS = 100  # modules that do not import: each a row, counted as a failure


@dataclass
class Parsed:
    status: str
    message: str
    results: list[TestResult]


def parse(run: Run, outcome: sandbox.Outcome, groups: list[TestGroup]) -> Parsed:
    """Turn the sandbox's events into test results, a run status and a message.

    Results count only for the tests pytest collected (the launcher lists them when
    collection ends), at most MAX_RESULTS: the submitted code can write to the report
    too, and made-up ids diluted a group's failures (200 invented passes: 9.90 of 10
    points for two failed tests) or stored tens of thousands of rows. This stops stray
    or careless writes, not code written against the launcher: it runs in the tests'
    process and can send a list of its own first (docs/autograding.md, "What the
    sandbox does not do"). Collection errors are at most MAX_COLLECT_ERRORS.
    """
    suite = run.suite
    results: dict[str, TestResult] = {}
    collect_errors: list[str] = []
    running: str | None = None
    known: set[str] | None = None  # the collected tests' ids; None: never listed
    collected: list[str] = []
    listed = (outcome.first("collected") or {}).get("nodeids")
    if isinstance(listed, list):
        collected = [_text(nodeid, 500) for nodeid in listed if isinstance(nodeid, str)]
        known = set(collected)

    def a_test(nodeid: str) -> bool:
        return known is None or nodeid in known

    def not_run() -> None:
        # Collected, never reached: they count as not passed. Left out, a run stopped
        # after one pass in a group of six scored it whole (a hang was worth more than
        # failing the rest honestly).
        for nodeid in collected:
            result(nodeid, Outcome.SKIPPED, output=f"{NOT_RUN}the tests were stopped before it.")

    server_paths = _server_paths(suite)

    def result(nodeid: str, outcome_: str, duration: float = 0.0, output: str = "") -> None:
        nodeid = _text(nodeid, 500)
        # A test's first result stands: code taking over the report after a test
        # failed turned its failure into a pass.
        if nodeid in results or len(results) >= MAX_RESULTS:
            return
        results[nodeid] = TestResult(
            run=run,
            order=len(results),
            nodeid=nodeid,
            group=suite.group_for(nodeid, groups),
            outcome=outcome_ if outcome_ in Outcome.values else Outcome.ERROR,
            duration=_number(duration),
            output=_without(server_paths, _text(output, 8192)),
        )

    for event in outcome.events:
        kind = event.get("e")
        if kind == "start":
            nodeid = _text(event.get("nodeid", ""), 500)
            running = nodeid if a_test(nodeid) else running
        elif kind == "result":
            nodeid = _text(event.get("nodeid", "?"), 500)
            if not a_test(nodeid):
                continue
            result(nodeid, event.get("outcome", ""), event.get("duration", 0),
                   event.get("output", ""))  # fmt: skip
            running = None
        elif kind == "collect_error":
            nodeid = _text(event.get("nodeid", ""), 500)
            if len(collect_errors) >= MAX_COLLECT_ERRORS:
                continue
            collect_errors.append(nodeid)
            result(nodeid, Outcome.ERROR, output=event.get("message", ""))

    end = outcome.first("end")
    # The launcher says "project" once the archive is unpacked, before any of its code
    # runs: an unpack error after that was written by the submission (probe 30).
    unpack_error = outcome.first("unpack_error") if outcome.first("project") is None else None
    if not outcome.started and not outcome.timed_out:
        return Parsed(RunStatus.SANDBOX_ERROR, SANDBOX_FAILED, list(results.values()))
    if outcome.memory_exceeded:
        message = (
            f"The tests were stopped when they used more than {suite.memory_mb} MB of "
            "memory together (the memory limit, for all the processes of the run)."
        )
        if running:
            message += f" {running} was running."
            result(running, Outcome.ERROR, output=f"{STOPPED_HERE}the run hit its memory limit.")
        not_run()
        return Parsed(RunStatus.FAILED, message, list(results.values()))
    if outcome.timed_out or (end is None and outcome.cpu_limited):
        why = (
            f"after {suite.wall_seconds} s (the time limit)"
            if outcome.timed_out
            else "when they used up their CPU time"
        )
        message = f"The tests were stopped {why}."
        flood = _too_much_output(results.values())
        if running:
            # Printing past the file size limit takes time too: said first when it is
            # what the other tests hit (probe 103: "an endless loop" alone misled).
            cause = "print() in a long loop, " if flood else ""
            message += f" {running} was running: look for {cause}an endless loop or a wait."
            result(running, Outcome.ERROR, output=f"{STOPPED_HERE}the run hit its time limit.")
        elif listed is None and outcome.first("project") is not None:
            # Unpacked, never collected: the time went in importing (probe 103: a loop
            # at a module's top level was said with no hint of where).
            message += (
                " They were still loading (importing your code and the tests): look for "
                "code at the top level of a module that loops or waits (a while loop, an "
                "input(), a server started), and put it in a function."
            )
        not_run()
        message += flood
        return Parsed(RunStatus.TIMED_OUT, message, list(results.values()))
    if unpack_error is not None:
        message = (
            "Your archive could not be unpacked for testing (it is larger than the test "
            f"sandbox allows, or damaged): {unpack_error.get('message', '')}"
        )
        return Parsed(RunStatus.FAILED, message[:2000], [])
    start_error = outcome.first("start_error")
    if end is None and start_error is not None:
        error = _text(start_error.get("message", ""), 1500)
        message = "The tests could not start: " + (
            _limit_hit(error, suite)
            or "your project does not load (often its Django settings: a syntax error, or "
            "an app in INSTALLED_APPS the tests' environment does not have)"
        )
        message += ". The error: " + error
        return Parsed(RunStatus.FAILED, message, list(results.values()))
    if end is None:
        message = (
            f"The test process stopped unexpectedly (exit status {outcome.returncode})"
            + (f" during {running}" if running else "")
            + ": code that exits the interpreter, or crashes it, stops the tests."
        )
        if running:
            result(running, Outcome.ERROR, output="The test process stopped during this test.")
        not_run()
        return Parsed(RunStatus.FAILED, message, list(results.values()))
    values = list(results.values())
    if broken := _suite_file_broken(suite, values, collect_errors):
        message = (
            f"The tests themselves could not be loaded: {broken}. This is not your code: "
            "your instructor sees this run on the test queue and can run it again once "
            "the tests are mended."
        )
        return Parsed(RunStatus.SANDBOX_ERROR, message, values)
    if collect_errors:
        names = ", ".join(collect_errors[:3])
        message = (
            f"Some tests could not be loaded ({names}): usually your code does not "
            "import (a missing module or file, a syntax error). See the errors below."
        ) + _missing_modules_hint(suite, values, collect_errors)
        return Parsed(RunStatus.FAILED, message, values)
    if not values:
        return Parsed(RunStatus.FAILED, "No tests ran.", values)
    bad = [r for r in values if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
    skipped = [r for r in values if r.outcome == Outcome.SKIPPED]
    if bad:
        message = f"{len(bad)} of {len(values)} tests did not pass"
        message += _and_skipped(skipped) + "." + _too_much_output(bad)
        return Parsed(RunStatus.FAILED, message, values)
    if len(skipped) == len(values):
        # Nothing ran: usually the code the tests need is not where they look for it.
        which = "The only test was" if len(values) == 1 else f"All {len(values)} tests were"
        message = (
            f"{which} skipped: none of them ran, so none passed. "
            "The reasons are in the output below."
        )
        return Parsed(RunStatus.FAILED, message, values)
    if skipped:
        message = f"{len(values) - len(skipped)} of {len(values)} tests passed"
        return Parsed(RunStatus.PASSED, message + _and_skipped(skipped) + ".", values)
    return Parsed(RunStatus.PASSED, f"All {len(values)} tests passed.", values)


def _server_paths(suite: TestSuite) -> list[tuple[str, str]]:
    """Where the server keeps the tests' environment and its Python, and what a student
    reads instead: tracebacks named them, 82 lines of server folders in one run's
    output (probe 69)."""
    paths = []
    if suite.environment_path:
        paths.append((suite.environment_path.rstrip("/"), "<environment>"))
    prefix = str(Path(environments.python()).resolve().parent.parent)
    if prefix not in ("/", "/usr"):  # a system Python's own folders say nothing of ours
        paths.append((prefix, "<python>"))
    return paths


def _without(paths: list[tuple[str, str]], text: str) -> str:
    for path, name in paths:
        text = text.replace(path, name)
    return text


_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([A-Za-z_][\w.]{0,99})'")


def _missing_modules_hint(
    suite: TestSuite, values: list[TestResult], collect_errors: list[str]
) -> str:
    """What a student is told of modules the tests ask for that nobody provides: their
    project's, or a package the instructor's tests need installed (probe 69: a test file
    importing ``requests``, missing from the suite's requirements, read as the student's
    fault). Only words: the report is the submission's to write."""
    folder = suite_files(suite)
    missing = set()
    for result in values:
        if result.nodeid in collect_errors:
            for name in _NO_MODULE.findall(result.output):
                top = name.split(".")[0]
                if not (folder / top).exists() and not (folder / f"{top}.py").exists():
                    missing.add(top)
    if not missing:
        return ""
    names = ", ".join(f"“{name}”" for name in sorted(missing)[:3])
    return (
        f" The tests ask for {names}: if your project is not meant to provide "
        f"{'it' if len(missing) == 1 else 'them'}, tell your instructor, whose tests may "
        "need it installed."
    )


def _too_much_output(results: Iterable[TestResult]) -> str:
    """A sentence for tests that failed on the file size limit, which a lot of printing
    reaches (pytest keeps what is printed in a file): their "OSError: [Errno 27] File too
    large" on a print() pointed at the line, not the cause (probe 103)."""
    if not any(_FILE_TOO_LARGE in result.output for result in results):
        return ""
    return (
        f" Your code wrote more than a file may hold ({settings.AUTOGRADING_MAX_FILE_MB} "
        "MB, the file size limit), which is what “File too large” means: what is printed "
        "is kept in a file, so print less (no print() in a long loop); printing that "
        "much also takes time."
    )


_FILE_TOO_LARGE = "[Errno 27]"


def _limit_hit(error: str, suite: TestSuite) -> str:
    """Say which of the sandbox's limits ERROR (an exception, as reported) is, if one:
    "File too large" and "MemoryError" read as a broken project."""
    if error.startswith("MemoryError"):
        return (
            f"your project asked for more memory than one process may use ({suite.memory_mb} "
            "MB, the memory limit) while it was loading"
        )
    if _FILE_TOO_LARGE in error or "File too large" in error:
        return (
            "your project wrote more than a file may hold "
            f"({settings.AUTOGRADING_MAX_FILE_MB} MB, the file size limit) while it was "
            "loading: a lot of printed output is kept in a file, so print less"
        )
    return ""


# A syntax error located in a file of the suite (mounted at /suite), as pytest reports
# a module it could not import. One in the submission names a path under /work.
_SUITE_SYNTAX_ERROR = re.compile(
    r'File "/suite/([^"]+)", line (\d+)(?:\n.*){0,4}?\n\S*\s*'
    r"(SyntaxError|IndentationError|TabError)"
)


def _suite_file_broken(
    suite: TestSuite, values: list[TestResult], collect_errors: list[str]
) -> str:
    """Return which file of the suite does not compile, and where, if one does not:
    the run says so instead of blaming the student's code (and pre-fills nothing).

    Only if the suite's own copy here fails to compile too: the report is written in the
    submission's process, and one made-up line made a student's run "not your code".
    """
    for result in values:
        if result.nodeid in collect_errors:
            if found := _SUITE_SYNTAX_ERROR.search(result.output):
                path, line, error = found.groups()
                if _compiles(suite, path):
                    continue
                return f"{path} has a {error} at line {line}"
    return ""


def _compiles(suite: TestSuite, path: str) -> bool:
    """Whether PATH of SUITE's files compiles here (a path outside them, or no file, is
    no file of the suite that fails to)."""
    folder = suite_files(suite).resolve()
    try:
        file = (folder / path).resolve()
        if not file.is_relative_to(folder) or not file.is_file():
            return True
        source = file.read_bytes()
    except (OSError, ValueError):
        # A path no file system takes (probe 51: 400 characters written to the report
        # made the run a "sandbox error"): no file of the suite.
        return True
    try:
        compile(source, str(file), "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _and_skipped(skipped: list) -> str:
    return f"; {len(skipped)} skipped (they count as not passed)" if skipped else ""


# What the submitted code writes reaches these (its tests' names, output, durations,
# and the report the runner writes, which the code can write to as well).
_LONGEST_DURATION = 24 * 60 * 60.0


def _number(value) -> float:
    """A duration in seconds: JSON's NaN and Infinity and nonsense become 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(number, _LONGEST_DURATION) if math.isfinite(number) and number > 0 else 0.0


# Terminal codes (colours, titles) a test's output carries: on a page they showed as
# "[31m...[0m". Text-reversing characters could make a grader read output backwards.
_TERMINAL_CODES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])|\x1b"
)
_TEXT_REVERSING = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _text(value, limit: int) -> str:
    """Text to store: no NUL (PostgreSQL refuses it in text), no terminal codes, no
    text-reversing character (shown as U+FFFD), at most LIMIT characters."""
    text = _TERMINAL_CODES.sub("", str(value).replace("\x00", ""))
    return _TEXT_REVERSING.sub("\ufffd", text)[:limit]


def group_scores(groups: list[TestGroup], results: list[TestResult]) -> dict[int, Decimal]:
    """Return {group id: points earned}: each group's points times its share of passes.

    A group holding a test file that did not import earns nothing: its tests were never
    counted, and as one failure among a few it earned more for code left out than for
    code written with a bug (probe 70).
    """
    earned = {}
    for group in groups:
        mine = [r for r in results if r.group_id == group.pk]
        passed = sum(1 for r in mine if r.outcome == Outcome.PASSED)
        share = Decimal(passed) / Decimal(len(mine)) if mine else Decimal(0)
        if any(r.outcome == Outcome.ERROR and "::" not in r.nodeid for r in mine):
            share = Decimal(0)  # a module's collection error: its nodeid names no test
        earned[group.pk] = (group.points * share).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return earned


def record(run: Run, outcome: sandbox.Outcome) -> str:
    """Store the outcome of RUN, its results and score, and pre-fill linked criteria."""
    groups = list(run.suite.groups.all())
    parsed = parse(run, outcome, groups)
    for item in parsed.results:
        item.group_id = item.group.pk if item.group else None
    earned = group_scores(groups, parsed.results)
    output = _text(outcome.output, len(outcome.output))
    if outcome.output_truncated:
        # The cap in bytes of what the run wrote, not the length of the kept text once
        # decoded (bytes that are not UTF-8 take three as a replacement character).
        output += f"\n... (output cut at {settings.AUTOGRADING_OUTPUT_KB * 1024:,} bytes)"
    with transaction.atomic():
        # The suite as this run was claimed with (run.suite, read then): replaced while
        # it ran, its groups would score tests the new one does not hold. Run it again.
        current = (
            TestSuite.objects.select_for_update().filter(pk=run.suite_id).values_list("sha256")
        )
        if [(run.suite.sha256,)] != list(current):
            again = Run.objects.filter(
                pk=run.pk, status=RunStatus.RUNNING, worker=run.worker
            ).update(
                status=RunStatus.QUEUED, started_at=None, worker="", attempts=F("attempts") - 1
            )
            if again:
                _enqueue(run)
            return RunStatus.QUEUED if again else ""
        # Only if the run is still ours: a stale-run recovery may have re-queued it.
        updated = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, worker=run.worker).update(
            status=parsed.status,
            finished_at=timezone.now(),
            duration=round(outcome.duration, 3),
            tests_total=len(parsed.results),
            tests_passed=sum(1 for r in parsed.results if r.outcome == Outcome.PASSED),
            score=sum(earned.values(), Decimal(0)),
            max_score=sum((g.points for g in groups), Decimal(0)),
            message=parsed.message,
            output=output,
        )
        if not updated:
            return ""
        TestResult.objects.bulk_create(parsed.results)
        run.refresh_from_db()
        if run.status not in (RunStatus.SANDBOX_ERROR,):
            prefill_for_run(run, groups=groups, earned=earned)
    return parsed.status


# Pre-filled rubric points ------------------------------------------------------------


def criterion_points(groups: list[TestGroup], earned: dict[int, Decimal]) -> dict[int, Decimal]:
    """Return {criterion id: points}: its linked groups' share of points, scaled to it."""
    linked: dict[int, list[TestGroup]] = {}
    for group in groups:
        if group.criterion_id:
            linked.setdefault(group.criterion_id, []).append(group)
    points = {}
    for criterion_id, mine in linked.items():
        possible = sum((g.points for g in mine), Decimal(0))
        got = sum((earned.get(g.pk, Decimal(0)) for g in mine), Decimal(0))
        criterion = mine[0].criterion
        share = got / possible if possible else Decimal(0)
        points[criterion_id] = (criterion.max_points * share).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    return points


def prefill_for_run(run: Run, *, groups=None, earned=None) -> int:
    """Pre-fill the linked criteria of the review grading RUN's version; return how many.

    Only scores nobody has typed are filled: an empty score, or one still holding the
    points an earlier run filled in. A grader's own points are never replaced.
    """
    review = (
        Review.objects.filter(group_id=run.submission.group_id)
        .exclude(status=ReviewStatus.COMPLETED)
        .first()
    )
    if review is None:
        return 0
    graded = review.submission_id
    if review.status == ReviewStatus.TODO:
        latest = run.submission.group.submissions.order_by("-version").first()
        graded = latest.pk if latest else graded
    if graded != run.submission_id:
        return 0
    return prefill_review(review, run, groups=groups, earned=earned)


def prefill_review(review: Review, run: Run, *, groups=None, earned=None) -> int:
    if groups is None:
        groups = list(run.suite.groups.select_related("criterion"))
    if earned is None:
        earned = group_scores(groups, list(run.results.all()))
    points = criterion_points(groups, earned)
    filled = 0
    with transaction.atomic():
        # Under the project's lock, as every grading write: a grader completing the
        # review, or the release, lands before (and the review is left alone) or after.
        ProjectAssignment.objects.lock(review.group.assignment_id)
        review = (
            Review.objects.select_for_update(of=("self",))
            .filter(pk=review.pk)
            .exclude(status=ReviewStatus.COMPLETED)
            .exclude(group__assignment__grade_release__isnull=False)
            .first()
        )
        if review is None:
            return 0
        for criterion_id, value in points.items():
            score = (
                CriterionScore.objects.select_for_update()
                .filter(review=review, criterion_id=criterion_id)
                .first()
            )
            previous = getattr(score, "prefill", None) if score else None
            if score is not None and score.points is not None:
                if previous is None or previous.points != score.points:
                    continue  # typed by a grader: theirs stands
            if score is None:
                score = CriterionScore(review=review, criterion_id=criterion_id)
            score.points = value
            score._change_reason = f"Pre-filled from autograding run #{run.pk}"
            score.save()
            PrefilledScore.objects.update_or_create(
                score=score, defaults={"run": run, "points": value}
            )
            filled += 1
        if filled:  # the review's total is the sum of its scores, as its saves keep it
            total = review.scores.aggregate(total=Sum("points"))["total"] or Decimal(0)
            review.total = total.quantize(Decimal("0.01"))
            review.save(update_fields=["total", "updated_at"])
    return filled


def prefill_new_review(review: Review) -> int:
    """Pre-fill a review created after its version was tested."""
    run = (
        Run.objects.finished()
        .filter(submission_id=review.submission_id)
        .exclude(status=RunStatus.SANDBOX_ERROR)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return 0
    return prefill_review(review, run)


def latest_runs(submission_ids: list[int]) -> dict[int, Run]:
    """Return {submission id: its latest run} in one query."""
    runs = {}
    for run in Run.objects.filter(submission_id__in=submission_ids).order_by("queued_at", "pk"):
        runs[run.submission_id] = run
    return runs


def queue_counts(runs) -> dict:
    """Return waiting/running counts and the last day's durations, for the queue page."""
    from django.db.models import Avg, Count, Max, Min

    since = timezone.now() - timedelta(hours=24)
    counts = runs.aggregate(
        waiting=Count("pk", filter=Q(status=RunStatus.QUEUED)),
        running=Count("pk", filter=Q(status=RunStatus.RUNNING)),
        oldest_waiting=Min("queued_at", filter=Q(status=RunStatus.QUEUED)),
    )
    counts.update(
        runs.finished()
        .filter(finished_at__gte=since)
        .aggregate(
            finished_24h=Count("pk"),
            average_seconds=Avg("duration"),
            longest_seconds=Max("duration"),
        )
    )
    return counts
