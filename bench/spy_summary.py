#!/usr/bin/env python
"""Summarise a py-spy profile of the benchmark's gunicorn workers: where their CPU goes.

``bench/mix.py`` profiles the students' traffic in one process; this reads what py-spy
sampled in the server itself under wrk (the socket, gunicorn, every middleware), as
``py-spy record --format raw`` writes it: one line per stack, its frames joined by ";",
then the number of samples. py-spy is not a dependency of the project (it samples other
processes, as root): install it beside it, then attach it to gunicorn's master while
``bench/run.py`` runs the scenario to look at (docs/performance.md, thirty-fifth stop):

    pip install --target /tmp/pyspy py-spy
    PYTHONPATH=/tmp/pyspy /tmp/pyspy/bin/py-spy record --subprocesses --nonblocking \\
        -p "$(pgrep -f 'gunicorn coursesite.wsgi' | head -1)" -d 5 -r 200 --format raw \\
        -o /tmp/students.txt
    .venv/bin/python bench/spy_summary.py /tmp/students.txt              # the top frames
    .venv/bin/python bench/spy_summary.py /tmp/students.txt --under lesson_detail

Each line is a share of every sample: "inclusive" counts a frame once per stack it is in
(the frame and what it calls), "own" where the stack ends (the frame itself, C calls
included).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# "name (/abs/path/site-packages/pkg/mod.py:12)" -> "name (pkg/mod.py:12)"
_PATH = re.compile(r" \(.*?/(?:site-packages|lib/python3\.\d+|main)/")


def frames_of(line: str) -> tuple[list[str], int] | None:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not count.isdigit():
        return None  # py-spy's notes ("... 'none'") among the stacks
    return [_PATH.sub(" (", frame) for frame in stack.split(";")], int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy's --format raw output")
    parser.add_argument("--under", help="only the stacks through a frame matching this")
    parser.add_argument("--top", type=int, default=40, help="lines of each table")
    args = parser.parse_args()

    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in args.profile.read_text().splitlines():
        parsed = frames_of(line)
        if parsed is None:
            continue
        frames, count = parsed
        total += count
        if args.under:
            start = next((i for i, f in enumerate(frames) if re.search(args.under, f)), None)
            if start is None:
                continue
            frames = frames[start:]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        raise SystemExit("No samples in the file.")
    shown = sum(own.values())
    where = f" through {args.under!r}" if args.under else ""
    print(f"{total} samples; {shown} ({100 * shown / total:.1f} %){where}")
    for title, table in (("inclusive", inclusive), ("own", own)):
        print(f"\n{title} (% of all samples)")
        for frame, count in table.most_common(args.top):
            print(f"{100 * count / total:6.1f}  {frame[:150]}")


if __name__ == "__main__":
    main()
