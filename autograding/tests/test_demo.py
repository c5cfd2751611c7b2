"""The demo data's automated tests: the bundle's example suite, the demo team's run.

The suite is the course bundle's folder autograding/group-project, installed by
seed_demo as manage.py autograde_suite installs one. The runs here are real: the demo
team's zip, in the sandbox, against that suite.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from autograding.models import BuildStatus, Run, RunStatus, TestSuite
from autograding.tasks import run_tests
from grading.demo import DEMO_RUBRIC
from grading.models import Criterion, CriterionScore, Review, Rubric
from lessons.demo import DEMO_COURSE
from projects.services.demo import DEMO_SUBMISSION

from .conftest import run_now

DEMO_SUITE = DEMO_COURSE / "autograding" / "group-project"
# What the demo team's version 1 lacks, by the test that finds it.
DEMO_FAILURES = {
    "test_accounts.py::test_visitors_can_sign_up",  # visible
    "test_api.py::test_a_page_answers_json",  # hidden
    "test_models.py::test_every_model_is_in_the_admin",  # visible
    "test_repository.py::test_the_project_has_tests_of_its_own",  # visible
}


def seeded_run(django_capture_on_commit_callbacks) -> Run:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    return Run.objects.get()


@pytest.mark.django_db
def test_seed_demo_installs_the_bundle_suite_and_queues_the_demo_version(
    django_capture_on_commit_callbacks, capsys
):
    run = seeded_run(django_capture_on_commit_callbacks)

    suite = TestSuite.objects.get()
    assert suite.assignment.slug == "group-project"
    groups = list(suite.groups.values_list("name", "visibility", "points", "criterion__title"))
    assert groups == [
        ("The project starts", "visible", Decimal("3.00"), "Functionality"),
        ("Models and admin", "visible", Decimal("4.00"), "Functionality"),
        ("Sign-up and log-in", "visible", Decimal("3.00"), "Functionality"),
        ("JSON endpoint", "hidden", Decimal("2.00"), "Functionality"),
        ("No page crashes", "hidden", Decimal("2.00"), "Code quality"),
        ("Tests of your own", "visible", Decimal("3.00"), "Tests"),
        ("README and requirements", "visible", Decimal("3.00"), "Documentation and deployment"),
    ]
    # Seeding stays fast: the environment and the run are left to the worker.
    assert suite.build_status == BuildStatus.QUEUED
    assert (run.status, run.submission.group.name) == (RunStatus.QUEUED, "Team Alpha")
    tasks = DBTaskResult.objects.filter(status="READY")
    assert tasks.filter(task_path__endswith="run_tests").count() == 1  # not twice
    assert tasks.filter(task_path__endswith="build_environment").count() == 1
    assert "1 version(s) queued; `make worker` runs them" in capsys.readouterr().out

    # Seeding again changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert Run.objects.count() == 1 and TestSuite.objects.count() == 1


@pytest.mark.django_db
def test_the_demo_version_passes_some_tests_and_fails_others(
    environment, django_capture_on_commit_callbacks
):
    run = seeded_run(django_capture_on_commit_callbacks)
    run_tests.call(run_id=run.pk)  # what `make worker` does with the queued task
    run.refresh_from_db()

    assert run.status == RunStatus.FAILED, run.output
    assert run.message == "4 of 16 tests did not pass."
    failed = set(run.results.exclude(outcome="passed").values_list("nodeid", flat=True))
    assert failed == DEMO_FAILURES
    missing = run.results.get(nodeid="test_models.py::test_every_model_is_in_the_admin")
    assert "Not registered in the admin: Comment." in missing.output

    # The demo grader's review has the linked criteria pre-filled, "Tests" at 0.
    review = Review.objects.get(group=run.submission.group)
    scores = CriterionScore.objects.filter(review=review)
    points = dict(scores.values_list("criterion__title", "points"))
    assert points == {
        "Functionality": Decimal("26.67"),  # 8 of its groups' 12 points, of 40
        "Code quality": Decimal("25.00"),
        "Tests": Decimal("0.00"),
        "Documentation and deployment": Decimal("15.00"),
    }


def complete_demo_project(tmp_path):
    """The demo team's project with what the example tests found missing added."""
    project = tmp_path / "team-alpha"
    shutil.copytree(DEMO_SUBMISSION, project)
    blog = project / "blog"
    (blog / "posts" / "admin.py").write_text(
        "from django.contrib import admin\n\nfrom .models import Comment, Post\n\n"
        "admin.site.register(Post)\nadmin.site.register(Comment)\n"
    )
    views = blog / "posts" / "views.py"
    views.write_text(
        views.read_text() + "\n\ndef post_api(request):\n"
        "    from django.http import JsonResponse\n\n"
        '    return JsonResponse({"posts": list(Post.objects.values("id", "title"))})\n\n\n'
        "def signup(request):\n"
        "    from django.contrib.auth.forms import UserCreationForm\n\n"
        "    form = UserCreationForm(request.POST or None)\n"
        '    if request.method == "POST" and form.is_valid():\n'
        "        form.save()\n"
        '        return redirect("login")\n'
        '    return render(request, "posts/form.html", {"form": form})\n'
    )
    urls = blog / "posts" / "urls.py"
    urls.write_text(
        urls.read_text().replace(
            '    path("new/"',
            '    path("api/posts/", views.post_api, name="api"),\n'
            '    path("signup/", views.signup, name="signup"),\n'
            '    path("new/"',
        )
    )
    tests = blog / "posts" / "tests.py"
    tests.write_text(
        tests.read_text()
        + "\n\ndef test_two():\n    assert True\n\n\ndef test_three():\n    assert True\n"
    )
    return project


