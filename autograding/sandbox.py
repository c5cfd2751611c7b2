"""Run a submission's tests inside bubblewrap, with limits, and collect what happened.

What the sandbox sees (everything else of the machine does not exist inside it):

* ``/usr`` (and the ``/bin``, ``/lib``, ``/lib64`` links), the suite's virtualenv and
  the Python it was made from, all read-only;
* ``/suite``: the suite's tests, read-only; ``/input/submission.zip``, read-only;
* ``/work`` and ``/tmp``: private tmpfs of a fixed size, gone when the run ends;
* an ``/etc`` of our own with ``hosts`` only (no passwd, no resolver);
* its own empty network, process, IPC and host name namespaces: no socket reaches
  anything, not even this machine's database on 127.0.0.1;
* a seccomp filter (``seccomp.py``): no new namespaces, mounts, keyrings, BPF or
  tracing, the kernel paths most local privilege escalations take.

The launcher (``inside/runner.py``) sets the resource limits and drops root before
any submitted code runs; this module adds the wall-clock limit (killing bwrap, whose
death takes every process of the sandbox's process namespace with it) and caps what
it reads of the output and the report. Nothing here touches the database.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import seccomp

RUNNER = Path(__file__).resolve().parent / "inside"
MIB = 1024 * 1024
MEMORY_CHECK_SECONDS = 0.1  # how often the run's memory, all processes together, is read


class SandboxUnavailable(Exception):
    """The sandbox could not be started on this machine (no bwrap, no environment)."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: int = 60
    cpu_seconds: int = 60
    memory_mb: int = 2048
    processes: int = 64
    file_mb: int = 64
    disk_mb: int = 256
    output_kb: int = 64
    open_files: int = 256
    report_kb: int = 2048

    def for_runner(self) -> dict:
        return {
            "cpu_seconds": self.cpu_seconds,
            "memory_bytes": self.memory_mb * MIB,
            "processes": self.processes,
            "file_bytes": self.file_mb * MIB,
            "open_files": self.open_files,
        }


@dataclass
class Outcome:
    """What the sandbox produced: the report's events, the output, how it ended."""

    events: list[dict] = field(default_factory=list)
    output: str = ""
    output_truncated: bool = False
    returncode: int | None = None
    timed_out: bool = False
    duration: float = 0.0
    report_truncated: bool = False
    ready_after: float | None = None  # seconds from the start until the launcher ran
    memory_exceeded: bool = False  # its processes together passed the memory limit

    def first(self, kind: str) -> dict | None:
        return next((e for e in self.events if e.get("e") == kind), None)

    @property
    def started(self) -> bool:
        """Whether the launcher ran inside the sandbox (else bwrap itself failed)."""
        return self.first("ready") is not None

    @property
    def cpu_limited(self) -> bool:
        # RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL at the hard one.
        return self.returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL)


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed on this worker: apt-get install bubblewrap"
        )
    return path


