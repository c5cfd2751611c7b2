#!/usr/bin/env python
"""Time the code viewer on the worst archives the upload limits accept.

Build each archive in memory, check that ``validate_zip`` accepts it (or, for the last
case, that it refuses it: archives stored before the limits existed still open), then
build the viewer for it and render the viewer template, as the review page does. Print
the time (best of a few runs), the peak memory Python allocated (tracemalloc, in a
separate run) and the size of the HTML; the process's peak RSS comes last. This script
prints figures; it never passes or fails on them.

    .venv/bin/python bench/viewer.py
    .venv/bin/python bench/viewer.py --runs 5 --skip-huge   # leave out the 200 MB member
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEDIA = tempfile.mkdtemp(prefix="bench-viewer-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
os.environ["DJANGO_MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402

from grading.viewer import MAX_LINES, MAX_TREE_ROWS, archive_view  # noqa: E402
from projects.archives import (  # noqa: E402
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_PATH_LENGTH,
    MAX_TOTAL_UNCOMPRESSED,
    MIB,
    VIEWER_MAX_FILE_BYTES,
    format_bytes,
    validate_zip,
)
from projects.models import Submission  # noqa: E402

# A CJK character is 3 UTF-8 bytes and 9 characters once URL-encoded: the longest links.
WIDE = "\u6587"


@dataclass
class Case:
    name: str
    build: Callable[[], bytes]
    path: str | None = None
    accepted: bool = True


def zip_of(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def padded(prefix: str, index: int, length: int = MAX_PATH_LENGTH) -> str:
    """Return PREFIX + a unique file name, WIDE-padded to LENGTH characters."""
    tail = f"{index}.py"
    return prefix + WIDE * (length - len(prefix) - len(tail)) + tail


def chain(label: str) -> str:
    """Return MAX_DEPTH nested folders, each name WIDE-padded, ending with '/'."""
    return "".join(f"{label}{depth}{WIDE * 6}/" for depth in range(MAX_DEPTH))


def one_deep_folder_many_files() -> bytes:
    # MAX_DEPTH folders, then files filling the entry limit, every path MAX_PATH_LENGTH long.
    prefix = chain("d")
    files = MAX_ENTRIES - MAX_DEPTH
    return zip_of([(padded(prefix, i), b"print('x')\n") for i in range(files)])


def many_deep_chains() -> bytes:
    # Separate chains of MAX_DEPTH folders, one file at the bottom of each.
    chains = MAX_ENTRIES // (MAX_DEPTH + 1)
    return zip_of([(padded(chain(f"c{i}_"), i), b"x = 1\n") for i in range(chains)])


def python_lines() -> bytes:
    line = b"    total = compute(values[index], weight=0.5)  # keep a running sum\n"
    data = line * (VIEWER_MAX_FILE_BYTES // len(line) + 100)
    return zip_of([("src/app.py", data)])


def empty_lines() -> bytes:
    # Under 1 MiB, so no ratio check applies: half a million lines.
    return zip_of([("notes.txt", b"\n" * (1000 * 1024))])


def one_long_line() -> bytes:
    return zip_of([("min.js", b"var a=1;" * (VIEWER_MAX_FILE_BYTES // 8 + 100))])


def largest_member() -> bytes:
    # Random hex barely compresses, so the whole-archive ratio allows the full total.
    data = os.urandom((MAX_TOTAL_UNCOMPRESSED - MIB) // 2).hex().encode()
    return zip_of([("data/big.txt", data), ("main.py", b"print(1)\n")])


def legacy_deep_names() -> bytes:
    # Refused at upload now (depth and length); archives stored earlier still open.
    deep = "d/" * 30_000
    return zip_of([(f"{deep}{i}.py", b"x") for i in range(3)])


CASES = [
    Case("max entries in one folder at max depth, max name length", one_deep_folder_many_files),
    Case("max entries as separate chains at max depth", many_deep_chains),
    Case("512 KB Python file (typical lines)", python_lines, path="src/app.py"),
    Case("1000 KB file of empty lines", empty_lines, path="notes.txt"),
    Case("512 KB single line", one_long_line, path="min.js"),
    Case("200 MB member (max total, incompressible)", largest_member, path="data/big.txt"),
    Case(
        "stored before the limits: 3 names 30,000 folders deep",
        legacy_deep_names,
        accepted=False,
    ),
]


def open_viewer(submission: Submission, path: str | None) -> tuple[int, int, int]:
    """Build the viewer and render its template; return tree rows, code lines, HTML size."""
    view = archive_view(submission, path)
    html = render_to_string(
        "grading/_viewer.html", {"viewer": view, "path": path or "", "can_comment": False}
    )
    assert not view.error, view.error
    if path:
        assert view.file is not None and not view.file.error, view.file
    return len(view.tree), len(view.file.lines) if view.file else 0, len(html)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per case (best kept)")
    parser.add_argument("--skip-huge", action="store_true", help="leave out the 200 MB member")
    args = parser.parse_args()

    print(
        f"Limits: {MAX_ENTRIES:,} files and folders, {MAX_DEPTH} folders deep, "
        f"{MAX_PATH_LENGTH} characters per name, {MAX_TOTAL_UNCOMPRESSED // MIB} MB unpacked; "
        f"viewer: {MAX_TREE_ROWS:,} rows, {VIEWER_MAX_FILE_BYTES // 1024} KB and "
        f"{MAX_LINES:,} lines per file"
    )
    header = (
        f"{'case':<58} {'zip':>9} {'check':>7} {'rows':>6} {'lines':>6} {'html':>9} "
        f"{'time':>7} {'peak':>8}"
    )
    print(header)
    print("-" * len(header))
    for number, case in enumerate(CASES):
        if args.skip_huge and case.build is largest_member:
            continue
        data = case.build()
        started = time.perf_counter()
        try:
            validate_zip(io.BytesIO(data))
            verdict = "accepted"
        except ValidationError as exc:
            verdict = f"refused at upload ({exc.code})"
        check = time.perf_counter() - started
        assert verdict.startswith("accepted") == case.accepted, (case.name, verdict)
        name = f"bench/case{number}.zip"
        Path(MEDIA, "bench").mkdir(exist_ok=True)
        Path(MEDIA, name).write_bytes(data)
        submission = Submission(archive=name)
        size = len(data)
        del data

        best = float("inf")
        for _ in range(args.runs):
            started = time.perf_counter()
            rows, lines, html_size = open_viewer(submission, case.path)
            best = min(best, time.perf_counter() - started)
        tracemalloc.start()
        open_viewer(submission, case.path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        Path(MEDIA, name).unlink()
        print(
            f"{case.name:<58} {format_bytes(size):>9} {check * 1000:>5.0f}ms {rows:>6,} "
            f"{lines:>6,} {format_bytes(html_size):>9} {best * 1000:>5.0f}ms "
            f"{format_bytes(peak):>8}  {verdict}"
        )
    print(
        "check: validate_zip at upload; time: best of the runs to build the viewer and render "
        "its template; peak: Python allocations during one such run (tracemalloc)."
    )
    # ru_maxrss is in KiB on Linux.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"Peak RSS of this process (building the test archives included): {format_bytes(rss)}")


if __name__ == "__main__":
    main()
