"""Bad and hostile submissions, each run for real in bubblewrap by the worker's code.

Each ends in a clear status and message for the student, and leaves the worker (this
process) and the machine as they were: no process left behind, no file outside.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from autograding import sandbox, services
from autograding.models import RunStatus
from autograding.results import for_student
from autograding.tasks import run_tests

from .conftest import run_now

pytestmark = pytest.mark.django_db


def processes_of(run) -> list[int]:
    """The machine's processes running as RUN's sandbox uid (only its sandbox uses it)."""
    return sandbox.processes_of_uid(services.sandbox_uid(run))


def writes_to_the_report(line: str) -> str:
    """Return a module that, imported, writes LINE (a Python expression for bytes) to the
    pipe the launcher reports on, found as a probe found it: the launcher's arguments."""
    return (
        "import json, os\n\n"
        "for arg in open('/proc/self/cmdline', 'rb').read().split(b'\\0'):\n"
        "    try:\n        found = json.loads(arg)\n    except ValueError:\n        continue\n"
        "    if isinstance(found, dict) and 'report_fd' in found:\n"
        f"        os.write(found['report_fd'], {line} + b'\\n')\n"
    )


def test_an_endless_loop_times_out_naming_the_test(world):
    world.suite(
        {
            "test_loop.py": "from app import spin\n\n"
            "def test_quick():\n    assert True\n\n"
            "def test_spins():\n    spin()\n"
        },
        wall_seconds=6,
    )
    run = run_now(world.submit({"app.py": "def spin():\n    while True:\n        pass\n"}))

    assert run.status == RunStatus.TIMED_OUT
    assert "test_loop.py::test_spins was running" in run.message
    outcomes = {r.nodeid: r.outcome for r in run.results.all()}
    assert outcomes == {"test_loop.py::test_quick": "passed", "test_loop.py::test_spins": "error"}
    assert run.duration < 12
    assert processes_of(run) == [], "the sandbox left processes behind"


def test_a_loop_while_the_tests_load_says_where_to_look(world):
    """Probe 103: a loop at a module's top level said only "stopped after 10 s", with no
    test named and no hint of where."""
    world.suite({"test_app.py": "import app\n\ndef test_x():\n    assert True\n"}, wall_seconds=3)
    run = run_now(world.submit({"app.py": "while True:\n    pass\n"}))
    assert run.status == RunStatus.TIMED_OUT
    assert "They were still loading (importing your code and the tests)" in run.message
    assert "code at the top level of a module that loops or waits" in run.message


def test_printing_past_the_file_size_limit_says_so_in_words(world, settings):
    """Probe 103: a test printing a lot failed on "OSError: [Errno 27] File too large" at
    a print(), which said nothing of the cause."""
    settings.AUTOGRADING_MAX_FILE_MB = 1
    world.suite(
        {
            "test_app.py": "from app import add\n\n"
            "def test_add():\n    assert add(1, 2) == 3\n\n"
            "def test_quiet():\n    assert True\n"
        }
    )
    noisy = "def add(a, b):\n    for i in range(100_000):\n        print('spam ' * 20, i)\n"
    run = run_now(world.submit({"app.py": noisy + "    return a + b\n"}))
    assert run.status == RunStatus.FAILED, (run.status, run.message)
    assert "1 of 2 tests did not pass." in run.message
    assert "Your code wrote more than a file may hold (1 MB, the file size limit)" in run.message
    assert "print less" in run.message


def test_a_run_stopped_after_a_flood_of_printing_names_printing_first(world, settings):
    """Probe 103: a run that printed past the file size limit, then ran out of time,
    was told only to "look for an endless loop or a wait"."""
    settings.AUTOGRADING_MAX_FILE_MB = 1
    world.suite(
        {
            "test_app.py": "from app import add, spin\n\n"
            "def test_add():\n    assert add(1, 2) == 3\n\n"
            "def test_spins():\n    spin()\n"
        },
        wall_seconds=4,
    )
    noisy = "def add(a, b):\n    for i in range(100_000):\n        print('spam ' * 20, i)\n"
    code = noisy + "    return a + b\n\ndef spin():\n    while True:\n        pass\n"
    run = run_now(world.submit({"app.py": code}))
    assert run.status == RunStatus.TIMED_OUT, (run.status, run.message)
    assert (
        "test_app.py::test_spins was running: look for print() in a long loop, an endless "
        "loop or a wait." in run.message
    )
    assert "print less" in run.message


