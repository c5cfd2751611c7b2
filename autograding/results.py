"""What each person may read of test results, for the pages that show them.

The project page (students) and the review page (graders) belong to projects and
grading, which do not import autograding: they call these functions through Jinja
globals registered in coursesite/jinja2.py, and include this app's templates.

Students see their group's runs: visible tests in full (name, outcome, time, output),
hidden ones as counts until the assignment's grades are released, then in full.
Graders and instructors see every test of the version under review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from access import policy
from coursesite.prepared import prepared
from grading.models import GradeRelease, Review
from projects.models import Group, Submission

from .models import Outcome, PrefilledScore, Run, RunScope, TestResult, TestSuite


@dataclass
class VersionRun:
    submission: Submission
    run: Run | None


@dataclass
class StudentResults:
    suite: TestSuite
    versions: list[VersionRun]
    shown: VersionRun | None  # the latest version that has a run
    visible: list[TestResult] = field(default_factory=list)
    hidden_total: int = 0
    hidden_passed: int = 0
    released: bool = False
    hidden_shown: bool = False  # released, with hidden tests among the results shown
    visible_score: Decimal | None = None
    visible_max: Decimal | None = None
    message: str = ""  # the run's message, naming no hidden test before the release

    @property
    def latest_has_no_archive(self) -> bool:
        return bool(self.versions) and not self.versions[0].submission.archive

    @property
    def others(self) -> list[VersionRun]:
        """Every version but the one shown, newer ones included: listed as "Earlier
        versions", newer untested ones vanished and the shown one came twice (probe 69)."""
        return [v for v in self.versions if v is not self.shown]

    @property
    def final_only(self) -> bool:
        return self.suite.run_scope == RunScope.FINAL


def _without_hidden_names(message: str, hidden: list[str], visible: list[TestResult]) -> str:
    """Return the run's MESSAGE without the names of its HIDDEN tests (or files), which
    it gives when one timed out or could not be loaded; a student learns of them once
    the grades are released."""
    message = message or ""
    for name in sorted(hidden, key=len, reverse=True):
        if name and name in message:
            message = message.replace(f". {name} was running", ". A hidden test was running")
            message = message.replace(name, "a hidden test")
    if " See the errors below." in message and not any(
        result.outcome == Outcome.ERROR for result in visible
    ):
        message = message.replace(" See the errors below.", "")
    return message


def _latest_runs(submission_ids: list[int]) -> dict[int, Run]:
    runs: dict[int, Run] = {}
    for run in Run.objects.filter(submission_id__in=submission_ids).order_by("queued_at", "pk"):
        runs[run.submission_id] = run  # the last one wins
    return runs


@prepared
def _suite_of(assignment_id: int):
    return TestSuite.objects.filter(assignment_id=assignment_id).order_by("pk")[:1]


def for_student(
    group: Group | None, user, versions: list[Submission] | None = None
) -> StudentResults | None:
    """Return what USER (a member of GROUP) sees of GROUP's runs; None if nothing to show.

    VERSIONS, GROUP's submissions newest first, when the page has read them already.
    """
    if group is None:
        return None
    suites = _suite_of(assignment_id=group.assignment_id)
    if not suites:
        return None
    suite = suites[0]
    submissions = list(group.submissions.order_by("-version")) if versions is None else versions
    runs = _latest_runs([s.pk for s in submissions])
    versions = [VersionRun(s, runs.get(s.pk)) for s in submissions]
    shown = next((v for v in versions if v.run is not None), None)
    data = StudentResults(suite=suite, versions=versions, shown=shown)
    if shown is None or not policy.can(user, policy.VIEW, shown.run):
        data.shown = None
        return data
    data.released = GradeRelease.objects.filter(assignment_id=group.assignment_id).exists()
    results = list(shown.run.results.select_related("group"))
    visible_groups: dict[int, object] = {}
    hidden: list[str] = []
    for result in results:
        if result.is_hidden and not data.released:
            data.hidden_total += 1
            data.hidden_passed += result.outcome == Outcome.PASSED
            hidden.append(result.nodeid)
        else:
            data.hidden_shown |= result.is_hidden
            data.visible.append(result)
            # Once released the hidden groups' points count too: the summary said
            # "Visible tests: 11 of 16" beside the hidden tests shown (probe 118).
            if result.group is not None and (data.released or not result.group.is_hidden):
                visible_groups[result.group_id] = result.group
    data.message = _without_hidden_names(shown.run.message, hidden, data.visible)
    if visible_groups:
        from .services import group_scores

        earned = group_scores(list(visible_groups.values()), results)
        data.visible_score = sum(earned.values(), Decimal(0))
        data.visible_max = sum((g.points for g in visible_groups.values()), Decimal(0))
    return data


@dataclass
class Prefill:
    criterion: str
    suggested: Decimal
    current: Decimal | None

    @property
    def changed(self) -> bool:
        return self.current != self.suggested


@dataclass
class ReviewResults:
    suite: TestSuite
    submission: Submission
    run: Run | None
    results: list[TestResult]
    prefills: list[Prefill]
    can_rerun: bool


def for_review(review: Review, submission: Submission, user) -> ReviewResults | None:
    """Return the runs of the version a grader reviews; None if the project has no tests."""
    suites = _suite_of(assignment_id=review.group.assignment_id)
    if not suites:
        return None
    suite = suites[0]
    run = Run.objects.filter(submission=submission).order_by("-queued_at", "-pk").first()
    if run is not None and not policy.can(user, policy.VIEW, run):
        run = None
    results = list(run.results.select_related("group")) if run is not None else []
    prefills = [
        Prefill(p.score.criterion.title, p.points, p.score.points)
        for p in PrefilledScore.objects.filter(score__review=review).select_related(
            "score__criterion"
        )
    ]
    return ReviewResults(
        suite=suite,
        submission=submission,
        run=run,
        results=results,
        prefills=prefills,
        can_rerun=policy.can(user, policy.GRADE, submission),
    )


__all__ = ["for_review", "for_student"]
