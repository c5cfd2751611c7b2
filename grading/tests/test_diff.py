"""The grader's diff between the graded version and a newer one: every case ends readable."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile

from grading.diff import MAX_DIFF_LINES, archive_diff
from projects.archives import VIEWER_MAX_FILE_BYTES
from projects.tests.factories import SubmissionFactory, make_zip

from .factories import grading_world, resubmitted_after_grading

pytestmark = pytest.mark.django_db


def versions(old_files, new_files):
    old = SubmissionFactory(version=1, archive=ContentFile(make_zip(old_files), "a.zip"))
    new = SubmissionFactory(
        group=old.group, version=2, archive=ContentFile(make_zip(new_files), "b.zip")
    )
    return old, new


def test_changed_added_and_removed_files_are_listed_and_text_is_diffed():
    old, new = versions(
        {"app.py": "a = 1\nb = 2\n", "old.txt": "bye\n", "same.md": "# Same\n"},
        {"app.py": "a = 1\nb = 3\n", "new.txt": "hello\n", "same.md": "# Same\n"},
    )
    diff = archive_diff(old, new)
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert [f.path for f in diff.added] == ["new.txt"]
    assert [f.path for f in diff.removed] == ["old.txt"]
    assert [f.path for f in diff.changed] == ["app.py"]  # same.md did not change
    assert "-b = 2" in diff.changed[0].lines and "+b = 3" in diff.changed[0].lines


def test_a_binary_file_is_said_to_have_changed_without_a_diff():
    old, new = versions({"logo.png": b"\x89PNG\x00\x01"}, {"logo.png": b"\x89PNG\x00\x02"})
    (changed,) = archive_diff(old, new).changed
    assert changed.lines == []
    assert "Binary file" in changed.note


def test_a_huge_file_is_not_compared_and_the_diff_stays_bounded():
    big = "x\n" * (VIEWER_MAX_FILE_BYTES // 2 + 10)  # just over the viewer's limit
    many_old = {f"f{i}.py": "\n".join(f"line {j}" for j in range(400)) for i in range(20)}
    many_new = {f"f{i}.py": "\n".join(f"LINE {j}" for j in range(400)) for i in range(20)}
    old, new = versions({"big.txt": big, **many_old}, {"big.txt": big + "y\n", **many_new})
    diff = archive_diff(old, new)
    big_file = next(f for f in diff.changed if f.path == "big.txt")
    assert big_file.lines == [] and "Too large to compare" in big_file.note
    assert sum(len(f.lines) for f in diff.files) <= MAX_DIFF_LINES
    assert any("length limit" in f.note for f in diff.changed)


def test_files_that_keep_difflib_busy_are_listed_not_compared(monkeypatch):
    """difflib is quadratic at worst: two files of 5,000 lines differing every other
    line took 3 s each. Files over 2,000 lines are not compared, and once the time
    budget is spent the remaining changed files are listed only."""
    from grading import diff as diffs

    def text(tag: str, lines: int) -> str:
        return "".join(f"{tag if i % 2 else 'same'} {i}\n" for i in range(lines))

    long_lines = diffs.MAX_COMPARED_LINES + 1
    old, new = versions(
        {"long.py": text("a", long_lines), "a.py": "1\n", "b.py": "2\n"},
        {"long.py": text("b", long_lines), "a.py": "one\n", "b.py": "two\n"},
    )
    notes = {f.path: f.note for f in archive_diff(old, new).changed}
    assert notes["long.py"].startswith("Too long to compare here (over 2,000 lines)")
    assert notes["a.py"] == notes["b.py"] == ""  # small files are compared

    monkeypatch.setattr(diffs, "COMPARE_SECONDS", -1)  # the budget spent at once
    notes = {f.path: f.note for f in archive_diff(old, new).changed}
    assert (
        notes["a.py"] == notes["b.py"] == "Not compared: comparing the files above took too long."
    )


def test_a_damaged_archive_is_reported_not_raised():
    old, _new = versions({"app.py": "a\n"}, {"app.py": "b\n"})
    broken = SubmissionFactory(
        group=old.group, version=3, archive=ContentFile(b"not a zip at all", "c.zip")
    )
    assert "damaged" in archive_diff(old, broken).error


def test_the_review_page_shows_the_changes_since_the_graded_version(client, grace, alice, bob):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    resubmitted_after_grading(world, bob, {"app.py": "print('v2')\n"})
    client.force_login(grace)
    page = client.get(f"/grading/reviews/{world.review.pk}/").content.decode()
    assert "Changes from graded version 1 to version 2" in page
    assert "+print(&#39;v2&#39;)" in page
    assert "README.md" in page  # removed in version 2
    # Each link of the list leads to a file's changes on the page (probe 61: a removed
    # or added file's led nowhere); those files are named, unlinked.
    listed = page.split('id="changed-files"')[1].split("</ul>")[0]
    targets = re.findall(r'href="#(diff-\d+)"', listed)
    assert targets and all(f'id="{target}"' in page for target in targets)
    assert '<span class="font-monospace text-break">README.md</span>' in listed
