"""Course bundles: import, export, round trip, idempotency and bad bundles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from lessons.bundle import BundleError, read_course
from lessons.models import Course, Lesson, Module
from lessons.services import course_import

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "courses" / "python-web-development"


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A writable copy of the demo bundle."""
    target = tmp_path / "python-web-development"
    shutil.copytree(DEMO, target)
    return target


def small_bundle(root: Path) -> Path:
    course = root / "tiny"
    (course / "01-basics").mkdir(parents=True)
    (course / "course.md").write_text(
        "---\ntitle: Tiny\nslug: tiny\ncode: T\nterm: 2025\npublished: true\n---\nSummary.\n"
    )
    (course / "01-basics" / "module.md").write_text("---\ntitle: Basics\norder: 1\n---\n")
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One\nslug: one\norder: 1\npublished: true\n---\nFirst.\n"
    )
    (course / "01-basics" / "02-two.md").write_text(
        "---\ntitle: Two\nslug: two\norder: 2\npublished: true\n---\nSecond.\n"
    )
    return course


def snapshot() -> dict:
    return {
        "courses": list(Course.objects.values_list("slug", "title", "updated_at")),
        "modules": list(Module.objects.values_list("slug", "title", "order")),
        "lessons": list(Lesson.objects.values_list("slug", "title", "order", "body", "updated_at")),
    }


def test_the_demo_bundle_imports_five_modules_and_33_lessons():
    report = course_import(path=DEMO)
    course = Course.objects.get(slug="python-web-development")
    assert report.course == course
    assert (course.title, course.code, course.term) == (
        "Python for Web Development",
        "PYWEB",
        "2024-2025",
    )
    assert course.is_published
    assert "<li>" in course.objectives_html and "<li>" in course.prerequisites_html
    assert course.modules.count() == 5
    assert Lesson.objects.filter(module__course=course).count() == 33
    http = Lesson.objects.get(slug="http-and-https")
    assert http.module.order == 1 and http.order == 3 and http.estimated_minutes == 25
    assert '<div class="highlight">' in http.body_html and http.toc_html


def test_importing_twice_changes_nothing():
    first = course_import(path=DEMO)
    # A new course: everything created, nothing updated (its questions came with it).
    assert len(first.created) == 1 + 5 + 33 and first.updated == []
    before = snapshot()
    report = course_import(path=DEMO)
    assert not report.changed
    assert report.unchanged == 1 + 5 + 33
    assert snapshot() == before  # updated_at included


def test_a_renamed_lesson_is_updated_not_duplicated(bundle):
    course_import(path=bundle)
    lesson_file = bundle / "01-introduction-to-web-applications" / "03-http-and-https.md"
    lesson_file.write_text(
        lesson_file.read_text().replace("title: HTTP and HTTPS", "title: HTTP/2")
    )
    report = course_import(path=bundle)
    assert report.updated == ["lesson http-and-https (title)"]
    assert Lesson.objects.filter(slug="http-and-https").get().title == "HTTP/2"
    assert Lesson.objects.count() == 33


def test_a_lesson_moved_to_another_module_keeps_its_progress(bundle, bob):
    from lessons.models import LessonCompletion

    course_import(path=bundle)
    lesson = Lesson.objects.get(slug="mvc-pattern")
    LessonCompletion.objects.create(user=bob, lesson=lesson)
    source = bundle / "01-introduction-to-web-applications" / "09-mvc-pattern.md"
    target = bundle / "03-introduction-to-django" / "99-mvc-pattern.md"
    target.write_text(source.read_text().replace("order: 9", "order: 99"))
    source.unlink()
    course_import(path=bundle)
    lesson.refresh_from_db()
    assert lesson.module.slug == "introduction-to-django" and lesson.order == 99
    assert LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()


def test_export_writes_back_the_same_files(tmp_path):
    course_import(path=DEMO)
    out = tmp_path / "export"
    call_command("export_course", "python-web-development", str(out), verbosity=0)
    original = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*.md"))
    exported = sorted(p.relative_to(out) for p in out.rglob("*.md"))
    assert exported == original
    for relative in original:
        assert (out / relative).read_text() == (DEMO / relative).read_text(), relative


