"""Realistic projects through the whole path: submission, queue, worker, results, pages."""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
import zipfile
from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts.models import Role
from accounts.tests.factories import UserFactory
from autograding import environments, services
from autograding.models import BuildStatus, PrefilledScore, Run, RunStatus, TestSuite
from autograding.tasks import run_tests
from grading import services as grading_services
from grading.models import Criterion, CriterionScore, GradeRelease, Rubric
from grading.tests.factories import CriterionFactory
from lessons.models import Enrollment
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from projects.models import GroupMembership, Submission
from projects.tests.factories import GroupFactory

from .conftest import SAMPLES, World, run_now, zip_files, zip_folder

FLASK = SAMPLES / "flask_notes"
FLASK_GROUPS = (
    ("API", "test_api.py::*", "visible", 6),
    ("Validation", "test_validation.py::*", "hidden", 4),
)


def flask_project(tmp_path, *, broken: bool = False):
    """The Flask sample as a group hands it in; BROKEN drops the title length check."""
    project = tmp_path / "notes-project"
    shutil.copytree(FLASK / "project", project)
    if broken:
        code = project / "notes" / "__init__.py"
        text = code.read_text()
        text = text.replace('len(title) > app.config["MAX_TITLE"]', "False")
        code.write_text(text)
    return project


@pytest.mark.django_db
def test_a_realistic_flask_project_passes(world, tmp_path):
    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    run = run_now(world.submit(flask_project(tmp_path)))

    assert run.status == RunStatus.PASSED
    assert (run.tests_passed, run.tests_total) == (11, 11)
    assert (run.score, run.max_score) == (Decimal("10.00"), Decimal("10.00"))
    assert run.message == "All 11 tests passed."
    api = run.results.filter(group__name="API")
    assert api.count() == 5 and all(r.duration > 0 for r in api)


@pytest.mark.django_db
def test_skipped_tests_never_read_as_passed(world):
    """A submission the tests could not find (each test skips itself): it said "All 2
    tests passed", status passed, 0 points."""
    world.suite(
        {
            "test_app.py": (
                "import pytest\n"
                "def test_one():\n"
                "    assert pytest.importorskip('app').ONE == 1\n"
                "def test_two():\n"
                "    assert pytest.importorskip('app').TWO == 2\n"
            ),
            "test_extra.py": (
                "import pytest\n@pytest.mark.skip('later')\ndef test_three():\n    pass\n"
            ),
        }
    )
    run = run_now(world.submit({"elsewhere/main.py": "ONE = 1\n"}))
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("All 3 tests were skipped: none of them ran, so none passed.")
    assert run.tests_passed == 0

    run = run_now(world.submit({"app.py": "ONE = 1\nTWO = 2\n"}))
    assert run.status == RunStatus.PASSED
    assert run.message == "2 of 3 tests passed; 1 skipped (they count as not passed)."


@pytest.mark.django_db
def test_a_run_whose_suite_is_replaced_while_it_runs_runs_again_with_the_new_one(world):
    """Its results were scored with the new suite's groups (0 of 10 points, every result
    in no group)."""
    from autograding import sandbox
    from autograding.models import TestSuite

    world.suite({"test_old.py": "def test_old():\n    pass\n"})
    run = services.run_request(submission=world.submit({"app.py": ""}))
    claimed = services.claim(run.pk, "worker-a")
    # The instructor replaces the suite while the run executes.
    TestSuite.objects.filter(pk=claimed.suite_id).update(sha256="0" * 64)
    outcome = sandbox.Outcome(returncode=0, duration=0.1)
    assert services.record(claimed, outcome) == RunStatus.QUEUED
    run.refresh_from_db()
    assert (run.status, run.worker, run.attempts) == (RunStatus.QUEUED, "", 0)
    assert not run.results.exists()


@pytest.mark.django_db
def test_a_broken_flask_project_fails_with_the_failing_test(world, tmp_path):
    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    run = run_now(world.submit(flask_project(tmp_path, broken=True)))

    assert run.status == RunStatus.FAILED
    assert run.message == "1 of 11 tests did not pass."
    failed = run.results.get(outcome="failed")
    assert failed.nodeid == "test_validation.py::test_title_length_is_limited"
    assert "assert 201 == 400" in failed.output
    # The hidden group (6 tests) loses a sixth of its 4 points: 6 + 3.33.
    assert run.score == Decimal("9.33")


