"""Lesson attachments in course bundles: exported as files, imported again, and hostile
bundles refused (probe 49: a course moved with export_course lost every lesson file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from lessons.bundle import read_course
from lessons.models import Course, LessonAttachment
from lessons.services import course_import
from lessons.tests.factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

SLIDES = b"%PDF-1.4 slides\x00\xff"
STARTER = b"print('hello')\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def attach(lesson, title: str, name: str, content: bytes, order: int) -> LessonAttachment:
    attachment = LessonAttachment(lesson=lesson, title=title, order=order)
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


@pytest.fixture
def course(media) -> Course:
    """A course whose lesson "http" has two files, in the order the teacher gave them."""
    course = CourseFactory(slug="web", title="Web")
    module = ModuleFactory(course=course, order=1, title="Basics", slug="basics")
    lesson = LessonFactory(module=module, order=1, title="HTTP", slug="http", body="Text.")
    attach(lesson, "Starter code", "starter.py", STARTER, order=2)
    attach(lesson, "Slides 2024", "slides.pdf", SLIDES, order=1)
    return course


def attachments(slug: str) -> list[tuple]:
    rows = LessonAttachment.objects.filter(lesson__module__course__slug=slug)
    return [
        (a.lesson.slug, a.title, a.order, a.filename, a.file.open("rb").read())
        for a in rows.order_by("lesson__slug", "order")
    ]


EXPECTED = [
    ("http", "Slides 2024", 1, "slides.pdf", SLIDES),
    ("http", "Starter code", 2, "starter.py", STARTER),
]


def export(tmp_path, slug: str = "web") -> Path:
    out = tmp_path / "export"
    call_command("export_course", slug, str(out), verbosity=0)
    return out


def test_the_export_writes_the_files_beside_the_lesson_and_lists_them(course, tmp_path):
    out = export(tmp_path)
    files = out / "01-basics" / "01-http.files"
    assert (files / "slides.pdf").read_bytes() == SLIDES
    assert (files / "starter.py").read_bytes() == STARTER
    lesson = (out / "01-basics" / "01-http.md").read_text()
    assert (
        "attachments:\n"
        "  - title: Slides 2024\n    file: 01-http.files/slides.pdf\n    order: 1\n"
        "  - title: Starter code\n    file: 01-http.files/starter.py\n    order: 2\n"
    ) in lesson


def test_a_round_trip_under_a_new_slug_keeps_titles_order_and_bytes(course, tmp_path):
    out = export(tmp_path)
    call_command("import_course", str(out), slug="web-copy", verbosity=0)
    assert attachments("web-copy") == EXPECTED
    assert attachments("web") == EXPECTED


def test_a_round_trip_after_deleting_the_course_keeps_the_files(course, tmp_path):
    out = export(tmp_path)
    course.delete()
    call_command("import_course", str(out), verbosity=0)
    assert attachments("web") == EXPECTED


def test_importing_the_same_bundle_twice_adds_no_attachment(course, tmp_path, media):
    out = export(tmp_path)
    first = course_import(path=out, slug="copy")
    assert sum("attachment" in line for line in first.created) == 2
    before = (list(LessonAttachment.objects.values_list("pk", "file")), stored_files(media))
    report = course_import(path=out, slug="copy")
    assert not report.changed
    assert (list(LessonAttachment.objects.values_list("pk", "file")), stored_files(media)) == before


def test_a_changed_file_replaces_the_attachment_in_place(course, tmp_path):
    out = export(tmp_path)
    (out / "01-basics" / "01-http.files" / "slides.pdf").write_bytes(b"new slides")
    lesson_file = out / "01-basics" / "01-http.md"
    lesson_file.write_text(lesson_file.read_text().replace("Slides 2024", "Slides 2025"))
    before = set(LessonAttachment.objects.values_list("pk", flat=True))
    report = course_import(path=out)
    assert report.updated == ["attachment slides.pdf of lesson http (file, title)"]
    assert set(LessonAttachment.objects.values_list("pk", flat=True)) == before
    _, title, order, name, content = attachments("web")[0]
    assert (title, order, content) == ("Slides 2025", 1, b"new slides")
    # The old file stays until the commit (a rollback keeps it): the new one is stored
    # beside it, under the name the storage makes free ("slides_a1B2c3d.pdf").
    assert name.startswith("slides") and name.endswith(".pdf")
    assert not course_import(path=out).changed


def test_files_with_the_same_name_are_exported_under_distinct_names(course, tmp_path):
    lesson = course.modules.get().lessons.get()
    twin = LessonAttachment.objects.create(lesson=lesson, title="Old slides", order=3)
    twin.file.name = "lessons/999/slides.pdf"  # another lesson's folder, same name
    twin.file.storage.save(twin.file.name, ContentFile(b"old"))
    twin.save()
    out = export(tmp_path)
    call_command("import_course", str(out), slug="copy", verbosity=0)
    copied = attachments("copy")
    assert [row[1:3] for row in copied] == [
        ("Slides 2024", 1),
        ("Starter code", 2),
        ("Old slides", 3),
    ]
    assert copied[2][4] == b"old"
    assert sorted(p.name for p in (out / "01-basics" / "01-http.files").iterdir()) == [
        "slides-2.pdf",
        "slides.pdf",
        "starter.py",
    ]


def test_the_export_stops_at_a_file_the_server_lost_and_writes_nothing(course, tmp_path):
    lost = LessonAttachment.objects.get(title="Starter code")
    lost.file.storage.delete(lost.file.name)
    out = tmp_path / "export"
    with pytest.raises(CommandError) as info:
        call_command("export_course", "web", str(out), verbosity=0)
    message = str(info.value)
    assert "Starter code" in message and "http" in message and "starter.py" in message
    assert not out.exists() or not any(out.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name != "media"] in ([], ["export"])


def test_a_forced_export_that_fails_keeps_the_previous_one(course, tmp_path):
    out = export(tmp_path)
    lost = LessonAttachment.objects.get(title="Starter code")
    lost.file.storage.delete(lost.file.name)
    with pytest.raises(CommandError, match="Starter code"):
        call_command("export_course", "web", str(out), force=True, verbosity=0)
    assert (out / "01-basics" / "01-http.files" / "starter.py").read_bytes() == STARTER
    assert read_course(out).slug == "web"


# Hostile bundles ------------------------------------------------------------------------
LESSON_HEAD = "---\ntitle: One\nslug: one\norder: 1\nattachments:\n"  # the entries start on line 6


def small_bundle(root: Path, entries: str) -> Path:
    course = root / "tiny"
    (course / "01-basics").mkdir(parents=True)
    (course / "course.md").write_text("---\ntitle: Tiny\nslug: tiny\n---\n")
    (course / "01-basics" / "module.md").write_text("---\ntitle: Basics\norder: 1\n---\n")
    (course / "01-basics" / "01-one.md").write_text(f"{LESSON_HEAD}{entries}---\nFirst.\n")
    (course / "01-basics" / "01-one.files").mkdir()
    (course / "01-basics" / "01-one.files" / "notes.txt").write_text("notes")
    return course


def assert_refused(course: Path, media: Path, *expected: str) -> None:
    with pytest.raises(CommandError) as info:
        call_command("import_course", str(course), verbosity=0)
    message = str(info.value)
    for text in expected:
        assert text in message, message
    assert "nothing was changed" in message
    assert not Course.objects.filter(slug="tiny").exists()
    assert stored_files(media) == []


def test_a_well_formed_bundle_imports_its_file(tmp_path, media):
    course = small_bundle(tmp_path, "  - title: Notes\n    file: 01-one.files/notes.txt\n")
    call_command("import_course", str(course), verbosity=0)
    assert attachments("tiny") == [("one", "Notes", 0, "notes.txt", b"notes")]


@pytest.mark.parametrize(
    "name", ["../../../secret.txt", "01-one.files/../../../secret.txt", "/etc/passwd"]
)
def test_a_path_leaving_the_bundle_is_refused_with_file_and_line(tmp_path, media, name):
    (tmp_path / "secret.txt").write_text("secret")
    course = small_bundle(
        tmp_path,
        f"  - title: Notes\n    file: 01-one.files/notes.txt\n"
        f"  - title: Secret\n    file: {name}\n",
    )
    assert_refused(course, media, "tiny/01-basics/01-one.md:9", name)


def test_a_file_missing_from_the_bundle_is_refused_with_file_and_line(tmp_path, media):
    course = small_bundle(tmp_path, "  - title: Gone\n    file: 01-one.files/gone.pdf\n")
    assert_refused(course, media, "tiny/01-basics/01-one.md:7", "gone.pdf")


def test_a_symlink_to_a_file_outside_the_bundle_is_refused(tmp_path, media):
    (tmp_path / "secret.txt").write_text("secret")
    course = small_bundle(tmp_path, "  - title: Link\n    file: 01-one.files/link.txt\n")
    os.symlink(tmp_path / "secret.txt", course / "01-basics" / "01-one.files" / "link.txt")
    assert_refused(course, media, "tiny/01-basics/01-one.md:7", "link.txt")


def test_a_refused_attachment_deletes_the_files_already_stored(tmp_path, media, database_refuses):
    course = small_bundle(
        tmp_path,
        "  - title: Notes\n    file: 01-one.files/notes.txt\n"
        "  - title: Second\n    file: 01-one.files/second.txt\n",
    )
    (course / "01-basics" / "01-one.files" / "second.txt").write_text("second")
    database_refuses("lessons_lessonattachment", "NEW.title = 'Second'")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_course", str(course), verbosity=0)
    assert stored_files(media) == []


def test_a_dry_run_leaves_no_file_behind(tmp_path, media):
    course = small_bundle(tmp_path, "  - title: Notes\n    file: 01-one.files/notes.txt\n")
    call_command("import_course", str(course), dry_run=True, verbosity=0)
    assert not LessonAttachment.objects.exists()
    assert stored_files(media) == []
    # Nor an empty folder named by the lesson's id, one a dry run (probe 68); the top
    # folder stays, with whatever permissions it was given (probe 70).
    assert [p.relative_to(media) for p in media.rglob("*") if p.is_dir()] == [Path("lessons")]


def test_a_name_the_back_office_refuses_is_refused_and_stored_files_removed(tmp_path, media):
    long_name = "n" * 230 + ".txt"  # past ATTACHMENT_NAME_MAX_LENGTH, as the upload form says
    course = small_bundle(
        tmp_path,
        "  - title: Notes\n    file: 01-one.files/notes.txt\n"
        f"  - title: Long\n    file: 01-one.files/{long_name}\n",
    )
    (course / "01-basics" / "01-one.files" / long_name).write_text("long")
    assert_refused(course, media, "tiny/01-basics/01-one.md:9", "The file's name is too long")


def test_an_entry_without_a_title_is_refused_at_its_line(tmp_path, media):
    course = small_bundle(tmp_path, "  - file: 01-one.files/notes.txt\n")
    assert_refused(course, media, "tiny/01-basics/01-one.md:6: this attachment has no 'title'")


@pytest.mark.parametrize("body", ["Text.\n\n```python\nprint(1)\n```\n", "Text.", "Text.\n\n"])
def test_a_lesson_body_comes_back_with_its_final_newlines(course, tmp_path, body):
    course.modules.get().lessons.update(body=body)
    out = export(tmp_path)
    call_command("import_course", str(out), slug="copy", verbosity=0)
    assert Course.objects.get(slug="copy").modules.get().lessons.get().body == body
