"""The launcher that runs inside the sandbox: limits, privileges, the project, pytest.

This file is bound read-only into every sandbox and run by the suite's Python with
``-I`` (isolated mode). It imports only the standard library and pytest, never Django
or the platform: nothing of the server exists inside the sandbox. In order, it

1. sets the resource limits (CPU time, address space, processes, file size, open
   files; no core files), which every process it starts inherits;
2. drops root, when the sandbox was started by root, to the unprivileged uid it is
   given, so the process limit applies and nothing can regain a capability;
3. unpacks the submission into the private, size-limited /work (a tmpfs), skipping
   anything that would leave it;
4. runs pytest on the suite's tests (read-only, in /suite) with the project importable
   after the standard library and the installed packages (which it cannot shadow),
   and streams one JSON line per event to the report descriptor: the server learns
   which test was running even if the run is killed halfway.

Student code runs in this process after step 2, so it could write to the report too:
the sandbox protects the server, not the marks (docs/autograding.md).
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import sys
import unicodedata
import zipfile
from traceback import format_exception_only

MAX_TEXT = 8 * 1024  # per test: the failure's traceback and the captured output
SETTINGS_RE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")


class Report:
    """One JSON object per line, written to a descriptor the server reads."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event) -> None:
        data = (json.dumps(event) + "\n").encode()
        try:
            os.write(self.fd, data)
        except OSError:
            pass  # the server stopped listening: nothing more to say


