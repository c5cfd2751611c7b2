"""The grader's diff lists the files the code viewer's tree shows, never OS clutter."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from grading.diff import archive_diff
from projects.archives import build_tree
from projects.tests.factories import SubmissionFactory, make_zip

from .factories import grading_world, resubmitted_after_grading

pytestmark = pytest.mark.django_db

CLUTTER = {
    "__MACOSX/._junk": b"\x00\x05\x16\x07",
    "__MACOSX/src/._app.py": b"\x00\x05\x16\x07",
    "src/._app.py": b"\x00\x05\x16\x07",
    ".DS_Store": b"\x00\x00\x00\x01Bud1",
    "src/Thumbs.db": b"\xd0\xcf\x11\xe0",
    "desktop.ini": "[.ShellClassInfo]\n",
}


def versions(old_files, new_files):
    old = SubmissionFactory(version=1, archive=ContentFile(make_zip(old_files), "a.zip"))
    new = SubmissionFactory(
        group=old.group, version=2, archive=ContentFile(make_zip(new_files), "b.zip")
    )
    return old, new


def tree_files(nodes, prefix: str = "") -> set[str]:
    files = set()
    for node in nodes:
        path = f"{prefix}{node.name}"
        files |= tree_files(node.children, f"{path}/") if node.is_dir else {path}
    return files


def test_clutter_removed_in_a_new_version_is_not_listed():
    # Zipped on a Mac, then again on Linux: only the real change is the grader's concern.
    old, new = versions(
        {"src/app.py": "a = 1\n", **CLUTTER},
        {"src/app.py": "a = 2\n"},
    )
    diff = archive_diff(old, new)
    assert diff.removed == [] and diff.added == []
    assert [f.path for f in diff.changed] == ["src/app.py"]


def test_clutter_added_or_changed_is_not_listed_either():
    changed_clutter = {name: b"other" for name in CLUTTER}
    old, new = versions(
        {"src/app.py": "a = 1\n", "__MACOSX/._old": b"x"},
        {"src/app.py": "a = 1\n", "notes.md": "# Notes\n", **changed_clutter},
    )
    diff = archive_diff(old, new)
    assert [f.path for f in diff.files] == ["notes.md"]


def test_the_diff_and_the_file_tree_show_the_same_files():
    files = {"src/app.py": "x\n", "src/.env.example": "A=1\n", "._top": b"x", **CLUTTER}
    old, new = versions({"keep.txt": "k\n"}, {"keep.txt": "k\n", **files})
    added = {f.path for f in archive_diff(old, new).added}
    assert added == tree_files(build_tree(files)) == {"src/app.py", "src/.env.example"}


def test_the_review_page_never_names_clutter(client, grace, alice, bob):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    resubmitted_after_grading(
        world, bob, {"app.py": "print('v2')\n", "__MACOSX/._app.py": b"\x00\x05"}
    )
    client.force_login(grace)
    page = client.get(f"/grading/reviews/{world.review.pk}/").content.decode()
    assert "Changes from graded version 1 to version 2" in page
    assert "__MACOSX" not in page and "._app.py" not in page