def test_a_round_trip_into_another_slug_loses_nothing(tmp_path):
    course_import(path=DEMO)
    out = tmp_path / "export"
    call_command("export_course", "python-web-development", str(out), verbosity=0)
    call_command("import_course", str(out), slug="pyweb-copy", verbosity=0)
    fields = ("title", "order", "estimated_minutes", "is_published", "body", "body_html")

    def lessons(slug: str) -> list[tuple]:
        return list(
            Lesson.objects.filter(module__course__slug=slug)
            .in_course_order()
            .values_list("slug", "module__slug", "module__title", "module__summary", *fields)
        )

    assert lessons("pyweb-copy") == lessons("python-web-development")
    original, copy = (
        Course.objects.get(slug="python-web-development"),
        Course.objects.get(slug="pyweb-copy"),
    )
    for name in ("title", "code", "term", "summary", "objectives", "prerequisites", "is_published"):
        assert getattr(copy, name) == getattr(original, name), name
    assert copy.enrollment_key != original.enrollment_key


def test_export_refuses_a_non_empty_folder_unless_forced(tmp_path):
    course_import(path=DEMO)
    out = tmp_path / "export"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_course", "python-web-development", str(out), verbosity=0)
    (out / "99-stale").mkdir()
    (out / "99-stale" / "module.md").write_text("---\ntitle: Stale\norder: 99\n---\n")
    call_command("export_course", "python-web-development", str(out), force=True, verbosity=0)
    assert not (out / "99-stale").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert read_course(out).slug == "python-web-development"


def assert_rejected(path: Path, *expected: str) -> str:
    before = snapshot()
    with pytest.raises(CommandError) as info:
        call_command("import_course", str(path), verbosity=0)
    message = str(info.value)
    for text in expected:
        assert text in message, message
    assert "nothing was changed" in message
    assert snapshot() == before
    return message


def test_a_lesson_without_a_title_is_rejected_with_file_and_line(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "02-two.md").write_text("---\nslug: two\norder: 2\n---\nSecond.\n")
    assert_rejected(course, "tiny/01-basics/02-two.md:1: the front matter has no 'title'")
    assert not Course.objects.filter(slug="tiny").exists()


def test_a_duplicate_order_is_rejected_with_the_line_of_the_key(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "02-two.md").write_text(
        "---\ntitle: Two\nslug: two\norder: 1\n---\nSecond.\n"
    )
    assert_rejected(
        course,
        "tiny/01-basics/02-two.md:4: duplicate lesson order in this module 1",
        "already used by tiny/01-basics/01-one.md",
    )


def test_a_duplicate_slug_across_modules_is_rejected(tmp_path):
    course = small_bundle(tmp_path)
    (course / "02-more").mkdir()
    (course / "02-more" / "module.md").write_text("---\ntitle: More\norder: 2\n---\n")
    (course / "02-more" / "01-one.md").write_text("---\ntitle: Again\nslug: one\norder: 1\n---\n")
    assert_rejected(course, "tiny/02-more/01-one.md:3: duplicate lesson slug 'one'")


