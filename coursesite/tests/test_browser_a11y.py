"""Every page each role visits, in Chromium at 1280 and 375 px: axe-core finds no serious
or critical WCAG 2.1 AA violation, nothing scrolls the page sideways, and a screenshot
of each lands in test-artifacts/. The grader's code viewer and rubric work from the
keyboard alone; the gradebook's marks stay in view beside a very long name.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.tests.browser import assert_accessible, check_pages, log_in
from accounts.tests.factories import UserFactory
from grading import services
from grading.tests.factories import add_group, enroll, grading_world, past_assignment
from lessons.tests.factories import LessonFactory, ModuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "Maximiliana" + "x" * 90  # no space to break at
LONG_TITLE = "Supercalifragilistic" * 6


@pytest.fixture
def world(alice, bob, grace):
    """grading_world with a lesson, and names long enough to break a layout."""
    world = grading_world(alice=alice, bob=bob, grace=grace)
    module = ModuleFactory(course=world.course, title="Getting started")
    world.lesson = LessonFactory(module=module, title="Hello, web", slug="hello-web")
    enroll(UserFactory(username="maxi", display_name=LONG_NAME), world.course)
    return world


def complete_review(world) -> None:
    # Inline code (Bootstrap's pink was 4.3:1 on the light grey), and a word too long for
    # a phone, which makes the scores table scroll in its box.
    services.line_comment_add(
        review=world.review, by=world.review.grader, path="app.py", line=1, text="Use `main()`."
    )
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={
            world.correctness.pk: (Decimal(8), "Works. See " + "docs/" * 15 + "errors"),
            world.style.pk: (Decimal(4), ""),
        },
        overall_feedback="Well done: `main()` reads well.",
        complete=True,
    )


def test_student_pages_are_accessible(
    live_server, page: Page, world, alice, bob, password, artifacts_dir
):
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    # A group named with one long word, and a lesson table wider than a phone.
    world.group.name = LONG_NAME[:80]
    world.group.save()
    world.lesson.body = "| " + " | ".join(f"Column {n}" for n in range(12)) + " |\n"
    world.lesson.body += "|" + "---|" * 12 + "\n| " + " | ".join(["value"] * 12) + " |\n"
    world.lesson.body += "\nRun `python manage.py runserver` to start.\n"  # inline code
    world.lesson.save()
    course = world.course
    log_in(page, live_server.url, "bob", password)
    check_pages(
        page,
        live_server.url,
        {
            "student-dashboard": reverse("lessons:dashboard"),
            "student-course": course.get_absolute_url(),
            "student-lesson": world.lesson.get_absolute_url(),
            "student-project": world.assignment.get_absolute_url(),
            "student-projects": reverse("projects:mine"),
            "student-feedback-list": reverse("grading:feedback_list"),
            "student-feedback": reverse("grading:feedback", args=[world.submission.pk])
            + "?path=app.py",
            "student-profile": reverse("accounts:profile"),
            "student-logout": reverse("accounts:logout"),
            "student-search": reverse("lessons:search") + "?q=web",
        },
        artifacts_dir,
    )
    # A table that scrolls in its box on a phone can be reached and scrolled by keyboard.
    page.goto(f"{live_server.url}{reverse('grading:feedback', args=[world.submission.pk])}")
    box = page.locator(".table-responsive", has=page.locator("#criteria"))
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("aria-label", "Scores per criterion")

    # The navbar's keyboard focus is plain to see, on a wide screen and on a phone.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    _tab_to(page, page.locator(".navbar-brand"))
    _assert_focus_visible(page, page.locator(".navbar-brand"))
    _tab_to(page, page.locator("#nav-projects"))
    _assert_focus_visible(page, page.locator("#nav-projects"))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    toggler = page.locator(".navbar-toggler")
    _tab_to(page, toggler)
    _assert_focus_visible(page, toggler)
    page.keyboard.press("Enter")
    _tab_to(page, page.locator("#nav-projects"))
    _assert_focus_visible(page, page.locator("#nav-projects"))
    # Escape closes the open menu, the focus back on its button (probe 39: it stayed open).
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # opened
    page.keyboard.press("Escape")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_be_hidden()
    expect(toggler).to_be_focused()

    # Every progress bar says what it measures, and shows it in words.
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    for bar in page.locator('[role="progressbar"]').all():
        for attribute in ("aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-label"):
            assert bar.get_attribute(attribute), attribute
    expect(page.locator(".progress-text").first).to_be_visible()


def test_grader_pages_are_accessible_and_work_from_the_keyboard(
    live_server, page: Page, world, grace, password, artifacts_dir
):
    log_in(page, live_server.url, "grace", password)
    review = reverse("grading:review", args=[world.review.pk])
    check_pages(
        page,
        live_server.url,
        {
            "grader-queue": reverse("grading:grader_queue"),
            "grader-review": review + "?path=app.py",
            "grader-regrades": reverse("grading:regrade_list"),
        },
        artifacts_dir,
    )

    # The code viewer, from the keyboard: Tab to the file, Enter opens it.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{review}")
    file_link = page.locator("#file-tree").get_by_role("link", name="app.py")
    _tab_to(page, file_link)
    page.keyboard.press("Enter")
    expect(page.locator("#viewer-path")).to_have_text("app.py")

    # The rubric, from the keyboard: a criterion's levels are one radio group (one Tab
    # stop); Space picks the focused level, arrows move to the next one.
    excellent = page.get_by_role("radio", name="Excellent (10)")
    _tab_to(page, excellent)
    page.keyboard.press("Space")
    expect(page.locator(f"#id_score_{world.correctness.pk}")).to_have_value("10")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Good (7)")).to_be_checked()
    expect(page.locator(f"#id_score_{world.correctness.pk}")).to_have_value("7")
    # The score field follows its levels, then its comment.
    page.keyboard.press("Tab")
    expect(page.locator(f"#id_score_{world.correctness.pk}")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(f"#id_comment_{world.correctness.pk}")).to_be_focused()
    page.locator(f"#id_score_{world.style.pk}").fill("4")
    _tab_to(page, page.locator("#complete-review"))
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Review completed")
    assert_accessible(page)


def test_instructor_pages_are_accessible_and_long_names_leave_marks_in_view(
    live_server, page: Page, world, alice, password, artifacts_dir
):
    complete_review(world)
    # A second grader's completed review: the hub compares their marks (its table).
    gina = enroll(UserFactory(username="gina", display_name="Gina Grader"), world.course, "grader")
    group, _ = add_group(world.assignment, [enroll(UserFactory(), world.course)], name="Second")
    second = services.grader_assign(group=group, grader=gina)
    scores = {world.correctness.pk: (Decimal("3"), ""), world.style.pk: (Decimal("5"), "")}
    services.review_save(review=second, by=gina, scores=scores, overall_feedback="", complete=True)
    long_project = past_assignment(world.course, title=LONG_TITLE, slug="long", weight=2)
    add_group(long_project, [world.dave], name="G" * 80)
    log_in(page, live_server.url, "alice", password)
    gradebook = reverse("grading:gradebook", args=[world.course.slug])
    hub = reverse("grading:assignment_hub", args=[world.assignment.pk])
    check_pages(
        page,
        live_server.url,
        {
            "instructor-dashboard": reverse("lessons:dashboard"),
            "instructor-hub": hub,
            "instructor-assignment": reverse(
                "grading:assignment_grading", args=[world.assignment.pk]
            ),
            "instructor-release": reverse("grading:release_grades", args=[world.assignment.pk]),
            "instructor-gradebook": gradebook,
            "instructor-course": world.course.get_absolute_url(),
        },
        artifacts_dir,
    )

    page.goto(f"{live_server.url}{hub}")
    expect(page.locator("#grader-consistency")).to_contain_text("Gina Grader")

    # At 375 px the very long name and title do not push the first marks out of view.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}{gradebook}")
    table = page.locator("#gradebook")
    maxi = table.locator("tbody tr", has_text="maxi")
    name_box = maxi.locator("th").bounding_box()
    mark_box = maxi.locator("td").first.bounding_box()
    assert name_box["width"] <= 12 * 16, name_box  # the sticky column caps at 12rem
    assert mark_box["x"] + mark_box["width"] <= 375, mark_box
    # The full name is still there, for pointer and screen reader users.
    assert maxi.locator(".student-name").get_attribute("title").startswith(LONG_NAME)
    page.screenshot(path=artifacts_dir / "a11y-gradebook-long-names-phone.png", full_page=True)


def test_public_pages_are_accessible(live_server, page: Page, db, artifacts_dir):
    check_pages(
        page,
        live_server.url,
        {
            "home": reverse("home"),
            "login": reverse("accounts:login"),
            "signup": reverse("lessons:signup"),
            "password-reset": reverse("accounts:password_reset"),
        },
        artifacts_dir,
    )


def _luminance(rgb: str) -> float:
    """Return the relative luminance (WCAG 2.1) of a computed "rgb(r, g, b)" colour."""
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _assert_focus_visible(page: Page, locator) -> None:
    """Fail unless LOCATOR, focused, shows a solid outline of 2px or more that stands
    out 3:1 from the navbar's background (WCAG 2.4.7, and 1.4.11 for its contrast)."""
    expect(locator).to_be_focused()
    style = locator.evaluate(
        """el => { const s = getComputedStyle(el);
            return {style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    color: s.outlineColor,
                    bar: getComputedStyle(el.closest('.navbar')).backgroundColor}; }"""
    )
    assert style["style"] not in ("none", "hidden") and style["width"] >= 2, style
    lighter, darker = sorted((_luminance(style["color"]), _luminance(style["bar"])), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3, style


def _tab_to(page: Page, locator, limit: int = 200) -> None:
    """Press Tab until LOCATOR has the focus (it must be reachable by keyboard)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{locator} is never reached with Tab")


def test_a_refused_form_marks_its_field_and_takes_the_focus_there(
    live_server, page: Page, world, password
):
    # After a refused form, focus stayed at the top of the page and the field was not
    # announced as invalid: a keyboard or screen-reader user had to hunt for the error.
    from projects.tests.factories import ProjectAssignmentFactory

    project = ProjectAssignmentFactory(course=world.course, slug="pairs", title="Pairs")
    log_in(page, live_server.url, "maxi", password)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.locator("#id_join_code").fill("ZZZZZZZZ")
    page.click("#join-group-btn")
    field = page.locator("#id_join_code")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    messages = " ".join(page.locator(f"#{id}").inner_text() for id in described.split())
    assert "No group" in messages or "code" in messages.lower(), messages
    assert_accessible(page)


def test_the_back_offices_tables_keep_their_last_columns_in_sight_at_1280(
    live_server, page: Page, world, alice, password, artifacts_dir
):
    """A rubric's criteria table was 1,307 px wide in a 901 px box: "Maximum points",
    the number an instructor comes to type, was scrolled out of sight."""
    world.correctness.description = "What we look for, in a sentence or two. " * 6
    world.correctness.save()
    log_in(page, live_server.url, "alice", password)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{reverse('admin:grading_rubric_change', args=[world.rubric.pk])}")
    table = page.locator("#criteria-group").bounding_box()
    assert table["x"] + table["width"] <= 1280, table
    for field in ("max_points", "DELETE"):
        box = page.locator(f"#id_criteria-0-{field}").bounding_box()
        assert box is not None and box["x"] + box["width"] <= table["x"] + table["width"], box
    description = page.locator("#id_criteria-0-description")
    # The long description shows whole lines as typed, not a 40-column slot.
    assert description.bounding_box()["height"] > 50
    page.screenshot(path=artifacts_dir / "admin-rubric-1280.png", full_page=True)

    # The lists' last columns (a project's groups that handed in, a lesson's state).
    for model in ("projects_projectassignment", "lessons_lesson", "lessons_module"):
        page.goto(f"{live_server.url}{reverse(f'admin:{model}_changelist')}")
        last = page.locator("#result_list thead th").last.bounding_box()
        assert last["x"] + last["width"] <= 1280, (model, last)
        page.screenshot(path=artifacts_dir / f"admin-{model}-1280.png", full_page=True)

    # Our own pages' breadcrumbs are the band of every admin page (the roster import's
    # had none and started at the page's left edge).
    def band() -> tuple[str, float]:
        crumbs = page.locator("nav ol.breadcrumbs")
        color = crumbs.evaluate("e => getComputedStyle(e).backgroundColor")
        return color, crumbs.locator("li").first.bounding_box()["x"]

    page.goto(f"{live_server.url}{reverse('admin:lessons_module_changelist')}")
    usual = band()
    for url in (
        reverse("admin:lessons_enrollment_import_roster"),
        reverse("admin:lessons_course_progress", args=[world.course.pk]),
    ):
        page.goto(f"{live_server.url}{url}")
        assert band() == usual, url


def test_probe_31_back_office_rows_tablet_navbar_phone_lesson_and_test_queue(
    live_server, page: Page, world, alice, password, artifacts_dir
):
    """What an outside axe and layout probe found (probe 31): the lists' editable columns
    and the inline rows' "Delete?" boxes had no name; the instructor's navbar ran off the
    page from 768 to 830 px; on a phone the lesson came after its progress card visually
    but before it in tab order; the test queue's suites table pushed the page sideways."""
    from django.core.files.base import ContentFile

    from autograding.models import TestSuite

    TestSuite.objects.create(
        assignment=world.assignment, archive=ContentFile(b"PK\x05\x06" + bytes(18), "t.zip")
    )
    log_in(page, live_server.url, "alice", password)
    page.set_viewport_size({"width": 1280, "height": 900})
    for name in ("admin:lessons_lesson_changelist", "admin:lessons_module_changelist"):
        page.goto(f"{live_server.url}{reverse(name)}")
        assert_accessible(page)
        order = page.locator("#id_form-0-order")
        assert order.get_attribute("aria-label").startswith("Order of “")
    page.goto(f"{live_server.url}{reverse('admin:lessons_course_change', args=[world.course.pk])}")
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('admin:projects_group_change', args=[world.group.pk])}")
    assert page.locator(".select2-selection").count() > 0  # a new row's student box
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('admin:lessons_course_change', args=[world.course.pk])}")
    delete = page.locator('label[for="id_modules-0-DELETE"]')
    assert delete.inner_text().startswith("Delete “") and "Getting started" in delete.inner_text()

    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{live_server.url}{reverse('lessons:dashboard')}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, overflow
    page.screenshot(path=artifacts_dir / "a11y-instructor-dashboard-800.png", full_page=True)

    check_pages(
        page, live_server.url, {"instructor-tests": reverse("autograding:queue")}, artifacts_dir
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}{world.lesson.get_absolute_url()}")
    article = page.locator("main article").first.bounding_box()
    aside = page.locator("main aside").first.bounding_box()
    assert article["y"] < aside["y"], (article, aside)  # read first, as tabbed first