@pytest.mark.parametrize("stop", ["spin()", "os._exit(3)"], ids=["hang", "crash"])
def test_tests_a_stopped_run_never_reached_count_as_not_passed(world, stop):
    """Passing one test then hanging (or crashing) in the next scored a group of four as
    if only two had run: 1 of 2 passed, half the points, more than failing three."""
    world.suite(
        {
            "test_steps.py": "from app import spin, stop\n\n"
            "def test_1_first():\n    assert True\n\n"
            "def test_2_stops():\n    stop()\n\n"
            "def test_3_never():\n    assert True\n\n"
            "def test_4_never():\n    assert True\n"
        },
        groups=(("All tests", "*", "visible", 8),),
        wall_seconds=5,
    )
    app = f"import os\n\ndef spin():\n    while True:\n        pass\n\ndef stop():\n    {stop}\n"
    run = run_now(world.submit({"app.py": app}))

    outcomes = {r.nodeid.rsplit("::", 1)[1]: r.outcome for r in run.results.all()}
    assert outcomes == {
        "test_1_first": "passed",
        "test_2_stops": "error",
        "test_3_never": "skipped",
        "test_4_never": "skipped",
    }
    assert "Not run" in run.results.get(nodeid__endswith="test_3_never").output
    assert (run.tests_passed, run.tests_total) == (1, 4)
    assert run.score == 2  # a quarter of 8 points

    # The student reads them as such (probe 103: "Skipped", and "0.00 s" for the test
    # the limit stopped).
    client = Client()
    client.force_login(world.student)
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    rows = {
        re.search(r"::(test_\w+)", row).group(1): re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for row in re.findall(r'<tr class="autograde-test".*?</tr>', page, re.S)
    }
    assert "Not run" in rows["test_3_never"][1] and "no time" in rows["test_3_never"][2]
    assert "Passed" in rows["test_1_first"][1] and " s" in rows["test_1_first"][2]
    stopped = "Stopped" if stop == "spin()" else "Error"  # a crash is the test's own error
    assert stopped in rows["test_2_stops"][1]


def test_a_fork_bomb_is_stopped_and_the_worker_stays_healthy(world):
    world.suite(
        {
            "test_bomb.py": "from app import bomb\n\n"
            "def test_bomb():\n    bomb()\n\n"
            "def test_after():\n    assert 1 + 1 == 2\n"
        },
        wall_seconds=15,
    )
    bomb = (
        "import os, time\n\n"
        "def bomb():\n"
        "    children = 0\n"
        "    while True:\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            time.sleep(600)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
    )
    run = run_now(world.submit({"app.py": bomb}))

    assert run.status == RunStatus.FAILED
    bombed = run.results.get(nodeid="test_bomb.py::test_bomb")
    assert bombed.outcome == "failed"
    assert "Resource temporarily unavailable" in bombed.output  # fork refused: EAGAIN
    assert run.results.get(nodeid="test_bomb.py::test_after").outcome == "passed"
    assert processes_of(run) == [], "the fork bomb's processes outlived the run"
    # The worker is fine: the next run starts and passes at once.
    healthy = run_now(world.submit({"app.py": "def bomb():\n    return None\n"}))
    assert healthy.status == RunStatus.PASSED


def test_a_run_never_takes_a_sandbox_uid_another_run_holds():
    """Run ids repeat between databases (two sites on one machine, the test suite's
    workers): a run whose uid another run holds takes the next free one."""
    with sandbox.claimed_uid(3_000_000) as first, sandbox.claimed_uid(3_000_000) as second:
        assert (first, second) == (3_000_000, 3_000_001)
        with sandbox.claimed_uid(3_000_001) as third:
            assert third == 3_000_002
    with sandbox.claimed_uid(3_000_000) as again:  # released with its run
        assert again == 3_000_000


@pytest.mark.skipif(os.geteuid() != 0, reason="runs have a uid of their own only under root")
def test_a_run_leaves_another_sites_run_with_the_same_id_alone(world):
    """Before, a run killed every process of the uid its id gave: another database's run
    of the same id, on the same machine, died with it."""
    world.suite({"test_ok.py": "def test_ok():\n    assert True\n"})
    run = services.run_request(submission=world.submit({"app.py": ""}))
    uid = services.sandbox_uid(run)
    with sandbox.claimed_uid(uid) as held:  # another site's run, still going
        sleeper = [shutil.which("sleep"), "60"]
        other = subprocess.Popen(sleeper, user=held, start_new_session=True)  # noqa: S603
        try:
            run_tests.call(run_id=run.pk)
            run.refresh_from_db()
            assert run.status == RunStatus.PASSED
            assert other.poll() is None, "the run killed another run's process"
        finally:
            other.kill()
            other.wait()


def test_files_of_the_submission_cannot_stand_in_for_pytest_or_the_standard_library(world):
    """A pytest.py in the project was imported as pytest itself: it wrote "passed" for
    every test of the suite to the report, without any test importing the project."""
    world.suite(
        {
            "test_readme.py": "import pathlib\n\n"
            "def test_readme():\n    assert pathlib.Path('README.md').exists()\n\n"
            "def test_never():\n    assert False\n"
        }
    )
    fake = (
        "import os, sys, json as j\n"
        "fd = j.loads(sys.argv[1])['report_fd']\n"
        "for name in ('test_readme', 'test_never'):\n"
        "    line = {'e': 'result', 'nodeid': f'test_readme.py::{name}', 'outcome': 'passed'}\n"
        "    os.write(fd, (j.dumps(line) + '\\n').encode())\n"
        'os.write(fd, b\'{"e": "end", "exitstatus": 0}\\n\')\n'
        "os._exit(0)\n"
    )
    run = run_now(world.submit({"pytest.py": fake, "pluggy.py": fake, "pathlib.py": fake}))

    assert run.status == RunStatus.FAILED
    outcomes = {r.nodeid: r.outcome for r in run.results.all()}
    assert outcomes == {
        "test_readme.py::test_readme": "failed",
        "test_readme.py::test_never": "failed",
    }


