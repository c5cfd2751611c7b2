"""A whole course week in Chromium, one browser per person, through the live server's UI.

The instructor imports a roster; the invited students set their passwords from the
emailed link, follow a lesson, form groups and submit; the grader scores, loses the
session and finds the draft again; the instructor releases from the hub; the students
read the feedback; versions sent after the release meet the assignment's rule (locked
by default, then accepted and announced, also from the group that never submitted).
Every page on the way is checked by axe at 1280 and 375 px, with a screenshot of each
in test-artifacts/week-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import Role
from accounts.tests.browser import check_here, log_in, visit
from grading.models import GradeRelease, Review, ReviewStatus, Rubric
from grading.tests.factories import CriterionFactory, LevelFactory
from lessons.models import Course
from lessons.tests.factories import EnrollmentFactory, LessonFactory, ModuleFactory
from projects.models import LateVersionRule, Submission
from projects.tests.factories import ProjectAssignmentFactory, make_zip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER = (
    "email,name,role\n"
    "nina@example.org,Nina Newcomer,student\n"
    "omar@example.org,Omar Okafor,student\n"
    "pia@example.org,Pia Park,student\n"
)
NEW_PASSWORD = "plum-orbit-lantern-42"
CODE_V1 = 'def greet(name):\n    return "Hello " + name\n'
CODE_V2 = 'def greet(name):\n    return f"Hello {name}!"\n'


@pytest.fixture
def week(alice, grace, settings):
    """A published course taught by alice and graded by grace: two lessons, one project.

    The project is due in a week, takes groups of one to three, and has the default
    rule for versions after grading (lock when grading starts).
    """
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    course = Course.objects.create(title="Web Apps", slug="web-apps", is_published=True)
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=grace, course=course, role=Role.GRADER)
    module = ModuleFactory(course=course, title="Week 1", order=1)
    LessonFactory(module=module, order=1, title="Hello, web", slug="hello-web")
    LessonFactory(module=module, order=2, title="Routing", slug="routing")
    now = timezone.now()
    assignment = ProjectAssignmentFactory(
        course=course,
        title="Blog engine",
        slug="blog",
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7),
        min_group_size=1,
        max_group_size=3,
    )
    assert assignment.late_version_rule == LateVersionRule.LOCK_WHEN_GRADING
    rubric = Rubric.objects.create(assignment=assignment)
    correctness = CriterionFactory(rubric=rubric, order=1, title="Correctness", max_points=10)
    for label, points in (("Excellent", 10), ("Good", 7), ("Needs work", 3)):
        LevelFactory(criterion=correctness, label=label, points=points)
    style = CriterionFactory(rubric=rubric, order=2, title="Style", max_points=5)
    return course, assignment, correctness, style


def _zip(name: str, code: str) -> list[dict]:
    files = {"app.py": code, "README.md": "# Our blog\n"}
    return [{"name": name, "mimeType": "application/zip", "buffer": make_zip(files)}]


def _end_session_of(context: BrowserContext) -> None:
    """End the session of CONTEXT's person on the server, as expiry or a logout elsewhere do."""
    key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    assert Session.objects.filter(session_key=key).delete()[0] == 1