def clip(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... ({len(text) - limit:,} characters cut) ...\n{text[-half:]}"


def set_limits(limits: dict) -> None:
    pairs = {
        resource.RLIMIT_CPU: (limits["cpu_seconds"], limits["cpu_seconds"] + 1),
        resource.RLIMIT_AS: (limits["memory_bytes"],) * 2,
        resource.RLIMIT_NPROC: (limits["processes"],) * 2,
        resource.RLIMIT_FSIZE: (limits["file_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (limits["open_files"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, value in pairs.items():
        resource.setrlimit(which, value)
    # A write past the file size limit fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def drop_root(uid: int) -> None:
    if os.getuid() != 0:
        return  # started unprivileged (in a user namespace): nothing to drop
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)  # from root to another uid: every capability goes with it
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("could not drop root")


def open_zip(path: str) -> zipfile.ZipFile:
    """Open the zip at PATH with the names the server showed (projects.archives.open_zip,
    which this file cannot import): names not marked UTF-8 are read as UTF-8 when every
    such name is valid UTF-8 (macOS's Archive Utility writes them so), else as CP437."""
    archive = zipfile.ZipFile(path)
    unmarked = [
        info.orig_filename
        for info in archive.infolist()
        if not info.flag_bits & 0x800 and not info.orig_filename.isascii()
    ]
    if not unmarked or not all(_is_utf8(name) for name in unmarked):
        return archive
    archive.close()
    return zipfile.ZipFile(path, metadata_encoding="utf-8")


def _is_utf8(cp437_name: str) -> bool:
    try:
        cp437_name.encode("cp437").decode("utf-8")
    except UnicodeError:
        return False
    return True


def unpack(archive: str, target: str) -> str:
    """Unpack ARCHIVE into TARGET; return the project's root folder.

    The server validated the archive already; these checks only keep a hostile entry
    inside /work, which is all this sandbox has anyway.
    """
    os.makedirs(target, exist_ok=True)
    base = os.path.realpath(target)
    with open_zip(archive) as zf:
        for info in zf.infolist():
            # Composed accents, as code spells them: macOS writes names decomposed, which
            # its own file system matches and Linux's does not ("é" is two characters
            # there). The server refuses two names differing only so.
            name = unicodedata.normalize("NFC", info.filename.replace("\\", "/"))
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if not parts or ".." in parts or parts[0] == "__MACOSX":
                continue
            path = os.path.realpath(os.path.join(base, *parts))
            if not path.startswith(base + os.sep):
                continue
            if name.endswith("/"):
                os.makedirs(path, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with zf.open(info) as source, open(path, "wb") as out:
                while chunk := source.read(1 << 16):
                    out.write(chunk)
    return project_root(base)


def project_root(base: str) -> str:
    """The folder holding the project: the archive's one top folder, or manage.py's."""
    root = base
    entries = [e for e in os.listdir(root) if not e.startswith(".")]
    while len(entries) == 1 and os.path.isdir(os.path.join(root, entries[0])):
        root = os.path.join(root, entries[0])
        entries = [e for e in os.listdir(root) if not e.startswith(".")]
    if not os.path.exists(os.path.join(root, "manage.py")):
        for entry in sorted(entries):
            if os.path.exists(os.path.join(root, entry, "manage.py")):
                return os.path.join(root, entry)
    return root


def django_settings(root: str) -> str:
    try:
        with open(os.path.join(root, "manage.py"), encoding="utf-8", errors="replace") as f:
            match = SETTINGS_RE.search(f.read(64 * 1024))
    except OSError:
        return ""
    return match.group(1) if match else ""


class ReportPlugin:
    """A pytest plugin: each test's outcome, duration and output, as they happen."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.tests: dict[str, dict] = {}

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.report.send(
                e="collect_error",
                nodeid=report.nodeid or "(collection)",
                message=clip(str(report.longrepr)),
            )

    def pytest_collection_finish(self, session) -> None:
        # The ids the server records results for: any other id in the report is not one
        # of the suite's tests (the submitted code can write to the report too).
        ids = [item.nodeid for item in session.items]
        self.report.send(e="collected", count=len(ids), nodeids=ids)

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.tests[nodeid] = {"outcome": "passed", "duration": 0.0, "output": [], "printed": []}
        self.report.send(e="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        test = self.tests.setdefault(
            report.nodeid, {"outcome": "passed", "duration": 0.0, "output": [], "printed": []}
        )
        test["duration"] += report.duration
        if report.skipped:
            if test["outcome"] == "passed":
                test["outcome"] = "skipped"
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            if hasattr(report, "wasxfail"):
                reason = f"expected to fail: {report.wasxfail}"
            if reason:
                test["output"].append(str(reason))
        elif report.failed:
            test["outcome"] = "failed" if report.when == "call" else "error"
            test["output"].append(clip(str(report.longrepr)))
        for name, content in report.sections:
            if report.when == "call" and content and not content.isspace():
                # Cut as kept: 100 MB printed, joined whole, ran the runner out of memory.
                # After every error (a teardown's too): the server reads a test's reason
                # from what comes before the first of them (probe 108).
                test["printed"].append(clip(f"----- {name} -----\n{content}"))

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        test = self.tests.pop(nodeid, None)
        if test is None:
            return
        self.report.send(
            e="result",
            nodeid=nodeid,
            outcome=test["outcome"],
            duration=round(test["duration"], 4),
            output=clip("\n".join(test["output"] + test["printed"])),
        )


def main() -> int:
    config = json.loads(sys.argv[1])
    report = Report(config["report_fd"])
    set_limits(config["limits"])
    drop_root(config["uid"])
    os.environ["HOME"] = "/tmp"
    report.send(e="ready", uid=os.getuid())
    try:
        root = unpack(config["archive"], "/work/project")
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        report.send(e="unpack_error", message=f"{type(exc).__name__}: {exc}")
        return 3
    # pytest is imported before the project is importable: a file of the submission named
    # pytest.py (or json.py, or pluggy.py) replaced what it shadowed, and so could fake
    # every result without any test importing the project. (pytest-django later puts the
    # project first on sys.path, as manage.py does: modules not loaded by then are the
    # project's own if it has them, as on the student's machine.)
    import pytest

    os.chdir(root)
    sys.path.append(root)
    settings_module = config.get("settings_module") or django_settings(root)
    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    report.send(e="project", root=root, settings=settings_module)

    plugin = ReportPlugin(report)
    args = [
        "-p", "no:cacheprovider",
        "-q", "--color=no", "-o", "console_output_style=classic",
        "--rootdir=/suite", "--confcutdir=/suite",
        # A test file that does not import stops only its own tests: one file asking
        # for a module nobody installed gave every student 0 of 23 (probe 69).
        "--continue-on-collection-errors",
        "/suite",
    ]  # fmt: skip
    try:
        code = pytest.main(args, plugins=[plugin])
    except Exception as exc:
        # Raised before any test was collected: most often Django settings that do not
        # import (a syntax error, an app the environment lacks). What the student fixes.
        report.send(e="start_error", message=clip("".join(format_exception_only(exc)).strip()))
        raise
    report.send(e="end", exitstatus=int(code))
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
