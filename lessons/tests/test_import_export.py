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


def test_the_dry_run_rolls_back(tmp_path):
    course = small_bundle(tmp_path)
    call_command("import_course", str(course), dry_run=True, verbosity=0)
    assert not Course.objects.filter(slug="tiny").exists()


def test_read_course_lists_every_problem_at_once(tmp_path):
    course = small_bundle(tmp_path)
    (course / "01-basics" / "01-one.md").write_text("---\norder: x\n---\n")
    with pytest.raises(BundleError) as info:
        read_course(course)
    assert len(info.value.errors) >= 3  # no title, no slug, bad order