def test_a_course_week_for_every_role(
    live_server, page: Page, browser, password, settings, tmp_path, week, artifacts_dir
):
    shots = artifacts_dir
    course, assignment, correctness, style = week
    alice_email = "alice@example.org"
    settings.SITE_URL = base = live_server.url
    project_url = base + assignment.get_absolute_url()
    hub_url = base + reverse("grading:assignment_hub", args=[assignment.pk])
    people: dict[str, Page] = {"alice": page}

    def browser_of(name: str) -> Page:
        """Return the page of NAME's own browser (a new context: cookies of their own)."""
        if name not in people:
            people[name] = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        return people[name]

    # Monday: the instructor imports the roster in the back office. ----------------------
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, base + reverse("accounts:login"), "login", shots)
    log_in(page, base, "alice", password)
    visit(page, base + "/admin/lessons/enrollment/import-roster/", "admin-roster-import", shots)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    page.select_option("#id_course", label=str(course))
    page.set_input_files("#id_file", str(roster))
    page.click("#roster-submit")
    invited = page.locator("#roster-invited")
    for who in ("Nina Newcomer <nina@example.org>", "Omar Okafor", "Pia Park"):
        expect(invited).to_contain_text(who)
    check_here(page, "admin-roster-report", shots)

    # Each student follows the emailed link and chooses a password. -----------------------
    links = {}
    for message in mail.outbox:
        (address,) = message.to
        links[address.split("@")[0]] = re.search(
            r"^(http\S+/accounts/welcome/\S+)$", message.body, re.M
        ).group(1)
    assert sorted(links) == ["nina", "omar", "pia"]
    for name in ("nina", "omar", "pia"):
        student = browser_of(name)
        student.goto(links[name])
        expect(student.get_by_role("heading").first).to_contain_text("Welcome to")
        if name == "nina":
            check_here(student, "student-welcome", shots)
        student.fill("#id_new_password1", NEW_PASSWORD)
        student.fill("#id_new_password2", NEW_PASSWORD)
        student.click("#invitation-btn")
        expect(student).to_have_url(f"{base}/dashboard/")
        expect(student.locator("#who")).to_have_text(name)
        # The to-do list names the project and its deadline.
        expect(student.locator("#todo")).to_contain_text("Blog engine")
        if name == "nina":
            check_here(student, "student-dashboard-first-visit", shots)

    # Nina follows the first lesson and marks it complete: the progress bar moves.
    nina = people["nina"]
    nina.get_by_role("link", name="Start the course").click()
    expect(nina.get_by_role("heading", name="Hello, web")).to_be_visible()
    check_here(nina, "student-lesson", shots)
    course_bar = nina.locator('[data-progress="course"] [role="progressbar"]')
    expect(course_bar).to_have_attribute("aria-valuenow", "0")
    nina.click("#complete-btn")
    expect(course_bar).to_have_attribute("aria-valuenow", "50")
    expect(nina.get_by_role("button", name="✓ Completed (undo)")).to_be_focused()
    visit(nina, base + course.get_absolute_url(), "student-course", shots)
    expect(nina.locator('[role="progressbar"]').first).to_have_attribute("aria-valuenow", "50")

    # Groups: Nina creates Owls, Omar joins with its code; Pia's Sleepers never submit.
    visit(nina, project_url, "student-project-no-group", shots)
    nina.get_by_label("Group name").fill("Owls")
    nina.click("#create-group-btn")
    expect(nina.locator("#messages")).to_contain_text("Group “Owls” created")
    code = nina.locator("#join-code").inner_text().strip()
    omar = people["omar"]
    omar.goto(project_url)
    omar.get_by_label("Join code").fill(code)
    omar.click("#join-group-btn")
    expect(omar.locator("#messages")).to_contain_text("You joined the group “Owls”.")
    omar.set_input_files("#id_archive", files=_zip("owls.zip", CODE_V1))
    omar.get_by_label("Note for the graders").fill("Our first version")
    omar.click("#submit-btn")
    expect(omar.locator("#messages")).to_contain_text("Version 1 submitted.")
    expect(omar.locator("#versions-table tbody tr").first).to_contain_text("v1")
    check_here(omar, "student-project-submitted", shots)
    # Omar leaves this tab open, upload form and all, until after the release.
    pia = people["pia"]
    pia.goto(project_url)
    pia.get_by_label("Group name").fill("Sleepers")
    pia.click("#create-group-btn")
    expect(pia.locator("#messages")).to_contain_text("Group “Sleepers” created")

    # Wednesday: the instructor spreads the submissions over the graders from the hub.
    visit(page, hub_url, "instructor-hub-before-grading", shots)
    # Before the deadline, on a project that locks versions once graded: said and ticked.
    page.get_by_label("Also close their hand-in").check()
    page.get_by_role("button", name="Spread the ungraded submissions over the graders").click()
    # Back on the hub, which says it among its own notes.
    expect(page).to_have_url(hub_url)
    expect(page.locator("#messages [role=status]")).to_contain_text(
        "1 submission(s) assigned to graders."
    )
    check_here(page, "instructor-hub-assigned", shots)

    # The grader lands on the queue, opens the review, browses the code and scores. ------
    grader = browser_of("grace")
    log_in(grader, base, "grace", password)
    expect(grader).to_have_url(f"{base}/grading/")
    check_here(grader, "grader-queue", shots)
    review = Review.objects.get(group__name="Owls")
    grader.locator("#queue").get_by_role("link", name=re.compile("Owls")).click()
    expect(grader.locator("#group-label")).to_contain_text("Owls")
    check_here(grader, "grader-review", shots)
    grader.locator("#file-tree").get_by_role("link", name="app.py").click()
    expect(grader.locator("#viewer-path")).to_have_text("app.py")
    check_here(grader, "grader-review-file", shots)
    total = grader.locator("#live-total")
    grader.locator(f'label[for="level_{correctness.levels.get(label="Excellent").pk}"]').click()
    expect(total).to_contain_text("10 / 15")
    grader.locator(f'label[for="level_{correctness.levels.get(label="Good").pk}"]').click()
    expect(total).to_contain_text("7 / 15")
    grader.locator(f"#id_score_{style.pk}").fill("4")
    expect(total).to_contain_text("11 / 15")
    grader.get_by_label("Overall feedback").fill("Clear routes; test the edge cases.")
    expect(grader.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)

    # The session ends on the server; the grader types on and saves, logs in again.
    _end_session_of(grader.context)
    grader.locator(f"#id_comment_{style.pk}").fill("Names could be clearer.")
    grader.click("#save-draft")
    expect(grader.get_by_role("alert").first).to_contain_text("You were signed out")
    check_here(grader, "login-after-session-ended", shots)
    grader.get_by_label("Username or email").fill("grace")
    grader.get_by_label("Password").fill(password)
    grader.click("#login-btn")
    expect(grader.locator("#group-label")).to_contain_text("Owls")
    expect(grader.get_by_text("What you typed is back in the form")).to_be_visible()
    expect(grader.get_by_label("Overall feedback")).to_have_value(
        "Clear routes; test the edge cases."
    )
    expect(grader.locator(f"#id_score_{correctness.pk}")).to_have_value("7")
    expect(grader.locator(f"#id_score_{style.pk}")).to_have_value("4")
    expect(grader.locator(f"#id_comment_{style.pk}")).to_have_value("Names could be clearer.")
    check_here(grader, "grader-review-kept", shots)
    grader.click("#complete-review")
    expect(grader.locator("#messages")).to_contain_text("Review completed")
    check_here(grader, "grader-review-completed", shots)

    # Friday: the instructor releases from the hub after the warning. --------------------
    visit(page, hub_url, "instructor-hub-graded", shots)
    expect(page.locator("#count-submitted")).to_have_text("1")
    expect(page.locator("#count-not-submitted")).to_have_text("1")
    expect(page.locator("#count-graded")).to_have_text("1")
    expect(page.locator("#never-submitted")).to_contain_text("Sleepers")
    page.get_by_label("I understand that students").check()
    page.get_by_label("never submitted will get no grade").check()
    # Before the deadline: releasing ends the project early, and says so.
    page.get_by_label("has not passed: releasing now ends the project early").check()
    page.once("dialog", lambda dialog: dialog.accept())
    mail.outbox.clear()
    page.click("#hub-release-btn")
    expect(page.locator("#messages")).to_contain_text("released; students are being emailed")
    expect(page.locator("#released")).to_be_visible()
    check_here(page, "instructor-hub-released", shots)
    assert GradeRelease.objects.filter(assignment=assignment).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["nina@example.org", "omar@example.org"]

    # The students read their feedback, from the to-do list.
    visit(nina, base + reverse("lessons:dashboard"), "student-dashboard-feedback", shots)
    nina.locator('[data-todo="feedback"]').get_by_role("link", name="Blog engine").click()
    expect(nina.locator("#score")).to_contain_text("11 / 15")
    expect(nina.locator("#criteria")).to_contain_text("Names could be clearer.")
    check_here(nina, "student-feedback", shots)

    # A version after the release, under the default rule: refused, nothing written. -----
    omar.set_input_files("#id_archive", files=_zip("owls-fixed.zip", CODE_V2))
    omar.click("#submit-btn")
    refusal = "Nothing was submitted. Your group's version 1 was graded and the grades are released"
    expect(omar.locator("#submission-locked")).to_contain_text(refusal)
    expect(omar.locator("#submission-locked")).to_have_attribute("role", "alert")
    check_here(omar, "student-project-locked", shots)
    expect(omar.locator("#submit-btn")).to_have_count(0)
    assert Submission.objects.filter(group__assignment=assignment).count() == 1

    # The instructor changes the rule in the project's settings: accept and notify. ------
    page.get_by_role("link", name="Settings").click()
    page.select_option("#id_late_version_rule", value=LateVersionRule.ACCEPT_AND_NOTIFY)
    check_here(page, "admin-assignment-settings", shots)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assignment.refresh_from_db()
    assert assignment.late_version_rule == LateVersionRule.ACCEPT_AND_NOTIFY

    # Now the same version is accepted, not graded (the grades are out), and the
    # instructors, who alone can still change a mark, are emailed with the grader.
    mail.outbox.clear()
    visit(omar, project_url, "student-project-open-again", shots)
    omar.set_input_files("#id_archive", files=_zip("owls-fixed.zip", CODE_V2))
    omar.click("#submit-btn")
    expect(omar.locator("#messages .alert-success")).to_contain_text("Version 2 submitted.")
    expect(omar.locator('[role="alert"].alert-warning')).to_contain_text(
        "The grades of this project are released: version 2 is kept but not graded; your "
        "instructors have been told it exists."
    )
    expect(omar.locator("#graded-version")).to_contain_text("Graded version 1.")
    expect(omar.locator("#newer-not-graded")).to_contain_text(
        "Newer version 2 is not graded: the grades are released."
    )
    expect(omar.locator("#grades-released")).to_contain_text("read your group's mark and feedback")
    check_here(omar, "student-project-after-release", shots)
    # The group's members have their receipt of the version; the grading side is told.
    told = sorted(m.to[0] for m in mail.outbox if " handed in" not in m.subject)
    assert told == sorted(["grace@example.org", alice_email]), told
    receipts = sorted(m.to[0] for m in mail.outbox if " handed in" in m.subject)
    assert receipts == ["nina@example.org", "omar@example.org"], receipts

    # The grader's queue shows the new version as not graded; the review, what changed.
    visit(grader, base + reverse("grading:grader_queue"), "grader-queue-new-version", shots)
    row = grader.locator("#queue tbody tr", has_text="Owls")
    expect(row).to_contain_text("graded version 1")
    expect(row.locator(".new-version")).to_have_text("new version 2 since grading")
    row.get_by_role("link", name=re.compile("Owls")).click()
    expect(grader.locator("#newer-version")).to_contain_text("Newer version 2")
    expect(grader.locator("#changes")).to_contain_text("app.py")
    check_here(grader, "grader-review-changes", shots)
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.submission.version == 1

    # The group that never submitted does so now: accepted, and the instructor is told.
    mail.outbox.clear()
    pia.goto(project_url)
    pia.set_input_files("#id_archive", files=_zip("sleepers.zip", CODE_V1))
    pia.click("#submit-btn")
    expect(pia.locator("#messages .alert-success")).to_contain_text("Version 1 submitted.")
    expect(pia.locator('[role="alert"].alert-warning')).to_contain_text(
        "The grades of this project are released: version 1 is kept but not graded"
    )
    told = sorted(m.to for m in mail.outbox)  # the instructor, and pia's receipt
    assert told == [["alice@example.org"], ["pia@example.org"]], told
    visit(page, hub_url, "instructor-hub-after-release", shots)
    late = page.locator("#after-release")
    expect(late).to_contain_text("2 groups submitted after release, not graded.")
    expect(late).to_contain_text("Sleepers: version 1")
    expect(late).to_contain_text("Owls: version 2")

    for name, person in people.items():
        if name != "alice":
            person.context.close()