def test_probe_71_phones_large_text_tablets_and_paper(
    live_server, page: Page, world, alice, bob, grace, password, artifacts_dir
):
    """What a probe on small screens found (probe 71): the profile's token table pushed
    a phone's page sideways; one line comment holding a long code span widened the code
    table and cut every line of the file; at 200 % text the navbar's account menu left
    the screen; a tablet's back office left the list 160 px; printed feedback held the
    navbar and buttons but none of the line comments."""
    from api.tokens import token_create

    token_create(user=bob, name="My laptop script for syncing submissions nightly", scope="read")
    services.line_comment_add(
        review=world.review,
        by=grace,
        path="app.py",
        line=1,
        text="Use `Item.objects.select_related('category').prefetch_related('tags')` once.",
    )
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    feedback = reverse("grading:feedback", args=[world.submission.pk])
    log_in(page, live_server.url, "bob", password)
    check_pages(
        page,
        live_server.url,
        {
            "probe71-profile": reverse("accounts:profile"),
            "probe71-feedback": feedback + "?path=app.py",
        },
        artifacts_dir,
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}{feedback}?path=app.py")
    pane = page.locator(".viewer-pane").bounding_box()
    code = page.locator("#code").bounding_box()
    assert code["width"] <= pane["width"] + 1, (code, pane)  # no line cut at the right

    # Text at 200 %: the account menu stays on the screen.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{reverse('lessons:dashboard')}")
    page.evaluate("document.documentElement.style.setProperty('font-size', '200%', 'important')")
    who = page.locator("#who").bounding_box()
    assert who["x"] + who["width"] <= 1280, who

    # On paper: the content, every line comment, no navbar or buttons.
    page.goto(f"{live_server.url}{feedback}")
    page.emulate_media(media="print")
    expect(page.locator(".navbar")).to_be_hidden()
    expect(page.locator("#regrade-form")).to_be_hidden()
    expect(page.locator("#all-line-comments")).to_contain_text("app.py, line 1")
    expect(page.locator("#all-line-comments")).to_contain_text("select_related")
    page.pdf(path=artifacts_dir / "probe71-feedback.pdf")
    # A lesson prints its quiz's choices (content), not their buttons.
    from practice.services import lesson_practice_sync
    from practice.tests.quiz_text import QUIZ

    world.lesson.body = QUIZ
    world.lesson.is_published = True
    world.lesson.save()
    lesson_practice_sync(lesson=world.lesson)
    page.goto(f"{live_server.url}{world.lesson.get_absolute_url()}")
    expect(page.locator(".practice-choice").first).to_be_visible()
    expect(page.get_by_role("button", name="Check my answer").first).to_be_hidden()
    page.emulate_media(media="screen")

    # A tablet's back office starts with its navigation closed: the list has the room.
    log_in(page, live_server.url, "alice", password)
    page.evaluate("localStorage.clear()")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{live_server.url}{reverse('admin:lessons_enrollment_changelist')}")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    search = page.locator("#searchbar").bounding_box()
    assert search["width"] > 100, search  # was 10 px beside the open navigation
    page.screenshot(path=artifacts_dir / "probe71-admin-tablet.png", full_page=True)