def test_kernel_calls_no_test_needs_are_refused_and_the_rest_still_work(world):
    """Inside a run, `unshare -Ur` made a user namespace with root in it: no escape, but
    the kernel paths most privilege escalations take. bwrap's seccomp filter refuses
    new namespaces, mounts, keyrings, BPF and ptrace; forks, threads and programs run."""
    world.suite(
        {
            "test_calls.py": "import os, subprocess, threading, pytest\n\n"
            "def test_no_new_namespaces():\n"
            "    with pytest.raises(PermissionError):\n"
            "        os.unshare(os.CLONE_NEWUSER)\n"
            "    assert subprocess.run(['unshare', '-Ur', 'true']).returncode != 0\n\n"
            "def test_no_memory_outside_the_limit():\n"
            "    with pytest.raises(PermissionError):\n"
            "        os.memfd_create('held')\n\n"
            "def test_forks_threads_and_programs_run():\n"
            "    box = []\n"
            "    thread = threading.Thread(target=box.append, args=[1])\n"
            "    thread.start()\n"
            "    thread.join()\n"
            "    assert box == [1]\n"
            "    assert subprocess.run(['true']).returncode == 0\n"
            "    pid = os.fork()\n"
            "    if pid == 0:\n"
            "        os._exit(7)\n"
            "    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7\n"
        }
    )
    run = run_now(world.submit({"app.py": ""}))

    assert run.status == RunStatus.PASSED, run.results.values_list("nodeid", "output")
    assert run.results.count() == 3


def test_memory_no_process_holds_is_refused_or_small(world):
    """Memory held outside every process (System V segments, files in /dev or
    /dev/shm) escaped the run's memory limit: 2 GB held against 512 MB."""
    world.suite(
        {
            "test_held.py": "import ctypes, errno, os, pytest\n\n"
            "def test_no_system_v_segments_or_queues():\n"
            "    libc = ctypes.CDLL(None, use_errno=True)\n"
            "    assert libc.shmget(0, 256 << 20, 0o1600) == -1\n"
            "    assert ctypes.get_errno() == errno.EPERM\n"
            "    assert libc.msgget(0, 0o1600) == -1\n"
            "    assert ctypes.get_errno() == errno.EPERM\n\n"
            "def test_dev_is_read_only():\n"
            "    with pytest.raises(OSError):\n"
            "        open('/dev/held', 'wb')\n"
            "    with open('/dev/null', 'wb') as null:\n"
            "        null.write(b'still works')\n\n"
            "def test_dev_shm_is_small():\n"
            "    written = 0\n"
            "    try:\n"
            "        with open('/dev/shm/held', 'wb') as held:\n"
            "            for _ in range(64):\n"
            "                written += held.write(b'x' * (1 << 20))\n"
            "                held.flush()\n"
            "    except OSError:\n"
            "        pass\n"
            "    assert written <= 16 << 20\n"
        }
    )
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.PASSED, run.results.values_list("nodeid", "output")
    assert run.tests_total == 3


def test_huge_output_is_cut(world):
    world.suite(
        {
            "conftest.py": "import atexit, os\n\n"
            "atexit.register(lambda: [os.write(1, b'x' * 65536) for _ in range(800)])\n",
            "test_noise.py": "from app import shout\n\n"
            "def test_shout():\n    shout()\n    assert False\n",
        }
    )
    run = run_now(world.submit({"app.py": "def shout():\n    print('y' * 50_000_000)\n"}))

    assert run.status == RunStatus.FAILED
    result = run.results.get()
    assert len(result.output) <= 8192
    assert "characters cut" in result.output
    # 50 MB at exit, and the run keeps at most its output cap (64 KB) of it.
    assert len(run.output) < 70_000
    assert run.output.endswith(f"(output cut at {settings.AUTOGRADING_OUTPUT_KB * 1024:,} bytes)")


def test_the_server_s_files_do_not_exist_inside(world, tmp_path):
    media_file = settings.MEDIA_ROOT / "secret.txt"
    media_file.parent.mkdir(parents=True, exist_ok=True)
    media_file.write_text("secret")
    # SQLite's database is a file; PostgreSQL's local server is reached through the
    # socket in its run folder (a database name is no path).
    database = (
        str(settings.DATABASES["default"]["NAME"])
        if connection.vendor == "sqlite"
        else "/var/run/postgresql"
    )
    paths = [
        "/etc/passwd",
        "/etc/shadow",
        str(settings.BASE_DIR / "coursesite" / "settings.py"),
        database,
        str(media_file),
        str(settings.AUTOGRADING_ROOT / "tmp"),  # other runs' scratch space
        "/root/.ssh",
        "/proc/1/environ",
    ]
    assert all(os.path.exists(p) for p in paths[2:5])  # they exist, outside
    world.suite(
        {
            "test_peek.py": f"import os\n\nPATHS = {paths[:-1]!r}\n\n"
            "def test_nothing_is_there():\n"
            "    assert [p for p in PATHS if os.path.exists(p)] == []\n\n"
            "def test_not_even_by_open():\n"
            "    for path in PATHS:\n"
            "        try:\n"
            "            open(path).read()\n"
            "        except (FileNotFoundError, IsADirectoryError, PermissionError):\n"
            "            continue\n"
            "        raise AssertionError(path)\n\n"
            "def test_no_host_secrets_in_environ():\n"
            "    assert 'DJANGO_SECRET_KEY' not in os.environ\n"
            "    assert 'DATABASE_URL' not in os.environ\n"
            "    assert os.getuid() != 0\n\n"
            "def test_cannot_write_outside_work():\n"
            "    for path in ('/usr/evil', '/suite/evil.py', '/autograding/evil.py'):\n"
            "        try:\n"
            "            open(path, 'w')\n"
            "        except OSError:\n"
            "            continue\n"
            "        raise AssertionError(path)\n"
        }
    )
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.PASSED, run.results.values_list("nodeid", "output")
    assert run.tests_total == 4