@pytest.mark.django_db
def test_students_see_visible_tests_and_hidden_counts_until_release(world, tmp_path):
    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    run_now(world.submit(flask_project(tmp_path, broken=True)))
    client = Client()
    client.force_login(world.student)

    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert "1 of 11 tests did not pass." in page
    assert "test_api.py::test_create_and_read" in page  # visible, in full
    assert "Hidden tests: 5 of 6 passed." in page
    assert "test_title_length_is_limited" not in page  # hidden: no name, no output
    assert "Visible tests: 6 of 6 points." in page

    GradeRelease.objects.create(assignment=world.assignment, released_at=timezone.now())
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert "test_validation.py::test_title_length_is_limited" in page
    assert "assert 201 == 400" in page
    assert "Hidden tests:" not in page
    # The points then count the hidden group too, as the grader's page does (probe 118:
    # "Visible tests: 6 of 6" beside the hidden tests shown).
    assert "Tests, hidden ones included: 9.33 of 10 points." in page


@pytest.mark.django_db
def test_another_group_sees_nothing_of_these_results(world, tmp_path):
    from projects.models import GroupMembership
    from projects.tests.factories import GroupFactory

    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    run_now(world.submit(flask_project(tmp_path)))
    other = UserFactory(username="other")
    EnrollmentFactory(user=other, course=world.course)
    group = GroupFactory(assignment=world.assignment, name="Others")
    GroupMembership.objects.create(group=group, assignment=world.assignment, student=other)
    client = Client()
    client.force_login(other)
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert "test_api.py" not in page
    assert "tests did not pass" not in page


@pytest.mark.django_db
def test_graders_see_every_test_and_prefilled_points_and_their_change_is_recorded(world, tmp_path):
    rubric = Rubric.objects.create(assignment=world.assignment)
    api = Criterion.objects.create(rubric=rubric, title="Works", max_points=Decimal("20"))
    style = Criterion.objects.create(rubric=rubric, title="Style", max_points=Decimal("5"))
    suite = world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    suite.groups.update(criterion=api)  # both groups count toward "Works"
    submission = world.submit(flask_project(tmp_path, broken=True))
    review = grading_services.grader_assign(
        group=world.group, grader=world.grader, close_hand_in=True
    )
    run = run_now(submission)

    # 9.33 of 10 points from the tests, scaled to the criterion's 20; "Style" left alone.
    score = CriterionScore.objects.get(review=review, criterion=api)
    assert score.points == Decimal("18.66")
    assert not CriterionScore.objects.filter(review=review, criterion=style).exists()
    assert PrefilledScore.objects.get(score=score).run == run
    assert score.history.get().history_change_reason == f"Pre-filled from autograding run #{run.pk}"

    client = Client()
    client.force_login(world.grader)
    url = reverse("grading:review", kwargs={"pk": review.pk})
    page = client.get(url).content.decode()
    assert "test_validation.py::test_title_length_is_limited" in page  # hidden ones too
    assert 'value="18.66"' in page
    assert "Works: 18.66 points pre-filled from the tests." in page

    response = client.post(
        url,
        {f"score_{api.pk}": "15", f"score_{style.pk}": "4", "overall_feedback": "", "save": "1"},
    )
    assert response.status_code == 302
    score.refresh_from_db()
    assert score.points == Decimal("15")
    latest = score.history.order_by("-history_date").first()
    assert (latest.points, latest.history_user) == (Decimal("15.00"), world.grader)
    assert PrefilledScore.objects.get(score=score).changed_by_grader
    page = client.get(url).content.decode()
    assert "Works: 18.66 points pre-filled from the tests; changed by the grader to 15." in page

    # A later run never replaces the grader's points.
    run_now(submission)
    score.refresh_from_db()
    assert score.points == Decimal("15")


