"""Autograding models: a test suite per assignment, its groups of tests, runs and results.

Dependencies go one way: autograding knows projects (submissions) and grading
(criteria, scores); neither knows autograding. Projects announce new versions with
the ``projects.signals.submission_created`` hook, and the pages show results through
template functions registered in coursesite/jinja2.py.
"""

from __future__ import annotations

import fnmatch
import re
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grading.models import Criterion, CriterionScore
from projects.models import ProjectAssignment, Submission


def suite_upload_to(instance: TestSuite, filename: str) -> str:
    return f"autograding/suites/{instance.assignment_id}/{uuid.uuid4().hex}.zip"


# A run waiting longer than this is said to be late on the student's page.
LONG_WAIT = timedelta(minutes=10)


class BuildStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for tests")
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class RunScope(models.TextChoices):
    EVERY = "every", _("Every version, as it is submitted")
    FINAL = "final", _("Only each group's final version")


class TestSuite(models.Model):
    """The instructor's tests for one assignment, and the environment they run in."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    assignment = models.OneToOneField(
        ProjectAssignment, on_delete=models.CASCADE, related_name="test_suite"
    )
    archive = models.FileField(
        _("tests (zip)"),
        upload_to=suite_upload_to,
        blank=True,
        help_text=_(
            "A zip of pytest files (test_*.py, conftest.py). A requirements.txt at its top "
            "fills the requirements below when they are empty."
        ),
    )
    archive_name = models.CharField(_("original file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    requirements = models.TextField(
        _("pip requirements"),
        blank=True,
        help_text=_(
            "One per line, e.g. requests>=2.31. pytest, pytest-django, Flask and Django are "
            "always installed."
        ),
    )
    settings_module = models.CharField(
        _("Django settings module"),
        max_length=200,
        blank=True,
        # Checked when saved: a path the runner cannot import failed every student's run.
        validators=[
            RegexValidator(
                r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z",
                _("Give the module as Python imports it, such as mysite.settings."),
            )
        ],
        help_text=_("For Django projects; read from the project's manage.py when empty."),
    )
    run_scope = models.CharField(
        _("run tests on"), max_length=8, choices=RunScope, default=RunScope.EVERY
    )
    wall_seconds = models.PositiveSmallIntegerField(
        _("time limit (s)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(900)],
        help_text=_("Wall-clock time for the whole run; CPU time is limited to the same."),
    )
    memory_mb = models.PositiveIntegerField(
        _("memory limit (MB)"),
        default=2048,
        validators=[MinValueValidator(256), MaxValueValidator(8192)],
    )
    is_active = models.BooleanField(
        _("run automatically"),
        default=True,
        help_text=_("Queue a run for each new version (instructors can always re-run)."),
    )
    env_key = models.CharField(max_length=64, blank=True, editable=False)
    build_status = models.CharField(
        _("environment"), max_length=10, choices=BuildStatus, default=BuildStatus.WAITING
    )
    build_log = models.TextField(_("build log"), blank=True, editable=False)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True, editable=False)
    environment_path = models.CharField(max_length=500, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assignment"]

    def __str__(self) -> str:
        return f"Tests of {self.assignment}"

    @property
    def can_run(self) -> bool:
        return bool(self.archive) and self.build_status == BuildStatus.READY

    def group_for(self, nodeid: str, groups: list[TestGroup]) -> TestGroup | None:
        """Return the first of GROUPS (in order) whose patterns match the test NODEID."""
        return next((group for group in groups if group.matches(nodeid)), None)


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("Visible to students")
    HIDDEN = "hidden", _("Hidden until grades are released")


class TestGroup(models.Model):
    """Tests picked by name patterns, worth POINTS, shown to students or not.

    A group earns its points in proportion to its tests that pass. A test that no
    group picks is hidden and worth nothing.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    suite = models.ForeignKey(TestSuite, on_delete=models.CASCADE, related_name="groups")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120)
    patterns = models.TextField(
        _("tests"),
        default="*",
        help_text=_(
            "One pattern per line, matched against pytest's test ids, e.g. "
            "test_api.py::* or *test_login*. The first group that matches a test gets it."
        ),
    )
    points = models.DecimalField(
        _("points"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(0)],
    )
    visibility = models.CharField(
        _("students see"),
        max_length=8,
        choices=Visibility,
        default=Visibility.VISIBLE,
        # Probe 51: said only in docs/autograding.md, where instructors setting it do not look.
        help_text=_(
            "Hidden tests keep their names and output from students until the release, "
            "but run inside the students' code: a submission can read their source and "
            "print it under a visible test. Hide what a test checks, not answers to keep "
            "secret."
        ),
    )
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="test_groups",
        verbose_name=_("rubric criterion"),
        help_text=_("Pre-fill this criterion's points from the group's tests."),
    )

    class Meta:
        ordering = ["suite", "order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        suite = getattr(self, "suite", None)
        if self.criterion_id and suite is not None and suite.assignment_id:
            if self.criterion.rubric.assignment_id != suite.assignment_id:
                raise ValidationError(
                    {"criterion": _("Pick a criterion of this project's rubric.")}
                )

    @property
    def is_hidden(self) -> bool:
        return self.visibility == Visibility.HIDDEN

    def pattern_list(self) -> list[str]:
        return [line.strip() for line in self.patterns.splitlines() if line.strip()]

    def matches(self, nodeid: str) -> bool:
        """Whether this group picks the test NODEID, or the test file NODEID stands for:
        a file that could not be loaded is reported by its path alone, and holds the tests
        of the patterns naming it ("test_calc.py::*" picks "test_calc.py"), whose group it
        is reported in (probe 103: it matched none, so it counted as a hidden test and the
        student read no error at all)."""
        for pattern in self.pattern_list():
            if fnmatch.fnmatchcase(nodeid, pattern):
                return True
            # Only a pattern that names its file: "*::test_style_*" picks tests by name in
            # any file, and took every file that did not load, whose error then zeroed
            # its group (probe 105).
            file_part = pattern.split("::", 1)[0]
            if "::" not in nodeid and "::" in pattern and not _WILDCARDS.search(file_part):
                if file_part == nodeid:
                    return True
        return False


_WILDCARDS = re.compile(r"[*?\[]")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")
    SANDBOX_ERROR = "error", _("Sandbox error")


FINISHED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.SANDBOX_ERROR)


