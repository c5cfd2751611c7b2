"""The viewer keeps an archive's tree and highlighted files under its SHA-256."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from grading.models import LineComment
from grading.viewer import _CACHE_MAX_CHARS, _MEMO_MAX_CHARS, archive_view
from projects.models import Submission
from projects.tests.factories import make_zip

pytestmark = pytest.mark.django_db


def submit_zip(group, version: int, files: dict) -> Submission:
    data = make_zip(files)
    return Submission.objects.create(
        group=group,
        version=version,
        archive=ContentFile(data, name="v.zip"),
        archive_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def test_a_cached_file_is_served_without_reading_the_archive_again(world):
    submission = submit_zip(world.group, 7, {"app.py": "def cached():\n    return 1\n"})
    first = archive_view(submission, "app.py")
    submission.archive.storage.delete(submission.archive.name)  # the archive is gone...
    again = archive_view(submission, "app.py")  # ...and the page still shows it
    assert [line.html for line in again.file.lines] == [line.html for line in first.file.lines]
    assert [row.name for row in again.tree] == ["app.py"]
    assert "cached" in again.file.blocks[0].rows


def test_comments_are_placed_afresh_on_the_cached_lines(world):
    submission = submit_zip(world.group, 7, {"app.py": "a = 1\nb = 2\n"})
    assert not archive_view(submission, "app.py").file.blocks[-1].comments
    comment = LineComment(review=world.review, path="app.py", line=2, text="Name it.")
    shown = archive_view(submission, "app.py", [comment]).file
    assert [c.text for c in shown.lines[1].comments] == ["Name it."]
    assert not shown.lines[0].comments
    assert [row.comment_count for row in archive_view(submission, None, [comment]).tree] == [1]
    # The cached copy itself was not changed by that review's comments.
    assert not archive_view(submission, "app.py").file.lines[1].comments


def test_different_archives_never_share_what_is_cached(world):
    one = submit_zip(world.group, 7, {"app.py": "print('one')\n"})
    two = submit_zip(world.group, 8, {"app.py": "print('two')\n"})
    assert "one" in archive_view(one, "app.py").file.blocks[0].rows
    assert "two" in archive_view(two, "app.py").file.blocks[0].rows
    assert archive_view(one, "missing.py").file.error == "That file is not in this archive."


def test_each_process_keeps_small_archives_without_asking_the_shared_cache(world):
    small = submit_zip(world.group, 7, {"app.py": "def kept():\n    return 1\n"})
    # Well past the size a process keeps once highlighted: only the shared cache has it.
    big_text = "".join(f"value_{n} = {n}  # a line of code\n" for n in range(3000))
    big = submit_zip(world.group, 8, {"big.py": big_text})
    archive_view(small, "app.py")
    big_lines = archive_view(big, "big.py").file.lines
    assert sum(len(line.html) for line in big_lines) > _MEMO_MAX_CHARS
    for submission in (small, big):
        submission.archive.storage.delete(submission.archive.name)
    cache.clear()  # the shared cache is emptied (Redis restarted, say)...
    small, big = (Submission.objects.get(pk=s.pk) for s in (small, big))
    # ...and the small archive is still shown from this process's copy,
    kept = archive_view(small, "app.py", [])
    assert [row.name for row in kept.tree] == ["app.py"]
    assert "kept" in kept.file.blocks[0].rows
    # while the big one is read again (here: found missing), never held in every worker.
    assert archive_view(big, "big.py").error == "The archive file is missing from storage."


def test_a_huge_highlighted_file_is_built_again_not_kept(world):
    """Without Redis the shared cache is each worker's memory: 300 files of 2.6 MB of
    HTML took 800 MB of it (probe 63). A file past the cap is built on each view."""
    huge_text = "&" * 250_000 + "\n"  # 1.25 MB of HTML once escaped
    submission = submit_zip(world.group, 7, {"huge.txt": huge_text, "app.py": "a = 1\n"})
    lines = archive_view(submission, "huge.txt").file.lines
    assert sum(len(line.html) for line in lines) > _CACHE_MAX_CHARS
    archive_view(submission, "app.py")
    submission.archive.storage.delete(submission.archive.name)
    submission = Submission.objects.get(pk=submission.pk)
    assert "a" in archive_view(submission, "app.py").file.blocks[0].rows  # kept: small
    assert archive_view(submission, "huge.txt").error == (
        "The archive file is missing from storage."
    )  # read again: it was not kept