@pytest.mark.django_db
def test_a_review_created_after_the_run_is_prefilled(
    world, tmp_path, django_capture_on_commit_callbacks
):
    rubric = Rubric.objects.create(assignment=world.assignment)
    works = Criterion.objects.create(rubric=rubric, title="Works", max_points=Decimal("10"))
    suite = world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    suite.groups.filter(name="API").update(criterion=works)
    run_now(world.submit(flask_project(tmp_path)))
    with django_capture_on_commit_callbacks(execute=True):
        review = grading_services.grader_assign(
            group=world.group, grader=world.grader, close_hand_in=True
        )
    assert review.scores.get(criterion=works).points == Decimal("10.00")


@pytest.mark.django_db(transaction=True)
def test_a_submitted_version_is_queued_and_run_by_the_worker(tmp_path, environment):
    world = World()
    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    client = Client()
    client.force_login(world.student)
    upload = SimpleUploadedFile(
        "notes.zip", zip_folder(flask_project(tmp_path)), content_type="application/zip"
    )
    url = reverse("projects:submit", args=[world.course.slug, world.assignment.slug])
    response = client.post(url, {"archive": upload})
    assert response.status_code == 302

    run = Run.objects.get()
    assert run.status == RunStatus.QUEUED  # the request only queued it
    assert DBTaskResult.objects.filter(status="READY", task_path__endswith="run_tests").count() == 1

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    run.refresh_from_db()
    assert run.status == RunStatus.PASSED
    assert run.worker and run.attempts == 1
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert "All 11 tests passed." in page


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_run(environment):
    world = World()
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    runs = [services.run_request(submission=world.submit({"app.py": ""})) for _ in range(4)]

    for run in runs:  # every run's task delivered twice, as a double click would
        run_tests.enqueue(run_id=run.pk)

    def work(name: str) -> None:
        try:
            Worker(
                queue_names=["default"], interval=0, batch=True, backend_name="default",
                startup_delay=False, max_tasks=None, worker_id=name, excluded_queue_names=[],
            ).run()  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    tasks = DBTaskResult.objects.filter(task_path__endswith="run_tests")
    assert tasks.filter(status="SUCCESSFUL").count() == 8
    for run in Run.objects.all():
        assert (run.status, run.attempts) == (RunStatus.PASSED, 1)
        assert run.results.count() == 1  # executed once: one set of results
    assert tasks.filter(return_value="").count() == 4  # duplicates found their run taken
    workers = {name for ids in tasks.values_list("worker_ids", flat=True) for name in ids}
    assert workers and workers <= {"worker-1", "worker-2"}


@pytest.mark.django_db(transaction=True)
def test_racing_claims_have_one_winner(environment):
    world = World()
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    run = services.run_request(submission=world.submit({"app.py": ""}))
    barrier = threading.Barrier(6)
    won = []

    def claim(name: str) -> None:
        try:
            barrier.wait()
            if services.claim(run.pk, name) is not None:
                won.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(won) == 1
    run.refresh_from_db()
    assert (run.status, run.worker, run.attempts) == (RunStatus.RUNNING, won[0], 1)


@pytest.mark.django_db
def test_a_crashed_worker_s_run_is_queued_again_then_ended(world):
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"}, wall_seconds=30)
    run = services.run_request(submission=world.submit({"app.py": ""}))
    assert services.claim(run.pk, "dead-worker") is not None
    # Within its time limit it is left alone.
    assert services.recover_stale_runs() == 0
    later = timezone.now() + timedelta(minutes=5)
    assert services.recover_stale_runs(now=later) == 1
    run.refresh_from_db()
    assert (run.status, run.worker) == (RunStatus.QUEUED, "")
    queued = DBTaskResult.objects.filter(status="READY", task_path__endswith="run_tests")
    assert queued.count() == 2  # a new task for it

    assert services.claim(run.pk, "dead-again") is not None
    assert services.recover_stale_runs(now=later + timedelta(minutes=5)) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SANDBOX_ERROR
    assert "Nothing is wrong with your code" in run.message