def test_invalid_yaml_is_rejected_with_the_line_in_the_file(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One\nslug: one\norder: [1\npublished: true\n---\nFirst.\n"
    )
    message = assert_rejected(course, "tiny/01-basics/01-one.md:5: invalid front matter")
    assert "expected ',' or ']'" in message


def test_a_wrongly_typed_value_and_an_unknown_key_are_reported_together(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "module.md").write_text(
        "---\ntitle: Basics\norder: first\ncolour: blue\n---\n"
    )
    assert_rejected(
        course,
        "tiny/01-basics/module.md:3: order must be a whole number, not 'first'",
        "tiny/01-basics/module.md:4: unknown key 'colour'",
    )


def test_a_missing_front_matter_fence_is_reported(tmp_path):
    course = small_bundle(tmp_path)
    (course / "course.md").write_text("title: Tiny\n")
    assert_rejected(course, "tiny/course.md:1: must start with a '---' line")
    (course / "course.md").write_text("---\ntitle: Tiny\nslug: tiny\n")
    assert_rejected(course, "tiny/course.md:1: the front matter opened here is never closed")


def test_a_bad_bundle_leaves_an_existing_course_untouched(tmp_path):
    course = small_bundle(tmp_path)
    course_import(path=course)
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One renamed\nslug: one\norder: 1\n---\nChanged.\n"
    )
    (course / "01-basics" / "02-two.md").write_text("---\ntitle: Two\norder: 2\n---\n")
    assert_rejected(course, "02-two.md:1: the front matter has no 'slug'")
    assert Lesson.objects.get(slug="one").title == "One"


def test_the_import_is_all_or_nothing_even_when_the_database_fails(tmp_path, database_refuses):
    from django.db import DatabaseError

    course = small_bundle(tmp_path)
    # The second lesson's row is refused: the course and the first lesson must go too.
    database_refuses("lessons_lesson", when="NEW.slug = 'two'")
    with pytest.raises(DatabaseError):
        course_import(path=course)
    assert not Course.objects.filter(slug="tiny").exists()
    assert not Lesson.objects.exists()


def test_content_missing_from_the_bundle_is_reported_and_kept(tmp_path):
    course = small_bundle(tmp_path)
    course_import(path=course)
    (course / "01-basics" / "02-two.md").unlink()
    report = course_import(path=course)
    assert report.not_in_bundle == ["lesson two"]
    assert Lesson.objects.filter(slug="two").exists()


def test_a_slug_changed_in_the_bundle_says_the_old_lesson_keeps_the_work(tmp_path):
    """Probe 130: a lesson's slug changed in the bundle made a second published lesson of
    the same title, the students' completions left on the first, unsaid."""
    course = small_bundle(tmp_path)
    course_import(path=course)
    two = course / "01-basics" / "02-two.md"
    two.write_text(two.read_text().replace("slug: two", "slug: second"))
    report = course_import(path=course)
    assert report.not_in_bundle == ["lesson two"]
    assert (
        "lesson second is new, and lesson two of the same title is no longer in the bundle: "
        "if its slug was changed, the new lesson is a copy, and the students' completions "
        "and answers stay on two, which is still published."
    ) in " ".join(report.notices)
    # A lesson only taken out of the bundle is not taken for a renamed one.
    two.unlink()
    assert not any("is new" in n for n in course_import(path=course).notices)


def test_the_dry_run_rolls_back(tmp_path):
    course = small_bundle(tmp_path)
    call_command("import_course", str(course), dry_run=True, verbosity=0)
    assert not Course.objects.filter(slug="tiny").exists()


def test_a_course_nobody_teaches_says_who_should(tmp_path, alice):
    """A new course came in with nobody to teach it, visible to superusers only, and
    the command did not say so (probe 68)."""
    from io import StringIO

    from accounts.models import Role
    from lessons.models import Enrollment

    course = small_bundle(tmp_path)
    out = StringIO()
    call_command("import_course", str(course), stdout=out)
    assert "Nobody teaches tiny yet: enroll its instructor with" in out.getvalue()
    Enrollment.objects.create(user=alice, course=Course.objects.get(), role=Role.INSTRUCTOR)
    out = StringIO()
    call_command("import_course", str(course), stdout=out)
    assert "Nobody teaches" not in out.getvalue()


def test_read_course_lists_every_problem_at_once(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "01-one.md").write_text("---\norder: x\n---\n")
    with pytest.raises(BundleError) as info:
        read_course(course)
    assert len(info.value.errors) >= 3  # no title, no slug, bad order


QUESTION = """```question
id: six-by-seven
kind: number
prompt: What is six times seven?
answer: 42
```
"""