def _environments_of_descendants(root: int) -> dict[int, bytes]:
    """Return the environment (as exec gave it) of every process under ROOT."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat", "rb").read()  # noqa: SIM115, PTH123
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(b")", 1)[1].split()[1])
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, ppid in parents.items():
            if ppid == parent:
                todo.append(pid)
                try:
                    found[pid] = open(f"/proc/{pid}/environ", "rb").read()  # noqa: SIM115, PTH123
                except OSError:
                    pass
    return found


def test_no_process_of_a_run_holds_the_worker_s_environment(world, monkeypatch):
    """Without root, the sandbox's pid 1 is bwrap itself, as the code's own uid: its
    /proc/1/environ, the worker's environment as bwrap was started with it, gave any
    student the site's secret key and database password. Read here from outside, where
    root sees every process's, while the submitted code sleeps."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "worker-secret-4b1d")
    world.suite({"test_wait.py": "import time\n\ndef test_wait():\n    time.sleep(4)\n"})
    seen: dict[int, bytes] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(_environments_of_descendants(os.getpid()))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run = run_now(world.submit({"app.py": ""}))
    finally:
        done.set()
        watcher.join()
    assert run.status == RunStatus.PASSED, run.message
    assert len(seen) >= 2, "bwrap and the code were not seen running"
    assert not [pid for pid, environ in seen.items() if b"worker-secret-4b1d" in environ]


def test_sockets_are_refused(world):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # open from outside
        world.suite(
            {
                "test_net.py": "import socket, pytest\n\n"
                "def test_local_port_refused():\n"
                "    with pytest.raises(OSError):\n"
                f"        socket.create_connection(('127.0.0.1', {port}), timeout=2)\n\n"
                "def test_database_refused():\n"
                "    with pytest.raises(OSError):\n"
                "        socket.create_connection(('127.0.0.1', 5432), timeout=2)\n\n"
                "def test_no_name_resolution():\n"
                "    with pytest.raises(OSError):\n"
                "        socket.getaddrinfo('pypi.org', 443)\n\n"
                "def test_no_outside_address():\n"
                "    with pytest.raises(OSError):\n"
                "        socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
            }
        )
        run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.PASSED, run.results.values_list("nodeid", "output")
    assert run.tests_total == 4


def test_filling_the_disk_hits_the_limits(world):
    before = shutil.disk_usage(settings.AUTOGRADING_ROOT).used
    world.suite(
        {
            "test_disk.py": "from app import one_big_file, many_files\n\n"
            "def test_big():\n    one_big_file()\n\n"
            "def test_many():\n    many_files()\n"
        }
    )
    app = (
        "import os\n\n"
        "CHUNK = b'0' * (1 << 20)\n\n"
        "def one_big_file():\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        for _ in range(1000):\n"
        "            f.write(CHUNK)\n\n"
        "def many_files():\n"
        "    for n in range(1000):\n"
        "        with open(f'/tmp/part{n}.bin', 'wb') as f:\n"
        "            for _ in range(32):\n"
        "                f.write(CHUNK)\n"
    )
    run = run_now(world.submit({"app.py": app}))

    assert run.status == RunStatus.FAILED
    outputs = dict(run.results.values_list("nodeid", "output"))
    assert "File too large" in outputs["test_disk.py::test_big"]
    assert "No space left on device" in outputs["test_disk.py::test_many"]
    # The sandbox's disk is memory of its own: the machine's disk did not fill.
    assert shutil.disk_usage(settings.AUTOGRADING_ROOT).used - before < 50 * 1024 * 1024


def test_a_test_that_prints_a_lot_is_cut_and_the_others_still_count(world):
    """Probe 24: 100 MB written by one test, under 256 MB of memory: the runner joined
    it all before cutting it, ran out of memory, and the run said "No tests ran." (0/0)."""
    world.suite(
        {
            "test_noisy.py": "import os\n\n"
            "def test_noisy():\n"
            "    for _ in range(50):\n"
            "        os.write(1, b'o' * 1024 * 1024)\n"
            "        os.write(2, b'e' * 1024 * 1024)\n\n"
            "def test_quiet():\n    assert True\n\n"
            "def test_quiet_too():\n    assert True\n",
        },
        memory_mb=256,
    )
    run = run_now(world.submit({"app.py": ""}))
    results = {result.nodeid.rsplit("::", 1)[-1]: result for result in run.results.all()}
    assert set(results) == {"test_noisy", "test_quiet", "test_quiet_too"}, run.output[-2000:]
    assert all(result.outcome == "passed" for result in results.values())
    assert "characters cut" in results["test_noisy"].output
    assert len(results["test_noisy"].output) <= 8192