@pytest.mark.django_db
def test_instructors_rerun_a_version_and_a_whole_project(world, tmp_path):
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    first = world.submit({"app.py": ""})
    latest = world.submit({"app.py": ""})
    client = Client()
    client.force_login(world.instructor)
    response = client.post(reverse("autograding:rerun_submission", args=[first.pk]))
    assert response.status_code == 302
    assert first.autograde_runs.count() == 1
    url = reverse("autograding:rerun_assignment", args=[world.assignment.pk])
    client.post(url, {"scope": "final"})
    assert latest.autograde_runs.count() == 1 and first.autograde_runs.count() == 1
    # Every version, asked twice (a double click): the runs still waiting are kept, not
    # queued again (each version twice was hours of a worker on a large course).
    for _ in range(2):
        response = client.post(url, {"scope": "every"}, follow=True)
        assert "2 versions queued." in response.content.decode()
    assert latest.autograde_runs.count() == 1 and first.autograde_runs.count() == 1
    page = client.get(reverse("autograding:queue")).content.decode()
    assert 'id="count-waiting">2<' in page
    # Once a version's run has ended, asking again queues a new one.
    Run.objects.filter(submission=first).update(status=RunStatus.PASSED)
    client.post(url, {"scope": "every"})
    assert first.autograde_runs.count() == 2 and latest.autograde_runs.count() == 1

    client.force_login(world.student)
    assert client.post(url, {"scope": "every"}).status_code == 403
    assert Run.objects.count() == 3