def test_a_bundle_taking_out_an_answered_question_is_refused_unless_asked(tmp_path, bob):
    """The import deleted students' answers to a question taken out of the bundle with
    only "1 removed" said, dry run included (probe 68); the back office asks first."""
    from io import StringIO

    from practice.models import Attempt, Question

    course = small_bundle(tmp_path)
    lesson_file = course / "01-basics" / "01-one.md"
    lesson_file.write_text(lesson_file.read_text() + "\n" + QUESTION)
    course_import(path=course)
    question = Question.objects.get(slug="six-by-seven")
    Attempt.objects.create(user=bob, question=question, answer="42", correct=True)
    lesson_file.write_text(lesson_file.read_text().replace(QUESTION, ""))
    for dry_run in (True, False):
        with pytest.raises(CommandError) as refused:
            call_command("import_course", str(course), dry_run=dry_run, verbosity=0)
        assert "01-one.md:7: Importing takes out “six-by-seven”, which students answered" in str(
            refused.value
        )
        assert "import with --delete-answers" in str(refused.value)
        assert Attempt.objects.filter(user=bob).count() == 1
    out = StringIO()
    call_command("import_course", str(course), delete_answers=True, stdout=out)
    assert not Question.objects.filter(slug="six-by-seven").exists()
    assert not Attempt.objects.exists()
    assert (
        "lesson one: The questions removed from the lesson took 1 answer of 1 student with them."
        in out.getvalue()
    )


def test_a_course_saved_from_a_browser_exports_a_bundle_that_imports(tmp_path):
    """A browser's text box sends CRLF: the course's objectives were stored with it, the
    export wrote it and the import refused "invisible control character (U+000D)"
    (probe 68)."""
    course_import(path=small_bundle(tmp_path))
    course = Course.objects.get(slug="tiny")
    course.objectives = "Learn things\r\n\r\n- and more"
    course.prerequisites = "None\r\n"
    course.save()
    course.refresh_from_db()
    assert course.objectives == "Learn things\n\n- and more"
    out = tmp_path / "export"
    call_command("export_course", "tiny", str(out), verbosity=0)
    call_command("import_course", str(out), slug="tiny-copy", verbosity=0)
    assert Course.objects.get(slug="tiny-copy").objectives == "Learn things\n\n- and more"
    # A bundle exported before (its values written with CRLF) reads as well.
    lines = (out / "course.md").read_text().split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("prerequisites:"))
    while lines[at + 1].startswith(" "):  # its block's lines
        del lines[at + 1]
    lines[at] = 'prerequisites: "A\\r\\nB"'
    (out / "course.md").write_text("\n".join(lines))
    call_command("import_course", str(out), slug="tiny-old", verbosity=0)
    assert Course.objects.get(slug="tiny-old").prerequisites == "A\nB"


def test_modules_saved_without_a_slug_export_and_import_back_unchanged(tmp_path):
    """A module saved with no slug (the back office allowed it) exported to a folder the
    import did not find again: a second module on each re-import, or two modules in one
    folder, refused (probe 68)."""
    course_import(path=small_bundle(tmp_path))
    course = Course.objects.get(slug="tiny")
    chinese = Module.objects.create(course=course, title="模块 🚀", order=2, slug="")
    twin = Module.objects.create(course=course, title="Basics", order=3, slug="")
    assert (chinese.slug, twin.slug) == ("module", "basics-2")  # "basics" is the first's
    out = tmp_path / "export"
    call_command("export_course", "tiny", str(out), verbosity=0)
    report = course_import(path=out)
    assert (report.created, report.updated) == ([], [])
    assert course.modules.count() == 3


def test_the_migration_gives_every_module_without_a_slug_one(tmp_path):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("lessons.migrations.0020_module_slugs_given")
    course_import(path=small_bundle(tmp_path))
    course = Course.objects.get(slug="tiny")
    for order, title in ((2, "模块"), (3, "Basics"), (4, "模块")):
        module = Module.objects.create(course=course, title=title, order=order)
        Module.objects.filter(pk=module.pk).update(slug="")  # as saved before
    migration.give_slugs(apps, None)
    assert list(course.modules.order_by("order").values_list("slug", flat=True)) == [
        "basics",
        "module",
        "basics-2",
        "module-2",
    ]