def _system_binds() -> list[str]:
    """/usr read-only, and /bin, /lib, /lib64 as this system has them (links or folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/lib", "/lib64", "/sbin"):
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    return args


def _ro_binds(pairs: list[tuple]) -> list[str]:
    """Read-only binds, their missing parent folders made 0755 first.

    bwrap makes the folders leading to a mount point private (0700), which would
    hide the mount from the unprivileged uid the launcher becomes.
    """
    made = {"/", "/tmp", "/work", "/usr", "/proc", "/dev"}
    args: list[str] = []
    for source, target in pairs:
        parents = list(Path(target).parents)[::-1]
        for parent in parents:
            if str(parent) not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", str(source), str(target)]
        made.add(str(target))
    return args


def command(
    *,
    environment: Path,
    base_prefix: str,
    suite_dir: Path,
    archive: Path,
    etc_dir: Path,
    limits: Limits,
    uid: int,
    report_fd: int,
    seccomp_fd: int,
    settings_module: str = "",
) -> list[str]:
    """Return the bwrap command line of one run."""
    privileged = os.geteuid() == 0
    args = [bwrap_path()]
    # Root keeps the real uid outside (a user namespace would map back to root, whom
    # the process limit never stops): the launcher drops to UID itself. Anyone else
    # gets a user namespace of their own, where the limits count this run alone.
    if privileged:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user"]
    args += [
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session",
        "--seccomp", str(seccomp_fd),
        "--hostname", "sandbox", "--clearenv",
        "--setenv", "PATH", f"{environment}/bin:/usr/bin:/bin",
        "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        "--setenv", "PYTHONHASHSEED", "0", "--setenv", "TMPDIR", "/tmp",
        *_system_binds(),
        "--proc", "/proc", "--dev", "/dev",
        # Without root the code's uid owns bwrap's /dev, a tmpfs of half the machine's
        # memory that no limit counts: read-only, with a small /dev/shm for semaphores.
        "--size", str(SHM_MB * MIB), "--perms", "1777", "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev",
        "--size", str(limits.disk_mb * MIB), "--perms", "1777", "--tmpfs", "/tmp",
        "--size", str(limits.disk_mb * MIB), "--perms", "1777", "--tmpfs", "/work",
        *_ro_binds(
            [
                (etc_dir, "/etc"),
                (base_prefix, base_prefix),
                (environment, environment),
                (RUNNER, "/autograding"),
                (suite_dir, "/suite"),
                (archive, "/input/submission.zip"),
            ]
        ),
        "--chdir", "/work",
        "--", f"{environment}/bin/python", "-I", "/autograding/runner.py",
    ]  # fmt: skip
    config = {
        "report_fd": report_fd,
        "limits": limits.for_runner(),
        "uid": uid,
        "archive": "/input/submission.zip",
        "settings_module": settings_module,
    }
    return [*args, json.dumps(config)]


# /dev/shm inside a run (POSIX semaphores, multiprocessing's locks): files there are
# memory the run's limits do not count, so it stays small.
SHM_MB = 16

# All bwrap starts with: it finds nothing by PATH (bwrap_path() is absolute).
BWRAP_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def run(
    *,
    environment: Path,
    base_prefix: str,
    suite_dir: Path,
    archive_bytes_path: Path,
    limits: Limits,
    uid: int,
    settings_module: str = "",
    scratch_root: Path | None = None,
) -> Outcome:
    """Run the suite against one submission archive; return what happened.

    Never raises for anything the submitted code does; raises SandboxUnavailable when
    this machine cannot run a sandbox at all.
    """
    if not Path(environment, "bin", "python").exists():
        raise SandboxUnavailable(f"The test environment {environment} is missing.")
    scratch_root = scratch_root or Path(tempfile.gettempdir())
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=scratch_root))
    try:
        # Readable by the unprivileged uid the launcher becomes; nothing here is secret.
        scratch.chmod(0o755)
        etc = scratch / "etc"
        etc.mkdir(mode=0o755)
        (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")
        archive = scratch / "submission.zip"
        shutil.copyfile(archive_bytes_path, archive)
        archive.chmod(0o644)
        with claimed_uid(uid) as own_uid:
            return _execute(
                environment=environment,
                base_prefix=base_prefix,
                suite_dir=suite_dir,
                archive=archive,
                etc_dir=etc,
                limits=limits,
                uid=own_uid,
                settings_module=settings_module,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def claimed_uid(uid: int, tries: int = 1000) -> Iterator[int]:
    """Hold UID for one run, or the next uid that no other run on this machine holds.

    Started by root, a run has a uid of its own: its process limit counts that uid's
    processes, and every process left with it is killed when the run ends. Two runs
    must never share one, yet run ids repeat between databases: two sites on one
    machine, or the test suite's parallel workers, killed each other's runs. A name in
    the abstract socket namespace is the lock: the kernel lets one socket bind it and
    frees it when the socket closes, or its process dies.
    """
    for candidate in range(uid, uid + tries):
        lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            lock.bind(f"\0coursesite-autograding-uid-{candidate}")
        except OSError:  # held by another run
            lock.close()
            continue
        try:
            yield candidate
        finally:
            lock.close()
        return
    raise SandboxUnavailable(f"Every sandbox uid from {uid} to {uid + tries - 1} is in use.")


def _execute(*, limits: Limits, **kwargs) -> Outcome:
    try:
        seccomp_fd = seccomp.filter_fd()
    except seccomp.SeccompUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from exc
    try:
        report_read, report_write = os.pipe()
    except OSError:
        os.close(seccomp_fd)
        raise
    outcome = Outcome()
    started = time.monotonic()
    try:
        args = command(limits=limits, report_fd=report_write, seccomp_fd=seccomp_fd, **kwargs)
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(report_write, seccomp_fd),
                start_new_session=True,  # its own process group, killed as one
                # Not the worker's: bwrap's --clearenv empties only what the code gets, and
                # without root the sandbox's pid 1 is bwrap itself, as the code's uid, whose
                # /proc/1/environ showed the worker's secrets (DJANGO_SECRET_KEY, DATABASE_URL).
                env=BWRAP_ENVIRONMENT,
                umask=0o022,  # the folders bwrap makes must be readable by the sandbox uid
            )
        except OSError as exc:
            raise SandboxUnavailable(f"bwrap could not start: {exc}") from exc
    finally:
        os.close(report_write)
        os.close(seccomp_fd)
    try:
        _collect(process, report_read, limits, outcome, started)
    finally:
        os.close(report_read)
        _kill(process)
        _reap(kwargs["uid"])
    outcome.duration = time.monotonic() - started
    return outcome


def _kill(process: subprocess.Popen, settle_seconds: float = 2.0) -> None:
    """Kill the run's whole process group and wait until none of it is left.

    Also when bwrap itself has exited: what it started may still be in the group, and
    the kernel ends the processes of a PID namespace asynchronously after its first
    process, so they can outlive bwrap by a few milliseconds on a busy machine.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return  # the group is empty
        time.sleep(0.01)


