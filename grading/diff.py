"""What changed between two versions of a group's archive, for the grader.

Files are compared by size and CRC-32 from the archives' directories (nothing is
unzipped to find them); the text files that changed get a unified diff. Every step is
bounded as the code viewer is (grading/viewer.py): a file is read up to the viewer's
``VIEWER_MAX_FILE_BYTES``, at most ``MAX_DIFFED_FILES`` files are diffed, each side at
most ``MAX_COMPARED_LINES`` lines (difflib is quadratic at worst), and the whole diff
shows at most ``MAX_DIFF_LINES`` lines. The rest is listed, never an error.
"""

from __future__ import annotations

import difflib
import time
import zipfile
from dataclasses import dataclass, field

from django.core.cache import cache

from projects.archives import (
    VIEWER_MAX_FILE_BYTES,
    MemberNotFound,
    UnreadableMember,
    format_bytes,
    is_junk,
    open_zip,
    read_member,
)
from projects.models import Submission

__all__ = ["ArchiveDiff", "FileDiff", "archive_diff"]

MAX_DIFFED_FILES = 50
# difflib took 3 s on two files of 5,000 lines that differ every other line.
MAX_COMPARED_LINES = 2_000
# And fifty such files: the files compared after this many seconds are listed only.
COMPARE_SECONDS = 2.0
MAX_DIFF_LINES = 3_000
CONTEXT_LINES = 3
# Two archives never change once submitted: their diff is cached under both hashes
# (and the version of this module's output: diff2 leaves OS clutter out).
CACHE_SECONDS = 24 * 60 * 60

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass
class FileDiff:
    path: str
    status: str
    old_size: str = ""
    new_size: str = ""
    lines: list[str] = field(default_factory=list)
    # Why no diff is shown, in words for the grader ("" when lines are shown).
    note: str = ""

    def line_class(self, line: str) -> str:
        if line.startswith("@@"):
            return "hunk"
        return {"+": "add", "-": "del"}.get(line[:1], "ctx")


@dataclass
class ArchiveDiff:
    old_version: int
    new_version: int
    files: list[FileDiff] = field(default_factory=list)
    error: str = ""
    cap: str = format_bytes(VIEWER_MAX_FILE_BYTES)

    def with_status(self, status: str) -> list[FileDiff]:
        return [f for f in self.files if f.status == status]

    @property
    def added(self) -> list[FileDiff]:
        return self.with_status(ADDED)

    @property
    def removed(self) -> list[FileDiff]:
        return self.with_status(REMOVED)

    @property
    def changed(self) -> list[FileDiff]:
        return self.with_status(CHANGED)


def archive_diff(old: Submission, new: Submission) -> ArchiveDiff:
    """Return the files added, removed and changed from OLD's archive to NEW's."""
    if old.sha256 and new.sha256:
        key = f"diff2:{old.sha256}:{new.sha256}:{old.version}:{new.version}"
        found = cache.get(key)
        if found is not None:
            return found
        result = _diff(old, new)
        if not result.error:
            cache.set(key, result, CACHE_SECONDS)
        return result
    return _diff(old, new)


def _diff(old: Submission, new: Submission) -> ArchiveDiff:
    result = ArchiveDiff(old_version=old.version, new_version=new.version)
    if not old.archive or not new.archive:
        result.error = "One of the two versions has no zip archive to compare."
        return result
    try:
        with old.archive.open("rb") as old_file, new.archive.open("rb") as new_file:
            before, after = _entries(old_file), _entries(new_file)
            if before is None or after is None:
                result.error = "One of the two archives is damaged and can't be compared."
                return result
            _compare(result, before, after, old_file, new_file)
    except OSError:
        result.error = "An archive file is missing from storage."
    return result


def _entries(fileobj) -> dict[str, zipfile.ZipInfo] | None:
    try:
        with open_zip(fileobj) as archive:
            return {
                info.filename: info
                for info in archive.infolist()
                # The file tree hides OS clutter (__MACOSX/, ._*): so does the diff.
                if not info.is_dir() and not is_junk(info.filename)
            }
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError):
        return None


def _compare(result: ArchiveDiff, before, after, old_file, new_file) -> None:
    budget = MAX_DIFF_LINES
    diffed = 0
    deadline = time.monotonic() + COMPARE_SECONDS
    for path in sorted(before.keys() | after.keys()):
        old_info, new_info = before.get(path), after.get(path)
        if old_info is None:
            result.files.append(FileDiff(path, ADDED, new_size=format_bytes(new_info.file_size)))
            continue
        if new_info is None:
            result.files.append(FileDiff(path, REMOVED, old_size=format_bytes(old_info.file_size)))
            continue
        if (old_info.CRC, old_info.file_size) == (new_info.CRC, new_info.file_size):
            continue
        changed = FileDiff(
            path,
            CHANGED,
            old_size=format_bytes(old_info.file_size),
            new_size=format_bytes(new_info.file_size),
        )
        result.files.append(changed)
        if diffed >= MAX_DIFFED_FILES:
            changed.note = f"Not compared: only the first {MAX_DIFFED_FILES} changed files are."
        elif budget <= 0:
            changed.note = "Not shown: the diff reached its length limit."
        elif time.monotonic() > deadline:
            changed.note = "Not compared: comparing the files above took too long."
        else:
            diffed += 1
            _diff_file(changed, path, old_file, new_file, budget)
            budget -= len(changed.lines)


def _diff_file(changed: FileDiff, path: str, old_file, new_file, budget: int) -> None:
    try:
        old, new = read_member(old_file, path), read_member(new_file, path)
    except (MemberNotFound, UnreadableMember):
        changed.note = "This file is damaged in one of the archives and can't be compared."
        return
    if old.is_binary or new.is_binary or old.text is None or new.text is None:
        changed.note = "Binary file: its content changed."
        return
    if old.truncated or new.truncated:
        changed.note = (
            f"Too large to compare here (over {format_bytes(VIEWER_MAX_FILE_BYTES)}): "
            "download both versions."
        )
        return
    old_lines, new_lines = old.text.splitlines(), new.text.splitlines()
    if max(len(old_lines), len(new_lines)) > MAX_COMPARED_LINES:
        changed.note = (
            f"Too long to compare here (over {MAX_COMPARED_LINES:,} lines): download both versions."
        )
        return
    lines = list(difflib.unified_diff(old_lines, new_lines, n=CONTEXT_LINES, lineterm=""))[
        2:
    ]  # the ---/+++ header: the file's name is shown above the diff
    if not lines:
        changed.note = "Only line endings or the encoding changed."
    elif len(lines) > budget:
        changed.lines = lines[:budget]
        changed.note = "The rest of this diff is cut: the diff reached its length limit."
    else:
        changed.lines = lines
