"""Run the code examples of a course bundle, so a lesson never teaches code that fails.

A fenced block takes part when its info string is an attribute list (the form the
renderer's attr_list extension already understands, so the lesson displays the same):

    ```{.python .run}                   run this block on its own: python, exit 0 passes
    ```{.bash .run project=blog}        run it in the folder of project "blog" (bash -e)
    ```{.python .file project=blog file=blog/views.py}
                                        write it into project "blog" (replacing the file;
                                        add `.append` to append); it passes or fails with
                                        the next `.run` block of the same project
    ```{.python .run project=blog}      e.g. a check with the test client, run in the
                                        project folder after the files written so far
    ```{.text .output}                  the exact output the last `.run` block prints
    skip="needs network"                on any of them: counted as skipped, with the reason
    timeout=60                          seconds for this block (default 120)

Blocks can reach 127.0.0.1 (two services of one example may talk to each other) but
nothing beyond, where the system allows cutting the network.

A project is a folder shared by every block naming it, in reading order across the
whole bundle, so later lessons build on the files of earlier ones. A block that must
run but should not be shown can sit inside an HTML comment: the renderer drops it.
Each block runs in a subprocess with the interpreter running this code (so the
course is checked against the Flask and Django installed beside it), a minimal
environment, a timeout, and, where the system allows it, no network at all.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 120
STDERR_TAIL_LINES = 15
_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")


class ExampleError(Exception):
    """A marked block the checker cannot understand (named by file:line)."""


@dataclass
class Block:
    label: str  # file:line of the opening fence, as shown to the author
    lang: str
    classes: set[str]
    attrs: dict[str, str]
    code: str
    expected_output: str | None = None

    @property
    def kind(self) -> str | None:
        if "run" in self.classes:
            return "run"
        if "file" in self.classes:
            return "file"
        if "output" in self.classes:
            return "output"
        return None


@dataclass
class Outcome:
    block: Block
    status: str  # passed | failed | skipped
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    network_isolated: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def run(self) -> int:
        return self.count("passed") + self.count("failed")

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


def parse_info(info: str) -> tuple[str, set[str], dict[str, str]] | None:
    """Return (language, classes, attributes) of an attribute-list info string, or None."""
    if not (info.startswith("{") and info.endswith("}")):
        return None
    classes: set[str] = set()
    attrs: dict[str, str] = {}
    lang = ""
    for token in shlex.split(info[1:-1]):
        if token.startswith("."):
            if not lang:
                lang = token[1:]
            else:
                classes.add(token[1:])
        elif "=" in token:
            key, value = token.split("=", 1)
            attrs[key] = value
        elif not token.startswith("#"):
            classes.add(token)
    return lang, classes, attrs


def extract_blocks(path: Path, label: str) -> list[Block]:
    """Return the marked blocks of the Markdown file PATH, output blocks attached."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE_RE.match(lines[i])
        if not match:
            i += 1
            continue
        fence = match["fence"]
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = _FENCE_RE.match(lines[i])
            if (
                closing
                and not closing["info"]
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
            ):
                break
            body.append(lines[i])
            i += 1
        i += 1
        try:
            parsed = parse_info(match["info"])
        except ValueError as exc:
            raise ExampleError(f"{label}:{start + 1}: unreadable attribute list ({exc})") from exc
        if parsed is None:
            continue
        lang, classes, attrs = parsed
        indent = len(match["indent"])
        code = "\n".join(line[indent:] if line[:indent].isspace() else line for line in body)
        block = Block(f"{label}:{start + 1}", lang, classes, attrs, code + "\n")
        if block.kind is None:
            continue
        if block.kind == "output":
            runs = [b for b in blocks if b.kind in ("run", "file")]
            if not runs or runs[-1].kind != "run" or runs[-1].expected_output is not None:
                raise ExampleError(f"{block.label}: an output block must follow a .run block")
            runs[-1].expected_output = block.code
            continue
        if block.kind == "file" and "file" not in attrs:
            raise ExampleError(f"{block.label}: a .file block needs file=PATH")
        if block.kind == "file" and "project" not in attrs:
            raise ExampleError(f"{block.label}: a .file block needs project=NAME")
        if block.kind == "run" and lang not in ("python", "bash", "sh"):
            raise ExampleError(f"{block.label}: only python and bash blocks can .run")
        blocks.append(block)
    return blocks


def bundle_files(root: Path) -> Iterator[Path]:
    """Yield the Markdown files of the bundle at ROOT in reading order."""
    for path in sorted(root.rglob("*.md")):
        if not any(part.startswith(".") for part in path.relative_to(root).parts):
            yield path


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()).rstrip("\n")


def _tail(text: str) -> str:
    return "\n".join(text.rstrip().splitlines()[-STDERR_TAIL_LINES:])


