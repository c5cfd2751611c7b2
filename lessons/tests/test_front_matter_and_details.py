"""A course folder's front matter giving a key twice, and lessons' folded sections."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from lessons.models import Course, Lesson
from lessons.rendering import render_markdown

from .factories import EnrollmentFactory, LessonFactory
from .test_bundle_hostile import LESSON, lesson, small_bundle, snapshot

pytestmark = pytest.mark.django_db


def refused(course: Path) -> str:
    with pytest.raises(CommandError) as info:
        call_command("import_course", str(course), verbosity=0)
    text = str(info.value)
    assert "nothing was changed" in text
    return text


@pytest.mark.parametrize(
    ("relative", "content", "message"),
    [
        (
            "01-basics/01-one.md",
            lesson("title: One\ntitle: Uno\nslug: one\norder: 1"),
            f"{LESSON}:3: “title” is given twice",
        ),
        (
            "01-basics/01-one.md",
            lesson("title: One\nslug: one\norder: 1\npublished: true\npublished: false"),
            f"{LESSON}:6: “published” is given twice",
        ),
        (
            "course.md",
            lesson("title: Tiny\nslug: tiny\ncode: T\nslug: other"),
            "tiny/course.md:5: “slug” is given twice",
        ),
        (
            "01-basics/module.md",
            lesson("title: Basics\norder: 1\n'order': 2"),
            "tiny/01-basics/module.md:4: “order” is given twice",  # quoted, the same key
        ),
    ],
)
def test_a_key_given_twice_is_refused_with_its_second_line(tmp_path, relative, content, message):
    # The last one used to win silently: the author never learnt which title was kept.
    course = small_bundle(tmp_path)
    call_command("import_course", str(course), verbosity=0)
    (course / relative).write_bytes(content)
    before = snapshot()
    assert message in refused(course)
    assert snapshot() == before


def test_a_null_key_is_named_on_its_own_line(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "01-one.md").write_bytes(
        lesson("title: One\nslug: one\norder: 1\n~: x")
    )
    text = refused(course)
    assert f"{LESSON}:5: unknown key ~" in text
    assert not Course.objects.exists()


def test_the_same_word_in_two_mappings_is_not_a_repeat(tmp_path):
    course = small_bundle(tmp_path)
    quiz = "```question\nid: {0}\nkind: text\nprompt: P\nanswers: [x]\n```\n\n"
    body = quiz.format("q") + quiz.format("r")
    (course / "01-basics" / "01-one.md").write_bytes(
        lesson("title: One\nslug: one\norder: 1", body)
    )
    call_command("import_course", str(course), verbosity=0)
    assert Lesson.objects.get(slug="one").questions.count() == 2


# <details open> ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<details open><summary>s</summary>z</details>",
        '<details open="open"><summary>s</summary>z</details>',
        "<details\nopen>\n<summary>s</summary>\n\nz\n</details>",
    ],
)
def test_a_section_written_open_stays_open(source):
    html = render_markdown(source).html
    assert '<details open="">' in html
    assert "<summary>s</summary>" in html


def test_a_closed_section_stays_closed():
    assert (
        "<details><summary>s</summary>z</details>"
        in render_markdown("<details><summary>s</summary>z</details>").html
    )


@pytest.mark.parametrize(
    "source",
    [
        '<details open ontoggle="alert(1)"><summary>s</summary>z</details>',
        '<details open="javascript:alert(1)" name="nav"><summary>s</summary>z</details>',
        '<details open class="position-fixed" style="inset:0" id="navbar"><summary>s</summary>'
        "z</details>",
        '<details open><summary onclick="alert(1)" class="stretched-link">s</summary>z</details>',
    ],
)
def test_open_brings_no_other_attribute_with_it(source):
    html = render_markdown(source).html
    assert '<details open="">' in html
    for attack in ("ontoggle", "onclick", "javascript", "name=", "class=", "style=", "id="):
        assert attack not in html


def test_a_lesson_page_shows_the_section_open(client, bob):
    page_lesson = LessonFactory(body="<details open><summary>Hint</summary>Use a loop.</details>")
    EnrollmentFactory(user=bob, course=page_lesson.module.course, role=Role.STUDENT)
    client.force_login(bob)
    page = client.get(page_lesson.get_absolute_url()).content.decode()
    assert '<details open=""><summary>Hint</summary>Use a loop.</details>' in page