class RunQuerySet(models.QuerySet):
    def waiting(self) -> RunQuerySet:
        return self.filter(status=RunStatus.QUEUED)

    def running(self) -> RunQuerySet:
        return self.filter(status=RunStatus.RUNNING)

    def finished(self) -> RunQuerySet:
        return self.filter(status__in=FINISHED)


class Run(models.Model):
    """One execution of a suite against one version; re-runs add rows, the last counts."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="autograde_runs"
    )
    suite = models.ForeignKey(TestSuite, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus, default=RunStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    duration = models.FloatField(_("sandbox seconds"), null=True, blank=True)
    tests_passed = models.PositiveIntegerField(default=0)
    tests_total = models.PositiveIntegerField(default=0)
    # Sums of the suite's groups' points (each at most 9,999.99): as a review's total.
    score = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    output = models.TextField(_("output"), blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "queued_at"], name="autograding_run_status")]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.submission}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def waiting_long(self) -> bool:
        """Whether the run has waited in the queue longer than runs usually do: no
        worker may be running (the student is told, rather than "Queued" forever)."""
        return self.status == RunStatus.QUEUED and timezone.now() - self.queued_at > LONG_WAIT

    @property
    def wait_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.started_at - self.queued_at).total_seconds()


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error")
    SKIPPED = "skipped", _("Skipped")


# What a result's output starts with when the run was stopped (by a limit) at it, or
# before it was reached (autograding.services.parse writes them).
STOPPED_HERE = "Stopped here: "
NOT_RUN = "Not run: "
# pytest's lines of the error that failed a test ("E       assert 1 == 2"), and among
# them the exception's own ("E   SyntaxError: expected ':'", after its location).
_PYTEST_ERROR_LINE = re.compile(r"^E +(\S.*)$", re.MULTILINE)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Failed)\b")
# pytest's sections of what a test printed ("----- Captured stdout call -----").
_CAPTURED_SECTION = re.compile(r"^-+ Captured ", re.MULTILINE)


class TestResult(models.Model):
    __test__ = False

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    order = models.PositiveIntegerField(default=0)
    nodeid = models.CharField(_("test"), max_length=500)
    group = models.ForeignKey(
        TestGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome)
    duration = models.FloatField(_("seconds"), default=0)
    output = models.TextField(_("output"), blank=True)

    class Meta:
        ordering = ["run", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.nodeid}: {self.outcome}"

    @property
    def is_hidden(self) -> bool:
        return self.group is None or self.group.is_hidden

    @property
    def file(self) -> str:
        """The test's file: results are listed file by file (pytest-django runs the
        database's tests first, and the files came back mixed: probe 103)."""
        return self.nodeid.split("::", 1)[0]

    @property
    def not_run(self) -> bool:
        return self.outcome == Outcome.SKIPPED and self.output.startswith(NOT_RUN)

    @property
    def stopped_here(self) -> bool:
        return self.outcome == Outcome.ERROR and self.output.startswith(STOPPED_HERE)

    @property
    def reason(self) -> str:
        """The first line of the error pytest reports for a failed test ("assert 2 == 3",
        "SyntaxError: expected ':'"), shown beside it, not only in its folded output."""
        if self.stopped_here:  # why, on its row too ("the run hit its time limit")
            return self.output.removeprefix(STOPPED_HERE).strip()
        if self.outcome not in (Outcome.FAILED, Outcome.ERROR):
            return ""
        # The traceback only: what the test printed follows it, and could print "E   …"
        # lines of its own (probe 107: a printed line became the grader's reason).
        traceback = _CAPTURED_SECTION.split(self.output, maxsplit=1)[0]
        lines = [line.strip() for line in _PYTEST_ERROR_LINE.findall(traceback)]
        if not lines:
            return ""
        # The last exception raised: one caught and another raised are both listed, the
        # one that failed the test last (probe 107: the caught KeyError was said).
        raised = [line for line in lines if _EXCEPTION_LINE.match(line)]
        line = raised[-1] if raised else lines[0]
        return line if len(line) <= 200 else line[:199] + "\N{HORIZONTAL ELLIPSIS}"


class PrefilledScore(models.Model):
    """The points a run suggested for a criterion score, kept beside what the grader set.

    The score's own history (simple_history) records each change with its author;
    this row says which points came from the tests, so the review page can show
    "pre-filled 8, changed by the grader to 6.5".
    """

    score = models.OneToOneField(CriterionScore, on_delete=models.CASCADE, related_name="prefill")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="prefills")
    points = models.DecimalField(_("points from the tests"), max_digits=6, decimal_places=2)
    filled_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["score"]

    def __str__(self) -> str:
        return f"{self.score.criterion}: {self.points} from run #{self.run_id}"

    @property
    def changed_by_grader(self) -> bool:
        return self.score.points != self.points