def test_a_memory_hog_fails_its_test(world):
    world.suite(
        {"test_mem.py": "def test_hog():\n    data = bytearray(8 * 1024 ** 3)\n    assert data\n"},
        memory_mb=512,
    )
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.FAILED
    assert "MemoryError" in run.results.get().output


def test_processes_that_share_out_the_memory_limit_are_stopped_together(world):
    """The address-space limit holds each process: four children of 150 MB each used
    600 MB under a limit of 256 MB (up to processes x memory). The run is stopped when
    its processes together pass the limit; the tests before it keep their results."""
    world.suite(
        {
            "test_share.py": "from app import spread\n\n"
            "def test_first():\n    assert True\n\n"
            "def test_spread():\n    spread()\n"
        },
        memory_mb=256,
        wall_seconds=30,
    )
    spread = (
        "import os, time\n\n"
        "def spread():\n"
        "    for _ in range(4):\n"
        "        if os.fork() == 0:\n"
        "            data = bytearray(150 * 1024 * 1024)  # zeroed: every page touched\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "    time.sleep(60)\n"
    )
    run = run_now(world.submit({"app.py": spread}))

    assert run.status == RunStatus.FAILED
    assert run.message.startswith(
        "The tests were stopped when they used more than 256 MB of memory together"
    )
    assert "test_share.py::test_spread was running" in run.message
    outcomes = {r.nodeid: r.outcome for r in run.results.all()}
    assert outcomes == {
        "test_share.py::test_first": "passed",
        "test_share.py::test_spread": "error",
    }
    assert run.finished_at - run.started_at < timedelta(seconds=20)  # not the wall limit
    assert processes_of(run) == []


def test_tests_that_do_not_import_say_why(world):
    world.suite(
        {"test_app.py": "from notes import create_app\n\ndef test_app():\n    create_app()\n"}
    )
    run = run_now(world.submit({"README.md": "We forgot the code.\n"}))

    assert run.status == RunStatus.FAILED
    assert "could not be loaded (test_app.py)" in run.message
    result = run.results.get()
    assert result.outcome == "error"
    assert "ModuleNotFoundError: No module named 'notes'" in result.output


def test_a_suite_that_does_not_compile_is_not_blamed_on_the_student(world):
    """A syntax error in the instructor's test file read "usually your code does not
    import", and linked criteria were pre-filled with 0. (An upload with one is refused
    now; a suite stored before that still runs.)"""
    world.suite(
        {
            "test_ok.py": "def test_ok():\n    assert True\n",
            "test_broken.py": "def test_it():\n    assert True\n\ndef test_oops(:\n    pass\n",
        },
        checked=False,
    )
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.SANDBOX_ERROR, (run.status, run.message)
    assert "The tests themselves could not be loaded: test_broken.py has a SyntaxError" in (
        run.message
    )
    assert "This is not your code" in run.message


def test_a_test_file_asking_for_a_module_nobody_installed_stops_only_its_own_tests(world):
    """A test file importing a package missing from the suite's requirements stopped the
    whole collection: every student 0 points, told their code does not import (probe 69)."""
    world.suite(
        {
            "test_ok.py": "import app\n\ndef test_ok():\n    assert app.X == 1\n",
            "test_http.py": "import requests_nowhere\n\ndef test_get():\n    pass\n",
        }
    )
    run = run_now(world.submit({"app.py": "X = 1\n"}))
    assert run.status == RunStatus.FAILED, (run.status, run.message)
    assert "could not be loaded (test_http.py)" in run.message
    assert (
        "The tests ask for “requests_nowhere”: if your project is not meant to provide it, "
        "tell your instructor, whose tests may need it installed."
    ) in run.message
    outcomes = {r.nodeid: r.outcome for r in run.results.all()}
    assert outcomes["test_ok.py::test_ok"] == "passed"  # the other file's tests ran


def test_leaving_code_out_never_scores_more_than_writing_it_with_a_bug(world):
    """Counted as one failure, a file of nine tests that did not import scored 5/10
    where the same tests written against buggy code scored 2/10 (probe 70)."""
    hard = "".join(f"def test_hard_{n}():\n    assert hard({n}) == {n}\n\n" for n in range(9))
    world.suite(
        {
            "test_easy.py": "import app\n\ndef test_easy():\n    assert app.easy()\n",
            "test_hard.py": "from app import hard\n\n" + hard,
        },
        groups=(("All tests", "*", "visible", 10),),
    )
    left_out = run_now(world.submit({"app.py": "def easy():\n    return True\n"}))
    buggy = run_now(
        world.submit({"app.py": "def easy():\n    return True\n\ndef hard(n):\n    return 0\n"})
    )
    assert buggy.score == Decimal("2.00")  # 2 of 10 tests: easy and hard(0) == 0
    assert left_out.score == Decimal("0.00")  # it was 5.00: "1 of 2" passed
    assert left_out.score <= buggy.score