def _reap(uid: int, settle_seconds: float = 2.0) -> None:
    """Kill whatever still runs as the run's UID, and wait until nothing does.

    The submission runs in a session of its own inside the sandbox (``--new-session``),
    so killing bwrap's process group leaves it to the kernel, which ends a PID
    namespace's processes after its first one, asynchronously: on a busy machine a
    test's endless loop outlived the run by some milliseconds. Only when started by
    root, where the run has a uid of its own (``services.sandbox_uid``, far above any
    account's); otherwise the namespace's processes are ours and bwrap's own ends them.
    """
    if os.geteuid() != 0 or uid == os.getuid():
        return
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        left = processes_of_uid(uid)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def processes_of_uid(uid: int) -> list[int]:
    """Return the ids of the machine's processes running as UID (read from /proc)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as status:
                for line in status:
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:]:
                            found.append(int(name))
                        break
        except OSError:
            continue  # it just ended
    return found


def memory_of_tree(root_pid: int) -> int:
    """Bytes of memory used by ROOT_PID and every process under it, each page shared by
    several of them divided among them (PSS: forked processes share their parent's)."""
    total, pending, seen = 0, [root_pid], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue  # it just ended
    return total


def _collect(process, report_fd: int, limits: Limits, outcome: Outcome, started: float) -> None:
    """Read output and report until both close or the wall limit passes."""
    output_cap, report_cap = limits.output_kb * 1024, limits.report_kb * 1024
    output, report = bytearray(), bytearray()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    selector.register(report_fd, selectors.EVENT_READ, "report")
    deadline = started + limits.wall_seconds
    # The launcher's address-space limit holds each process; the run's processes
    # together (up to the process limit, each with as much) are held here, by their
    # proportional memory read every tenth of a second.
    memory_cap = limits.memory_mb * MIB
    next_memory_check = 0.0
    open_streams = 2
    while open_streams:
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            outcome.timed_out = True
            _kill(process)
            break
        if now >= next_memory_check:
            next_memory_check = now + MEMORY_CHECK_SECONDS
            if memory_of_tree(process.pid) > memory_cap:
                outcome.memory_exceeded = True
                _kill(process)
                break
        for key, _ in selector.select(timeout=min(remaining, MEMORY_CHECK_SECONDS)):
            fd = key.fd if key.data == "report" else process.stdout.fileno()
            chunk = os.read(fd, 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            # Keep reading past the caps (the sandbox would block otherwise), keep nothing.
            if key.data == "output":
                if len(output) < output_cap:
                    output += chunk[: output_cap - len(output)]
                else:
                    outcome.output_truncated = True
            elif len(report) < report_cap:
                if outcome.ready_after is None:
                    outcome.ready_after = time.monotonic() - started
                report += chunk[: report_cap - len(report)]
            else:
                outcome.report_truncated = True
    selector.close()
    try:
        remaining = max(deadline - time.monotonic(), 0.1)
        process.wait(timeout=remaining)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
        _kill(process)
    outcome.returncode = process.returncode
    outcome.output = output.decode("utf-8", "replace")
    for line in bytes(report).splitlines():
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            # A line cut by the cap, or written by the submission: 200,000 "[" made the
            # decoder recurse out of the worker's task, and the run stayed "running".
            continue
        if isinstance(event, dict):
            outcome.events.append(event)