def network_isolation() -> list[str]:
    """Return the command prefix that runs a program without network, or [] if none works."""
    unshare = shutil.which("unshare")
    if not unshare:
        return []
    try:
        probe = subprocess.run(  # noqa: S603 - a fixed program and arguments
            [unshare, "-rn", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if probe.returncode != 0:
        return []
    # A new network namespace has only a loopback interface, and it starts down: bring it
    # up so that an example may run two services that talk over 127.0.0.1.
    up = 'ip link set lo up 2>/dev/null || true; exec "$@"'
    return [unshare, "-rn", "sh", "-c", up, "sh"]


class Runner:
    def __init__(self, workdir: Path, default_timeout: int = DEFAULT_TIMEOUT) -> None:
        self.workdir = workdir
        self.default_timeout = default_timeout
        self.prefix = network_isolation()
        self.home = workdir / "_home"
        self.home.mkdir()
        self._ids = itertools.count(1)  # shared by the threads: next() is atomic
        # Only what a program needs: no DJANGO_SETTINGS_MODULE, DATABASE_URL or
        # secrets of the caller leak into the examples.
        self.env = {
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONHASHSEED": "0",
            "TMPDIR": str(self.home),
        }

    def folder(self, block: Block) -> Path:
        project = block.attrs.get("project")
        if project:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", project):
                raise ExampleError(f"{block.label}: project names are letters, digits, - and _")
            path = self.workdir / project
        else:
            path = self.workdir / f"_block{next(self._ids)}"
        path.mkdir(exist_ok=True)
        return path

    @staticmethod
    def target(folder: Path, block: Block, default: str) -> Path:
        name = block.attrs.get("file", default)
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise ExampleError(f"{block.label}: file= must stay inside the project folder")
        return path

    def write(self, folder: Path, block: Block, default: str) -> Path:
        path = self.target(folder, block, default)
        path.parent.mkdir(parents=True, exist_ok=True)
        if "append" in block.classes and path.exists():
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n" + block.code)
        else:
            path.write_text(block.code, encoding="utf-8")
        return path

    def execute(self, block: Block) -> Outcome:
        folder = self.folder(block)
        if block.lang == "python":
            script = self.write(folder, block, f"_run{next(self._ids)}.py")
            command = [sys.executable, str(script.relative_to(folder))]
        else:
            command = ["bash", "-eo", "pipefail", "-c", block.code]
        try:
            timeout = int(block.attrs.get("timeout", self.default_timeout))
        except ValueError as exc:
            raise ExampleError(f"{block.label}: timeout= takes whole seconds") from exc
        try:
            # The course author's own example code, run in a throw-away folder without network.
            done = subprocess.run(  # noqa: S603
                self.prefix + command,
                cwd=folder,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Outcome(block, "failed", f"still running after {timeout} s (timeout)")
        if done.returncode != 0:
            tail = _tail(done.stderr) or _tail(done.stdout)
            return Outcome(block, "failed", f"exit status {done.returncode}\n{tail}")
        if block.expected_output is not None:
            expected, got = _normalise(block.expected_output), _normalise(done.stdout)
            if expected != got:
                return Outcome(
                    block, "failed", f"printed:\n{got}\nbut the lesson shows:\n{expected}"
                )
        return Outcome(block, "passed")


def _run_group(runner: Runner, blocks: list[tuple[int, Block]]) -> dict[int, Outcome]:
    """Run the blocks of one project (or one lone block) in order; return their outcomes."""
    results: dict[int, Outcome] = {}
    pending: list[int] = []
    by_index = dict(blocks)
    for index, block in blocks:
        if "skip" in block.attrs:
            results[index] = Outcome(block, "skipped", block.attrs["skip"])
            continue
        if block.kind == "file":
            runner.write(runner.folder(block), block, "")
            pending.append(index)
            continue
        outcome = runner.execute(block)
        results[index] = outcome
        for waiting in pending:
            detail = "" if outcome.status == "passed" else f"checked by {block.label}, which failed"
            results[waiting] = Outcome(by_index[waiting], outcome.status, detail)
        pending = []
    for waiting in pending:
        results[waiting] = Outcome(
            by_index[waiting], "failed", "no .run block of its project runs after this file"
        )
    return results


def check_bundle(root: Path, default_timeout: int = DEFAULT_TIMEOUT) -> Report:
    """Extract and run every marked block under ROOT; return what happened to each.

    Projects are independent of each other, so they run side by side; the blocks of
    one project run in reading order.
    """
    root = Path(root)
    if not root.is_dir():
        raise ExampleError(f"{root} is not a folder")
    blocks: list[Block] = []
    for path in bundle_files(root):
        blocks.extend(extract_blocks(path, str(path.relative_to(root.parent))))
    groups: dict[str, list[tuple[int, Block]]] = {}
    for index, block in enumerate(blocks):
        key = block.attrs.get("project") or f"_lone{index}"
        groups.setdefault(key, []).append((index, block))
    report = Report()
    results: dict[int, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="check_course_") as tmp:
        runner = Runner(Path(tmp), default_timeout)
        report.network_isolated = bool(runner.prefix)
        # Refuse a bad project name before running anything.
        for members in groups.values():
            if members[0][1].attrs.get("project"):
                runner.folder(members[0][1])
        workers = max(2, os.process_cpu_count() or 2)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for outcomes in pool.map(lambda group: _run_group(runner, group), groups.values()):
                results.update(outcomes)
    report.outcomes = [results[i] for i in sorted(results)]
    return report