def test_a_submission_cannot_report_the_suite_broken_to_blame_the_platform(world):
    """Probe 30: one made-up "collect_error" line naming a suite file turned the
    student's run into "Sandbox error… This is not your code"."""
    world.suite({"test_ok.py": "import app\n\ndef test_ok():\n    assert True\n"})
    event = {
        "e": "collect_error",
        "nodeid": "test_ok.py",
        "message": 'File "/suite/test_ok.py", line 3\n    def (\n        ^\n'
        "SyntaxError: invalid syntax",
    }
    run = run_now(world.submit({"app.py": writes_to_the_report(repr(json.dumps(event).encode()))}))

    assert run.status == RunStatus.FAILED, (run.status, run.message)
    assert "This is not your code" not in run.message
    assert "could not be loaded (test_ok.py)" in run.message


def test_a_path_too_long_for_the_file_system_cannot_make_a_run_a_sandbox_error(world):
    """Probe 51: the same made-up line naming a 400-character path raised "File name too
    long" while the server read it: "Sandbox error… Nothing is wrong with your code"."""
    world.suite({"test_ok.py": "import app\n\ndef test_ok():\n    assert True\n"})
    event = {
        "e": "collect_error",
        "nodeid": "test_ok.py",
        "message": f'File "/suite/{"a" * 400}.py", line 1\n    x\nSyntaxError: bad',
    }
    run = run_now(world.submit({"app.py": writes_to_the_report(repr(json.dumps(event).encode()))}))

    assert run.status == RunStatus.FAILED, (run.status, run.message)
    assert "Nothing is wrong with your code" not in run.message
    assert "File name too long" not in run.output


def test_a_submission_cannot_report_its_archive_unreadable(world):
    """Probe 30: a made-up "unpack_error" line replaced a run's results with "Your
    archive could not be unpacked"."""
    world.suite({"test_ok.py": "import app\n\ndef test_ok():\n    assert True\n"})
    line = repr(json.dumps({"e": "unpack_error", "message": ""}).encode())
    run = run_now(world.submit({"app.py": writes_to_the_report(line)}))

    assert run.status == RunStatus.PASSED, (run.status, run.message)
    assert {r.nodeid: r.outcome for r in run.results.all()} == {"test_ok.py::test_ok": "passed"}


def test_a_syntax_error_in_the_submission_is_the_student_s(world):
    world.suite({"test_app.py": "from app import f\n\ndef test_f():\n    assert f()\n"})
    run = run_now(world.submit({"app.py": "def f(:\n    return 1\n"}))
    assert run.status == RunStatus.FAILED
    assert "could not be loaded (test_app.py)" in run.message


def test_code_that_does_not_import_shows_its_error_under_the_visible_tests_file(world):
    """Probe 103: a load error is reported by its file's path alone ("test_calc.py"),
    which the patterns the docs advise ("test_calc.py::*") did not pick: it counted as a
    hidden test, and the student read neither the error nor where it was."""
    world.suite(
        {
            "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
            "test_hidden.py": "from calc import add\n\ndef test_big():\n    assert add(10**9, 1)\n",
        },
        groups=(
            ("Basics", "test_calc.py::*", "visible", 6),
            ("Big numbers", "test_hidden.py::*", "hidden", 2),
        ),
    )
    run = run_now(world.submit({"calc.py": "def add(a, b)\n    return a + b\n"}))
    assert run.status == RunStatus.FAILED
    groups = {r.nodeid: r.group.name if r.group else None for r in run.results.all()}
    assert groups == {"test_calc.py": "Basics", "test_hidden.py": "Big numbers"}
    shown = for_student(world.group, world.student)
    assert [r.nodeid for r in shown.visible] == ["test_calc.py"]
    assert "SyntaxError" in shown.visible[0].output
    # Said beside the file, not only in its folded output.
    assert shown.visible[0].reason.startswith("SyntaxError"), shown.visible[0].output
    assert shown.message.startswith("Some tests could not be loaded (test_calc.py, a hidden test)")
    assert "See the errors below." in shown.message
    assert (shown.hidden_total, shown.hidden_passed) == (1, 0)


def test_a_teardown_error_after_printed_output_is_the_reason_on_the_row(world):
    """Probe 108: a test that printed, then whose fixture failed as it ended, showed no
    reason: what it printed came before the teardown's error in its output."""
    world.suite(
        {
            "test_app.py": "import pytest\n\n@pytest.fixture\ndef server():\n    yield\n"
            "    raise RuntimeError('the server did not stop')\n\n"
            "def test_talks(server):\n    print('E   AssertionError: not me')\n"
        }
    )
    run = run_now(world.submit({"app.py": ""}))
    result = run.results.get(nodeid="test_app.py::test_talks")
    assert result.outcome == "error", result.output
    assert result.reason == "RuntimeError: the server did not stop", result.output