def test_a_slug_differing_only_in_capitals_is_refused_as_the_back_office_does(tmp_path):
    """The import made /courses/Tiny/ beside /courses/tiny/ (probe 68)."""
    course = small_bundle(tmp_path)
    course_import(path=course)
    with pytest.raises(CommandError) as refused:
        call_command("import_course", str(course), slug="Tiny", verbosity=0)
    assert (
        "the slug given (Tiny): another course already uses this slug (in any capitals): tiny"
        in str(refused.value)
    )
    assert list(Course.objects.values_list("slug", flat=True)) == ["tiny"]


def test_two_lessons_of_one_order_export_to_a_bundle_that_imports(tmp_path):
    """The back office takes two lessons of order 1 in a module; the export wrote both as
    order 1 and the import refused its own bundle (probe 68)."""
    course_import(path=small_bundle(tmp_path))
    Lesson.objects.filter(slug="two").update(order=1)
    out = tmp_path / "export"
    call_command("export_course", "tiny", str(out), verbosity=0)
    assert sorted(p.name for p in (out / "01-basics").glob("0*.md")) == ["01-one.md", "02-two.md"]
    call_command("import_course", str(out), verbosity=0)
    assert list(Lesson.objects.order_by("order").values_list("slug", "order")) == [
        ("one", 1),
        ("two", 2),
    ]


def test_importing_over_a_back_office_edit_says_so_first_and_records_the_import(tmp_path, alice):
    """Probe 79: importing an old checkout undid an instructor's edit made in the back
    office without a word, the dry run said only "2 updated", and the history row of
    the import named nobody and no reason."""
    from io import StringIO

    course = small_bundle(tmp_path)
    course_import(path=course)
    lesson = Lesson.objects.get(slug="one")
    lesson.title, lesson._history_user = "One, as the instructor fixed it", alice
    lesson.save()

    out = StringIO()
    call_command("import_course", str(course), dry_run=True, stdout=out)
    said = out.getvalue()
    assert "updated lesson one (title)" in said
    assert f"lesson one: replaces the edit {alice} saved in the back office on" in said
    assert Lesson.objects.get(slug="one").title == "One, as the instructor fixed it"

    report = course_import(path=course)
    assert any(notice.startswith("lesson one: replaces the edit") for notice in report.notices)
    latest = Lesson.objects.get(slug="one").history.order_by("-history_date").first()
    assert latest.title == "One" and latest.history_change_reason == "import_course"
    # The edit is kept in the history, to copy back.
    assert lesson.history.filter(title="One, as the instructor fixed it").exists()
    # An import over an import says nothing.
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One again\nslug: one\norder: 1\npublished: true\n---\nFirst.\n"
    )
    assert course_import(path=course).notices == []


def test_a_published_line_left_out_says_it_unpublishes(tmp_path):
    """Probe 130: a lesson whose 'published:' line was left out became a draft, unsaid."""
    course = small_bundle(tmp_path)
    course_import(path=course)
    one = course / "01-basics" / "01-one.md"
    one.write_text(one.read_text().replace("published: true\n", ""))
    report = course_import(path=course)
    assert (
        "lesson one has no 'published:' value, so it is a draft now, hidden from students: "
        "add 'published: true' to its front matter to keep it published."
    ) in report.notices
    assert not Lesson.objects.get(slug="one").is_published
    # Said once: imported again, nothing left to say.
    assert not any("published:" in n for n in course_import(path=course).notices)
    # Left empty, as much (probe 131: "published:" or "published: ~" unsaid).
    Lesson.objects.filter(slug="one").update(is_published=True)
    one.write_text(one.read_text().replace("order: 1\n", "order: 1\npublished:\n"))
    assert any(
        "lesson one has no 'published:' value" in n for n in course_import(path=course).notices
    )