@pytest.mark.django_db
def test_the_groups_grader_reruns_the_version_they_grade_and_no_other_grader_does(world):
    """A sandbox error or a flaky test left a grader waiting for an instructor: the
    review's own grader runs the tests again from the review page."""
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    version = world.submit({"app.py": ""})
    CriterionFactory(rubric=grading_services.rubric_for(world.assignment))
    review = grading_services.grader_assign(
        group=world.group, grader=world.grader, close_hand_in=True
    )
    url = reverse("autograding:rerun_submission", args=[version.pk])
    page = review.get_absolute_url()
    other = UserFactory(username="other-grader")
    EnrollmentFactory(user=other, course=world.course, role=Role.GRADER)
    elsewhere = UserFactory(username="grader-of-b")
    EnrollmentFactory(user=elsewhere, course=CourseFactory(), role=Role.GRADER)
    client = Client()
    # Another grader of the course and one of course B do not see the version (404);
    # its student does, and may not run it again (403).
    for outsider, refusal in ((other, 404), (elsewhere, 404), (world.student, 403)):
        client.force_login(outsider)
        assert client.post(url, {"next": page}).status_code == refusal, outsider
    assert not version.autograde_runs.exists()

    client.force_login(world.grader)
    html = client.get(page).content.decode()
    assert 'id="autograde-rerun"' in html
    response = client.post(url, {"next": page}, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert f"Version {version.version} is queued for testing." in response.content.decode()
    assert version.autograde_runs.get().requested_by == world.grader

    # Removed from the course, the review still theirs: refused, the page too.
    Enrollment.objects.filter(user=world.grader, course=world.course).delete()
    assert client.post(url, {"next": page}).status_code == 404
    assert client.get(page).status_code == 404
    assert version.autograde_runs.count() == 1


@pytest.mark.django_db
def test_a_rerun_goes_back_to_the_page_it_came_from_and_nowhere_else(world):
    """``next`` is followed when it is a path of this site; anything else (a view name,
    another site, garbage) leads to the queue, after the run was queued (a 500 before)."""
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    version = world.submit({"app.py": ""})
    client = Client()
    client.force_login(world.instructor)
    url = reverse("autograding:rerun_submission", args=[version.pk])
    queue = reverse("autograding:queue")
    hub = reverse("grading:assignment_hub", args=[world.assignment.pk])
    for given, lands in [
        (hub, hub),
        ("NaN", queue),
        ("grading", queue),
        ("<script>", queue),
        ("a\x00b", queue),
        ("//evil.example/", queue),
        ("https://evil.example/", queue),
        ("/\x00", queue),
    ]:
        response = client.post(url, {"next": given})
        assert (response.status_code, response["Location"]) == (302, lands), given
    assert version.autograde_runs.count() == 1  # asked eight times: one run waits
    every = client.post(
        reverse("autograding:rerun_assignment", args=[world.assignment.pk]),
        {"scope": "every", "next": "grading"},
    )
    assert (every.status_code, every["Location"]) == (302, queue)


@pytest.mark.django_db
def test_a_run_leaves_a_check_in_the_queue_that_recovers_it_if_its_worker_dies(world):
    """The check outlives the worker (it is a row of the task queue): a run whose worker
    died is put back when its time is up, not when some other run happens to start."""
    from autograding.tasks import recover_stale

    world.suite({"test_ok.py": "def test_ok():\n    pass\n"}, wall_seconds=30)
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.PASSED
    check = DBTaskResult.objects.get(status="READY", task_path__endswith="recover_stale")
    due = run.started_at + services.STALE_MARGIN + timedelta(seconds=31)
    assert check.run_after == due
    # A worker took the next run and died: the check, when due, puts the run back.
    crashed = services.run_request(submission=world.submit({"app.py": "x = 1\n"}))
    assert services.claim(crashed.pk, "dead-worker") is not None
    assert recover_stale.call() == 0  # within its time: left alone
    Run.objects.filter(pk=crashed.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    assert recover_stale.call() == 1
    crashed.refresh_from_db()
    assert (crashed.status, crashed.worker) == (RunStatus.QUEUED, "")


@pytest.mark.django_db
def test_final_only_suites_wait_for_the_deadline(world, django_capture_on_commit_callbacks):
    from projects import services as project_services

    world.suite({"test_ok.py": "def test_ok():\n    pass\n"}, run_scope="final")
    upload = SimpleUploadedFile("p.zip", b"", content_type="application/zip")
    from .conftest import zip_files

    upload = SimpleUploadedFile("p.zip", zip_files({"app.py": ""}))
    with django_capture_on_commit_callbacks(execute=True):
        project_services.submission_create(group=world.group, student=world.student, archive=upload)
    assert not Run.objects.exists()
    task = DBTaskResult.objects.get(status="READY", task_path__endswith="run_final_version")
    assert task.run_after == world.assignment.due_at

    # At the deadline (moved into the past here), the final version is queued, once.
    world.assignment.due_at = timezone.now() - timedelta(minutes=1)
    world.assignment.opens_at = timezone.now() - timedelta(days=2)
    world.assignment.save()
    assert services.final_version_run(world.group.pk) is not None
    assert services.final_version_run(world.group.pk) is None
    assert Run.objects.get().submission.version == 1


@pytest.mark.django_db
def test_final_versions_are_the_latest_and_the_one_graded(world):
    """New tests re-ran each group's latest version; its review grading an earlier one kept
    the old tests' results and pre-fills (probe 69)."""
    from projects.models import Group

    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    first, second, third = (world.submit({"app.py": f"X = {n}\n"}) for n in (1, 2, 3))
    queued = services.runs_request_for_assignment(assignment=world.assignment, final_only=True)
    assert [run.submission.version for run in queued] == [3]
    Group.objects.filter(pk=world.group.pk).update(graded_submission=second)
    Run.objects.update(status=RunStatus.PASSED)  # done: a new request queues anew
    queued = services.runs_request_for_assignment(assignment=world.assignment, final_only=True)
    assert sorted(run.submission.version for run in queued) == [2, 3]
    assert first.pk not in {run.submission_id for run in queued}


@pytest.mark.django_db
def test_requirements_are_checked_with_a_clear_message():
    with pytest.raises(ValidationError) as caught:
        environments.clean_requirements("requests>=2\n--index-url https://evil.example/\nflask>>>2")
    messages = caught.value.messages
    assert any("Line 2" in m and "no pip options or URLs" in m for m in messages)
    assert any("Line 3" in m and "not a requirement" in m for m in messages)
    assert environments.clean_requirements("# tools\nrequests>=2.31\nFlask-Login\n") == [
        "Flask-Login",
        "requests>=2.31",
    ]


@pytest.mark.django_db
def test_a_suite_saved_in_the_back_office_queues_its_build(
    world, django_capture_on_commit_callbacks
):
    from .conftest import suite_add_form, zip_files

    client = Client()
    client.force_login(world.instructor)
    archive = SimpleUploadedFile(
        "tests.zip",
        zip_files(
            {"tests/test_ok.py": "def test_ok():\n    pass\n", "tests/requirements.txt": "six\n"}
        ),
    )
    data = suite_add_form(world, archive)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:autograding_testsuite_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    suite = world.assignment.test_suite
    assert suite.requirements.strip() == "six"  # read from the zip's requirements.txt
    assert suite.build_status == BuildStatus.QUEUED
    assert DBTaskResult.objects.filter(task_path__endswith="build_environment").count() == 1

    bad = SimpleUploadedFile("t.zip", zip_files({"notes.txt": "no tests here"}))
    data.update(archive=bad, assignment=world.assignment.pk)
    response = client.post(reverse("admin:autograding_testsuite_change", args=[suite.pk]), data)
    assert "The zip holds no test file" in response.content.decode()

    # Probe 103: a test file that does not compile was accepted, and every student's
    # next run ended as an error of the tests; a conftest.py counts too.
    for name, source, said in (
        ("tests/test_ok.py", "def test_big(:\n    pass\n", "tests/test_ok.py, line 1"),
        ("tests/conftest.py", "import os\n  x = 1\n", "tests/conftest.py, line 2"),
        ("tests/test_nul.py", "x = 1\x00\n", "tests/test_nul.py does not compile"),
    ):
        files = {"tests/test_ok.py": "def test_ok():\n    pass\n", name: source}
        data.update(archive=SimpleUploadedFile("t.zip", zip_files(files)))
        response = client.post(reverse("admin:autograding_testsuite_change", args=[suite.pk]), data)
        assert response.status_code == 200
        page = unescape(response.content.decode())
        assert said in page, re.findall(r"errorlist[^>]*>(.*?)</ul>", page, re.S)
        assert "every student's run would end as an error of the tests" in page
    suite.refresh_from_db()
    assert suite.requirements.strip() == "six"  # the stored suite is kept

    # What pytest never imports may be anything (probe 105): macOS's copies of the
    # files, a sample of broken code, a Python 2 script.
    files = {
        "tests/test_ok.py": "def test_ok():\n    pass\n",
        "__MACOSX/tests/._test_ok.py": "\x00\x05\x16\x07binary",
        "tests/._conftest.py": "\x00binary",
        "tests/fixtures/broken.py": "def broken(:\n",
        "tests/tools/old.py": "print 'hello'\n",
    }
    data.update(archive=SimpleUploadedFile("t.zip", zip_files(files)))
    response = client.post(reverse("admin:autograding_testsuite_change", args=[suite.pk]), data)
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )


@pytest.mark.django_db
def test_a_realistic_django_project_passes_with_its_settings_found(world):
    world.suite(SAMPLES / "django_blog" / "tests")
    run = run_now(world.submit(SAMPLES / "django_blog" / "project"))
    assert run.status == RunStatus.PASSED, run.results.values_list("nodeid", "output")
    assert run.tests_total == 10


@pytest.mark.django_db
def test_a_bundle_folder_becomes_the_suite(world, tmp_path, django_capture_on_commit_callbacks):
    folder = tmp_path / "tests"
    shutil.copytree(FLASK / "tests", folder)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    call_command(
        "autograde_suite", world.course.slug, world.assignment.slug, str(folder), "--build",
        verbosity=0,
    )  # fmt: skip
    suite = world.assignment.test_suite
    assert suite.build_status == BuildStatus.READY
    with zipfile.ZipFile(suite.archive.open("rb")) as archive:
        assert sorted(archive.namelist()) == ["conftest.py", "test_api.py", "test_validation.py"]
    assert run_now(world.submit(flask_project(tmp_path))).status == RunStatus.PASSED

    # Requirements in the folder: a new environment, built by the worker.
    (folder / "requirements.txt").write_text("Flask-Login>=0.6\n")
    with django_capture_on_commit_callbacks(execute=False):
        call_command("autograde_suite", world.course.slug, world.assignment.slug, str(folder))
    suite.refresh_from_db()
    assert suite.requirements.strip() == "Flask-Login>=0.6"
    assert suite.build_status == BuildStatus.QUEUED

    with pytest.raises(CommandError, match="No project"):
        call_command("autograde_suite", world.course.slug, "nope", str(folder))


@pytest.mark.django_db
def test_a_failed_build_is_logged_and_its_runs_end_at_once(world, settings):
    _python_that_builds = settings.AUTOGRADING_PYTHON
    settings.AUTOGRADING_PYTHON = "/nonexistent/python3"  # this machine lacks it
    with pytest.raises(AssertionError):
        world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    suite = TestSuite.objects.get(assignment=world.assignment)
    assert suite.build_status == BuildStatus.FAILED
    assert "/nonexistent/python3" in suite.build_log

    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.SANDBOX_ERROR
    # Said as what it is, not "the sandbox failed to start" (probe 69).
    assert run.message == services.BUILD_FAILED
    assert "Nothing is wrong with your code" in run.message
    assert "failed to build" in run.output
    # Once the environment builds, the runs it ended are queued again, nobody asking.
    settings.AUTOGRADING_PYTHON = _python_that_builds
    assert services.suite_build(suite.pk).build_status == BuildStatus.READY
    again = Run.objects.exclude(pk=run.pk).get()
    assert (again.submission_id, again.status) == (run.submission_id, RunStatus.QUEUED)


@pytest.mark.django_db
def test_the_project_page_polls_the_results_block_until_the_run_ends(world, tmp_path):
    world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    submission = world.submit(flask_project(tmp_path, broken=True))
    run = services.run_request(submission=submission)
    client = Client()
    client.force_login(world.student)
    url = reverse("autograding:group_results", args=[world.group.pk])

    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert f'data-poll-url="{url}"' in page  # queued: the page will ask
    data = client.get(url).json()
    assert (data["status"], data["pending"]) == ("queued", True)
    assert f'data-poll-url="{url}"' in data["html"]

    run_tests.call(run_id=run.pk)
    response = client.get(url)
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert (data["status"], data["pending"]) == ("failed", False)
    assert "data-poll-url" not in data["html"]  # ended: the page stops asking
    assert "1 of 11 tests did not pass." in data["html"]
    assert "Hidden tests: 5 of 6 passed." in data["html"]
    assert "test_title_length_is_limited" not in data["html"]  # hidden stays hidden

    outsider = UserFactory(username="outsider")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_student_is_told_how_long_a_run_took_and_when_it_waits_too_long(world):
    """The block showed "Queued" forever when no worker ran, and never the run's time."""
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    submission = world.submit({"app.py": ""})
    run = services.run_request(submission=submission)
    client = Client()
    client.force_login(world.student)
    url = reverse("autograding:group_results", args=[world.group.pk])
    assert 'id="autograde-late"' not in client.get(url).json()["html"]  # just queued

    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(minutes=11))
    html = client.get(url).json()["html"]
    assert "longer than usual: the machine that runs tests may be busy or stopped" in html

    run_tests.call(run_id=run.pk)
    run.refresh_from_db()
    html = client.get(url).json()["html"]
    assert f"Ran in {run.duration:.1f} s, finished" in html
    assert 'id="autograde-late"' not in html