def test_a_file_that_did_not_load_is_taken_only_by_a_pattern_naming_that_file(world):
    """Probe 105: "*::test_style_*" (tests picked by name in any file) took the file that
    did not load, whose error then zeroed the style points its tests had earned."""
    world.suite(
        {
            "test_style.py": "def test_style_names():\n    assert True\n",
            "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        },
        groups=(
            ("Style", "*::test_style_*", "visible", 10),
            ("Calc", "test_calc.py::*", "visible", 6),
        ),
    )
    run = run_now(world.submit({"calc.py": "def add(a, b)\n"}))
    groups = {r.nodeid: r.group.name if r.group else None for r in run.results.all()}
    assert groups == {"test_style.py::test_style_names": "Style", "test_calc.py": "Calc"}
    assert run.score == 10  # Style's, whole; Calc's file did not load


@pytest.mark.parametrize(
    ("settings_py", "error"),
    [
        ("SECRET_KEY = 'x'\nINSTALLED_APPS = [\n", "SyntaxError"),
        (
            "SECRET_KEY = 'x'\nINSTALLED_APPS = ['rest_framework']\n",
            "No module named 'rest_framework'",
        ),
    ],
)
def test_django_settings_that_do_not_load_say_why(world, settings_py, error):
    # They said "code that exits the interpreter, or crashes it", and the error itself
    # was only in the output graders read: the common way a Django project breaks.
    world.suite({"test_site.py": "def test_ok():\n    pass\n"})
    manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_conf.settings')\n"
    run = run_now(
        world.submit(
            {
                "manage.py": manage,
                "site_conf/__init__.py": "",
                "site_conf/settings.py": settings_py,
            }
        )
    )
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("The tests could not start: your project does not load")
    assert error in run.message


@pytest.mark.parametrize(
    ("loading", "says"),
    [
        ("x = bytearray(8 * 1024 ** 3)\n", "asked for more memory than one process may use"),
        ("print('y' * 100_000_000)\n", "wrote more than a file may hold (64 MB, the file size"),
    ],
    ids=["memory", "output"],
)
def test_a_limit_hit_while_the_project_loads_is_named(world, loading, says):
    """Probe 30: "MemoryError" and "OSError: File too large" read as settings that do not
    import ("often its Django settings: a syntax error…")."""
    world.suite({"test_site.py": "def test_ok():\n    pass\n"})
    manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_conf.settings')\n"
    settings_py = "SECRET_KEY = 'x'\n" + loading
    run = run_now(
        world.submit(
            {"manage.py": manage, "site_conf/__init__.py": "", "site_conf/settings.py": settings_py}
        )
    )
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("The tests could not start: your project " + says.split(" ")[0])
    assert says in run.message
    assert "often its Django settings" not in run.message


def test_exiting_the_interpreter_stops_cleanly(world):
    world.suite(
        {
            "test_exit.py": "import os\n\ndef test_one():\n    pass\n\ndef test_exit():\n"
            "    os._exit(0)\n"
        }  # fmt: skip
    )
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.FAILED
    assert "stopped unexpectedly" in run.message
    assert "test_exit.py::test_exit" in run.message


def test_a_missing_bwrap_is_a_sandbox_error(world, monkeypatch):
    world.suite({"test_ok.py": "def test_ok():\n    pass\n"})
    # The machine's tool goes missing (an empty PATH), not our code.
    monkeypatch.setenv("PATH", "/nonexistent")
    run = run_now(world.submit({"app.py": ""}))
    assert run.status == RunStatus.SANDBOX_ERROR
    assert "Nothing is wrong with your code" in run.message
    assert "bubblewrap" in run.output


def test_bubblewrap_is_installed():
    """CI installs it (scripts/system-packages.sh); every test above needs it."""
    assert subprocess.run(["bwrap", "--version"], capture_output=True).returncode == 0  # noqa: S607


def test_what_the_code_writes_to_the_report_or_output_is_stored_safely(world):
    # The submitted code runs in the runner's process: it can print NUL bytes (which
    # PostgreSQL refuses in text) and write its own lines to the report, with JSON's
    # NaN and Infinity as durations, for tests of the suite still to run (the first
    # result of a test stands).
    app = (
        "import json, os, sys\n\n"
        "def cheat():\n"
        "    print('before\\x00after')\n"
        "    print('\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07rlo\\u202egnp.py')\n"
        "    fd = json.loads(sys.argv[-1])['report_fd']\n"
        "    for name, duration in (('a_nan', 'NaN'), ('b_inf', 'Infinity')):\n"
        '        line = \'{"e": "result", "outcome": "passed", \'\n'
        '        line += \'"nodeid": "test_cheat.py::test_%s", \'\n'
        "        os.write(fd, (line % name + '\"duration\": %s}\\n' % duration).encode())\n"
    )
    world.suite(
        {
            "test_cheat.py": "from app import cheat\n\n"
            "def test_cheat():\n    cheat()\n\n"
            "def test_a_nan():\n    pass\n\n"
            "def test_b_inf():\n    pass\n"
        }
    )
    run = run_now(world.submit({"app.py": app}))

    assert run.status in (RunStatus.PASSED, RunStatus.FAILED), (run.status, run.message)
    results = {r.nodeid: r for r in run.results.all()}
    assert results["test_cheat.py::test_a_nan"].duration == 0
    assert results["test_cheat.py::test_b_inf"].duration == 0
    stored = [run.output, run.message, *(r.output + r.nodeid for r in results.values())]
    assert not any("\x00" in text or "\x1b" in text or "\u202e" in text for text in stored)
    assert "beforeafter" in results["test_cheat.py::test_cheat"].output
    # Colours and titles are dropped; a text-reversing character shows as one.
    assert "red rlo\ufffdgnp.py" in results["test_cheat.py::test_cheat"].output


def test_a_failed_test_is_not_made_a_pass_by_a_later_line_of_the_report(world):
    app = (
        "import json, os, sys\n\n"
        "def flip():\n"
        "    fd = json.loads(sys.argv[-1])['report_fd']\n"
        '    line = \'{"e": "result", "outcome": "passed", \'\n'
        '    line += \'"nodeid": "test_flip.py::test_1_fails"}\'\n'
        "    os.write(fd, (line + '\\n').encode())\n"
    )
    world.suite(
        {
            "test_flip.py": "from app import flip\n\n"
            "def test_1_fails():\n    assert False\n\n"
            "def test_2_flips():\n    flip()\n"
        }
    )
    run = run_now(world.submit({"app.py": app}))
    assert run.results.get(nodeid="test_flip.py::test_1_fails").outcome == "failed"
    assert (run.status, run.tests_passed) == (RunStatus.FAILED, 1)


def test_results_count_only_for_the_tests_pytest_collected(world):
    """Made-up ids written to the report counted as passed tests: 200 of them turned two
    failed tests into 200 of 202 passed (9.90 of a group's 10 points), and a flood of
    them stored tens of thousands of rows."""
    app = (
        "import json, os, sys\n\n"
        "def go():\n"
        "    fd = json.loads(sys.argv[-1])['report_fd']\n"
        "    for i in range(200):\n"
        "        line = {'e': 'result', 'nodeid': f'test_hidden.py::test_fake{i}',\n"
        "                'outcome': 'passed'}\n"
        "        os.write(fd, (json.dumps(line) + '\\n').encode())\n"
        '    os.write(fd, b\'{"e": "start", "nodeid": "made::up"}\\n\')\n'
    )
    world.suite(
        {
            "test_hidden.py": "from app import go\n\n"
            "def test_one():\n    go()\n    assert False\n\n"
            "def test_two():\n    assert False\n"
        }
    )
    run = run_now(world.submit({"app.py": app}))

    assert run.status == RunStatus.FAILED
    assert run.message == "2 of 2 tests did not pass."
    outcomes = {r.nodeid: r.outcome for r in run.results.all()}
    assert outcomes == {"test_hidden.py::test_one": "failed", "test_hidden.py::test_two": "failed"}


@pytest.mark.django_db
def test_a_runs_message_names_no_hidden_test_before_the_release():
    """A timed-out or unloadable hidden test was named in the message students read."""
    from django.test import Client

    from access.tests.tenants import build_tenant
    from autograding.models import Run, TestGroup, TestResult
    from grading.models import GradeRelease

    a = build_tenant("Apple")
    run = Run.objects.get(submission=a.submission_o)
    hidden = TestGroup.objects.create(
        suite=run.suite, name="Apple hidden", visibility="hidden", points=5, patterns="*secret*"
    )
    TestResult.objects.create(
        run=run, nodeid="test_secret.py::test_sleep", group=hidden, outcome="error"
    )
    TestResult.objects.create(run=run, nodeid="test_secret_load.py", group=hidden, outcome="error")
    client = Client()
    client.force_login(a.student)
    url = a.grading.get_absolute_url()
    for message, shown in (
        (
            "The tests were stopped after 10 s (the time limit). test_secret.py::test_sleep "
            "was running: look for an endless loop or a wait.",
            "The tests were stopped after 10 s (the time limit). A hidden test was running: "
            "look for an endless loop or a wait.",
        ),
        (
            "Some tests could not be loaded (test_secret_load.py): usually your code does "
            "not import (a missing module or file, a syntax error). See the errors below.",
            "Some tests could not be loaded (a hidden test): usually your code does not "
            "import (a missing module or file, a syntax error).",
        ),
    ):
        Run.objects.filter(pk=run.pk).update(message=message)
        page = client.get(url).content.decode()
        assert shown in page
        assert "test_secret" not in page
    # Released: the names are the student's to read, with the tests' details.
    GradeRelease.objects.create(assignment=a.grading, released_at=a.grading.due_at)
    assert "test_secret_load.py" in client.get(url).content.decode()


def test_a_report_line_nested_past_the_decoder_s_depth_is_ignored_not_a_stuck_run(world):
    """Probe 30: 200,000 "[" written to the report pipe made the JSON decoder recurse out
    of the worker's task; the run stayed "running" for minutes, then blamed the platform."""
    world.suite({"test_ok.py": "import app\n\ndef test_ok():\n    assert app.ANSWER == 42\n"})
    run = run_now(
        world.submit({"app.py": writes_to_the_report("b'[' * 200_000") + "ANSWER = 42\n"})
    )

    assert run.status == RunStatus.PASSED, run.message
    assert {r.nodeid: r.outcome for r in run.results.all()} == {"test_ok.py::test_ok": "passed"}
