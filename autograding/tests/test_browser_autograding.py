"""In the browser: a student uploads a version and watches its tests' results arrive
without reloading the page, while a worker runs them; the grader then finds the same
results and the rubric points pre-filled from them."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from autograding.models import Run, RunStatus
from grading import services as grading_services
from grading.models import Criterion, Rubric

from .conftest import World, zip_folder
from .test_runs import FLASK, FLASK_GROUPS, flask_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_worker() -> threading.Thread:
    """A db_worker in a thread, on the live server's database, until the queue is empty."""

    def work() -> None:
        try:
            Worker(
                queue_names=["default"], interval=0.2, batch=True, backend_name="default",
                startup_delay=False, max_tasks=None, worker_id="browser-worker",
                excluded_queue_names=[],
            ).run()  # fmt: skip
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_results_appear_without_a_reload_and_the_grader_sees_them_prefilled(
    live_server, page: Page, environment, password, tmp_path, artifacts_dir
):
    world = World()
    rubric = Rubric.objects.create(assignment=world.assignment)
    works = Criterion.objects.create(rubric=rubric, title="Works", max_points=Decimal("20"))
    suite = world.suite(FLASK / "tests", groups=FLASK_GROUPS)
    suite.groups.update(criterion=works)
    project_url = f"{live_server.url}{world.assignment.get_absolute_url()}"

    log_in(page, live_server.url, world.student.username, password)
    page.goto(project_url)
    page.set_input_files(
        "#id_archive",
        files=[{
            "name": "notes.zip", "mimeType": "application/zip",
            "buffer": zip_folder(flask_project(tmp_path, broken=True)),
        }],
    )  # fmt: skip
    page.click("#submit-btn")
    expect(page.locator("#messages")).to_contain_text("Version 1 submitted.")
    block = page.locator("#autograde")
    expect(block.locator("[data-run-status]")).to_have_text("Queued")
    expect(block).to_contain_text("their results appear here when they are done")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloaded

    worker = start_worker()
    expect(block.locator("#autograde-message")).to_have_text(
        "1 of 11 tests did not pass.", timeout=60_000
    )
    worker.join(timeout=60)
    assert page.evaluate("window.stillTheSamePage") is True
    expect(block.locator("[data-run-status]")).to_have_text("Failed")
    expect(block.locator("tr.autograde-test")).to_have_count(5)  # the visible tests
    expect(block).to_contain_text("Hidden tests: 5 of 6 passed.")
    expect(page.locator("#autograde[data-poll-url]")).to_have_count(0)  # polling stopped
    page.screenshot(path=artifacts_dir / "autograde-results.png", full_page=True)
    run = Run.objects.get()
    assert run.status == RunStatus.FAILED

    # The instructor hands the group to the grader, whose review opens pre-filled.
    review = grading_services.grader_assign(
        group=world.group, grader=world.grader, close_hand_in=True
    )
    log_in(page, live_server.url, world.grader.username, password)
    page.goto(f"{live_server.url}/grading/reviews/{review.pk}/")
    results = page.locator("#autograde")
    expect(results.locator("#autograde-message")).to_have_text("1 of 11 tests did not pass.")
    expect(results.locator("tr.autograde-test")).to_have_count(11)  # hidden ones too
    failed = results.locator('tr.autograde-test[data-outcome="failed"]')
    expect(failed).to_contain_text("test_validation.py::test_title_length_is_limited")
    expect(page.locator(f'input[name="score_{works.pk}"]')).to_have_value("18.66")
    expect(page.locator("#autograde-prefills")).to_contain_text(
        "Works: 18.66 points pre-filled from the tests."
    )
    page.screenshot(path=artifacts_dir / "autograde-review.png", full_page=True)