def test_the_students_block_lists_every_other_version_newer_ones_included(world):
    """It listed "Earlier versions" as all but the first: with final-version testing a
    newer untested version vanished and the version shown came twice (probe 69)."""
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"}, run_scope="final")
    tested = world.submit({"app.py": ""})
    run_now(tested)
    world.submit({"app.py": "X = 2\n"})
    world.submit({"app.py": "X = 3\n"})
    client = Client()
    client.force_login(world.student)
    html = client.get(reverse("autograding:group_results", args=[world.group.pk])).json()["html"]
    others = html.split("Other versions", 1)[1]
    assert "Version 3: not tested: only the final version is" in others
    assert "Version 2: not tested: only the final version is" in others
    assert "Version 1:" not in others  # shown above, not twice
    assert "0/0" not in html


def test_the_servers_folders_are_not_shown_in_test_output(world):
    """Tracebacks named the server's folders of the tests' environment and its Python,
    82 lines of them in one run the student read (probe 69)."""
    world.suite(
        {
            "test_where.py": "import json, sys\n\ndef test_where():\n"
            "    print(sys.prefix, json.__file__)\n    assert False\n"
        }
    )
    run = run_now(world.submit({"app.py": ""}))
    output = run.results.get().output
    suite = TestSuite.objects.get()
    assert "<environment>" in output and "<python>" in output, output
    assert suite.environment_path not in output
    assert str(Path(environments.python()).resolve().parent.parent) not in output


