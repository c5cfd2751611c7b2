"""What a fresh checkout meets: the Makefile, the demo data's report, the worker's log,
and the documented commands, settings and examples."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.management import call_command

from lessons.demo import DEMO_COURSE

from .test_site import BASE_DIR, run_python


@pytest.mark.parametrize("target", ["run", "lint", "format", "worker", "bench"])
def test_every_make_target_makes_the_venv_before_using_it(target):
    commands = subprocess.run(  # noqa: S603 - make's dry run of our Makefile
        ["make", "-n", target],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    first_use = next(i for i, line in enumerate(commands) if ".venv/" in line)
    assert "bash scripts/python-env.sh" in commands[:first_use]


@pytest.mark.django_db
def test_seed_demo_reports_each_item_once(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    # The course, its 5 modules and 33 lessons; nothing existed to update.
    assert "Demo course python-web-development: 39 created, 0 updated;" in first
    assert "as does the worker `make run` starts" in first

    call_command("seed_demo")
    assert "Demo course python-web-development: 0 created, 0 updated;" in capsys.readouterr().out


def test_the_task_workers_log_lines_print_once_under_make_run():
    code = (
        "import django, logging; django.setup();"
        "from django_tasks_db.management.commands.db_worker import Command;"
        "Command().configure_logging(1);"  # what db_worker does first
        "logging.getLogger('django.tasks').info('Task id=7 state=RUNNING');"
        "logging.getLogger('django_tasks_db').info('Starting worker')"
    )
    result = run_python(code, {"DJANGO_DEBUG": "1"})
    output = result.stdout + result.stderr
    assert output.count("Task id=7 state=RUNNING") == 1, output
    assert output.count("Starting worker") == 1, output


def test_the_api_examples_name_the_demo_course():
    slug = re.search(r"^slug: (\S+)$", (DEMO_COURSE / "course.md").read_text(), re.M).group(1)
    api_doc = (BASE_DIR / "docs" / "api.md").read_text()
    examples = re.findall(r"slug=(\w[\w-]*)|\"slug\": \"([\w-]+)\"", api_doc)
    assert examples and {a or b for a, b in examples} == {slug}


def test_the_benchmark_how_to_names_real_options_and_files():
    doc = (BASE_DIR / "docs" / "performance.md").read_text()
    how_to = doc[doc.index("## Run it") : doc.index("### Scale data")]
    options = subprocess.run(
        [sys.executable, "bench/run.py", "--help"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout
    commands = "\n".join(line for line in how_to.splitlines() if "bench/run.py --" in line)
    named = re.findall(r"`(--[a-z-]+)`", how_to) + re.findall(r" (--[a-z-]+)", commands)
    assert "--config" in named
    for option in named:
        assert re.search(rf"{option}\b", options), option
    code_line = doc[: doc.index("\n## ")]
    for name in re.findall(r"`([\w/]+\.py)`", code_line):
        found = list(BASE_DIR.glob(name if "/" in name else f"*/management/commands/{name}"))
        assert found, name


# Read by the settings for the benchmark and the tests, or an older name of a variable
# the README lists: not part of configuring a site.
UNDOCUMENTED = {"BENCH_FLOOR", "AXES_ENABLED", "DJANGO_TASKS_BACKEND", "SITE_NAME"}


def test_the_readme_documents_every_environment_variable():
    sources = (BASE_DIR / "coursesite" / "settings.py").read_text()
    sources += (BASE_DIR / "gunicorn.conf.py").read_text()
    reader = r"(?:environ\.get|env(?:bool|int|list|secret))\(\s*\"([A-Z_]+)\""
    read = set(re.findall(reader, sources))
    readme = (BASE_DIR / "README.md").read_text()
    missing = {name for name in read - UNDOCUMENTED if f"`{name}`" not in readme}
    assert not missing


def test_the_postgresql_run_leaves_out_only_the_tests_that_use_no_database():
    """make test runs the suite on SQLite, then again on PostgreSQL with
    --only-database-tests: a test of the database (a marker or a fixture) stays."""
    listed = subprocess.run(  # noqa: S603 - pytest's collection of our own tests
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "--only-database-tests",
            "coursesite/tests/test_dates.py",  # no database
            "coursesite/tests/test_health.py",  # two of each
            "lessons/tests/test_admin.py::test_unpublish_action_hides_lessons_from_students",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kept = {line.split("::")[1] for line in listed.splitlines() if "::" in line}
    assert kept == {
        "test_healthz_stays_one_query",  # the django_db marker
        "test_healthz_answers_over_plain_http_when_pages_redirect_to_https",
        "test_unpublish_action_hides_lessons_from_students",  # a fixture that needs db
    }
    assert "(3 deselected)" in listed