@pytest.mark.django_db
def test_a_complete_project_passes_every_example_test(world, tmp_path):
    """The example suite asks nothing the brief does not: a full project passes it."""
    rubric = Rubric.objects.create(assignment=world.assignment)
    for title, _description, points in DEMO_RUBRIC:
        Criterion.objects.create(rubric=rubric, title=title, max_points=points)
    call_command(
        "autograde_suite", world.course.slug, world.assignment.slug, str(DEMO_SUITE), "--build",
        verbosity=0,
    )  # fmt: skip
    suite = TestSuite.objects.get()
    assert suite.groups.filter(criterion__rubric=rubric).count() == 7
    run = run_now(world.submit(complete_demo_project(tmp_path)))
    assert run.status == RunStatus.PASSED, run.results.exclude(outcome="passed").values_list(
        "nodeid", "output"
    )
    assert run.tests_total == 16 and run.score == run.max_score == Decimal("20.00")


@pytest.mark.django_db
def test_a_bad_groups_file_is_refused_with_its_lines_named(world, tmp_path):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "test_ok.py").write_text("def test_ok():\n    pass\n")
    args = ("autograde_suite", world.course.slug, world.assignment.slug, str(folder))

    def refused_with(groups_yaml: str) -> str:
        (folder / "groups.yaml").write_text(groups_yaml)
        with pytest.raises(CommandError) as caught:
            call_command(*args)
        return str(caught.value)

    message = refused_with(
        "- name: API\n  tests: test_api.py::*\n  points: lots\n"
        "- name: Style\n  students_see: sometimes\n  colour: red\n"
    )
    assert "group 1: points must be a number from 0 to 9999." in message
    assert "group 2: unknown key(s) colour." in message
    assert "group 2: students_see must be visible or hidden, not sometimes." in message

    # Stored with two decimals: 9999.999 overflowed the column (a traceback on PostgreSQL).
    message = refused_with(
        "- name: A\n  points: 9999.999\n- name: B\n  points: 2.555\n- name: C\n  points: 1e400\n"
    )
    assert "group 1: points must be a number from 0 to 9999." in message
    assert "group 2: points have at most two decimals, not 2.555." in message
    assert "group 3: points must be a number from 0 to 9999." in message

    (folder / "groups.yaml").write_text("- name: API\n  criterion: Elegance\n")
    with pytest.raises(CommandError, match="rubric criteria the project does not have: Elegance"):
        call_command(*args)
    # What PyYAML's reader lets through as ValueError.
    (folder / "groups.yaml").write_text("- name: API\n  points: 0x_\n")
    with pytest.raises(CommandError, match=r"^groups\.yaml is not valid YAML"):
        call_command(*args)
    # Refused before PyYAML builds anything: nesting that would exhaust the stack, and
    # aliases that expand a few lines into billions of items.
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    for hostile, refusal in (
        ("[" * 100_000, "groups.yaml, line 1: lists or mappings nested too deeply."),
        ("- name: API\n  tests: *x\n", "groups.yaml, line 2: anchors and aliases"),
        (laughs, "groups.yaml, line 1: anchors and aliases"),
    ):
        (folder / "groups.yaml").write_text(hostile)
        with pytest.raises(CommandError, match=re.escape(refusal)):
            call_command(*args)
    assert not TestSuite.objects.exists()  # nothing saved


@pytest.mark.django_db
def test_changed_groups_keep_the_results_of_earlier_runs(world, tmp_path):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (folder / "groups.yaml").write_text("- name: Basics\n  points: 2\n")
    args = ("autograde_suite", world.course.slug, world.assignment.slug, str(folder), "--build")
    call_command(*args, verbosity=0)
    run = run_now(world.submit({"app.py": ""}))
    (folder / "groups.yaml").write_text("- name: Extra\n  tests: '*x*'\n- name: Basics\n")
    call_command(*args, verbosity=0)

    suite = TestSuite.objects.get()
    assert list(suite.groups.values_list("name", "points")) == [
        ("Extra", Decimal("1.00")),
        ("Basics", Decimal("1.00")),
    ]
    assert run.results.get().group.name == "Basics"  # the same group, updated


@pytest.mark.django_db
def test_without_bubblewrap_the_demo_run_ends_with_a_clear_message(
    environment, django_capture_on_commit_callbacks, monkeypatch
):
    run = seeded_run(django_capture_on_commit_callbacks)
    monkeypatch.setenv("PATH", "/nonexistent")  # a machine without bwrap
    run_tests.call(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SANDBOX_ERROR
    assert "Nothing is wrong with your code" in run.message
    assert "bubblewrap" in run.output