def test_files_named_in_utf8_without_the_zips_mark_reach_the_tests_by_their_names(world):
    """Probe 53: macOS's Archive Utility writes UTF-8 names without the zip's UTF-8 mark;
    the runner unpacked them as CP437 read them ("données" as "donne╠ües"), so the
    project's own files were missing when its tests ran."""
    world.suite(
        {
            "test_names.py": "import pathlib\n\n"
            "def test_the_data_file_is_there():\n"
            "    path = pathlib.Path('données') / 'été.txt'\n"
            "    assert path.read_text() == 'ok'\n"
        }
    )
    name = unicodedata.normalize("NFD", "données/été.txt").encode()
    # zipfile marks every name beyond ASCII: write the bytes as macOS does, unmarked.
    placeholder = b"Q" * len(name)
    data = zip_files({placeholder.decode(): "ok", "README.md": "# Hi\n"})
    data = data.replace(placeholder, name)
    submission = world.submit({"README.md": "# Hi\n"})
    submission.archive.save("project.zip", ContentFile(data))
    run = run_now(submission)
    assert {r.nodeid: r.outcome for r in run.results.all()} == {
        "test_names.py::test_the_data_file_is_there": "passed"
    }


def test_a_new_version_takes_the_place_of_its_groups_versions_still_waiting(world):
    """Probe 51: three versions sent in a row (each sleeping to the time limit) held the
    worker three minutes, and an honest run of another group waited behind them."""
    world.suite({"test_ok.py": "def test_ok():\n    assert True\n"})
    other = GroupFactory(assignment=world.assignment, name="Other team")
    other_student = UserFactory(username="ot")
    GroupMembership.objects.create(group=other, assignment=world.assignment, student=other_student)

    def version(group, student, text: str) -> Submission:
        data = zip_files({"app.py": text})
        return Submission.objects.create(
            group=group,
            version=group.submissions.count() + 1,
            submitted_by=student,
            archive=ContentFile(data, name="project.zip"),
            archive_name="project.zip",
            archive_size=len(data),
        )

    first = services.on_submission_created(version(world.group, world.student, "# 1"))
    theirs = services.on_submission_created(version(other, other_student, "# theirs"))
    second = services.on_submission_created(version(world.group, world.student, "# 2"))
    assert not Run.objects.filter(pk=first.pk).exists()  # version 2 took its place
    asked = services.run_request(submission=second.submission, by=world.instructor)
    assert asked == second  # asked while it waits: the same run
    version_1 = Submission.objects.get(group=world.group, version=1)
    asked_again = services.run_request(submission=version_1, by=world.instructor)
    third = services.on_submission_created(version(world.group, world.student, "# 3"))
    waiting = set(Run.objects.filter(status=RunStatus.QUEUED).values_list("pk", flat=True))
    # The run asked for stays; the other group's is never touched.
    assert waiting == {theirs.pk, asked_again.pk, third.pk}
    # The dropped runs' tasks find nothing to take, and end.
    assert run_tests.call(run_id=first.pk) == "" and run_tests.call(run_id=second.pk) == ""
    assert run_now(third.submission).status == RunStatus.PASSED
    # Probe 54: the version a grader grades keeps its run, however many come after.
    world.group.graded_submission = third.submission
    world.group.save()
    graded = services.run_request(submission=third.submission)  # nobody asked: automatic
    services.on_submission_created(version(world.group, world.student, "# 4"))
    assert Run.objects.filter(pk=graded.pk, status=RunStatus.QUEUED).exists()


def test_the_suite_form_says_hidden_tests_can_be_read_by_the_code_they_test(world):
    """Probe 51: a submission printed a hidden test's source under a visible test; the
    limit was written only in docs/autograding.md."""
    client = Client()
    client.force_login(world.instructor)
    page = client.get(reverse("admin:autograding_testsuite_add")).content.decode()
    assert "a submission can read their source" in page
