"""Test environments: one virtualenv per set of requirements, built outside the sandbox.

Runs have no network, so everything a suite needs is installed beforehand: pytest,
pytest-django, Flask and Django, plus the suite's own requirements. An environment
lives in ``AUTOGRADING_ROOT/envs/<key>``, where the key is a hash of the Python
version and the requirements: suites asking for the same packages share one. A worker
that lacks an environment (another machine) builds it on first use, under a file lock,
so two workers of one machine never build the same one at once.

The build runs outside the sandbox, for an instructor of any course, so nothing it
installs may run code there: packages come as wheels only (``--only-binary=:all:``: no
package's build script), pip runs without the server's environment variables (no
secret key, no database address), and the environment's own interpreter, which would
run the ``.pth`` files of what was installed, is only ever started inside the sandbox.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from packaging.requirements import InvalidRequirement, Requirement

BASE_PACKAGES = ("pytest", "pytest-django", "Flask", "Django")
# What pip may see of the server's environment: where programs are, and pip's own
# settings (an index mirror, a proxy), never the server's secrets.
_PIP_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "http_proxy", "https_proxy", "no_proxy")
WHEELS_ONLY = (
    "Packages are installed from wheels only, so that no package's own build code runs "
    "on the server: a requirement published only as source cannot be installed; pick "
    "another version or package."
)
READY = ".ready.json"
MAX_LOG = 64 * 1024


class BuildFailed(Exception):
    def __init__(self, log: str) -> None:
        super().__init__("The test environment could not be built.")
        self.log = log


@dataclass(frozen=True)
class Environment:
    path: Path
    base_prefix: str  # the Python installation the virtualenv was made from

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def root() -> Path:
    return Path(settings.AUTOGRADING_ROOT)


def python() -> str:
    """Return the interpreter environments are made from (AUTOGRADING_PYTHON)."""
    # The server's own Python, not its virtualenv's link to it: a virtualenv made from
    # a virtualenv would point into the server's packages.
    return settings.AUTOGRADING_PYTHON or getattr(sys, "_base_executable", sys.executable)


def clean_requirements(text: str) -> list[str]:
    """Return the requirement lines of TEXT, or raise ValidationError naming the bad line.

    Only plain requirements ("requests>=2.31", "Flask-Login") are accepted: no pip
    options (another index, an editable path) and no URLs, so an environment is always
    built from the registry the server trusts.
    """
    lines, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-") or "://" in line or "@" in line:
            errors.append(
                f"Line {number} ({line[:60]}): only package names with optional versions "
                "are accepted, e.g. requests>=2.31; no pip options or URLs."
            )
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            errors.append(f"Line {number} ({line[:60]}) is not a requirement: {exc}")
            continue
        lines.append(str(requirement))
    if errors:
        raise ValidationError(errors)
    return sorted(set(lines), key=str.lower)


def key_for(requirements: list[str]) -> str:
    description = {
        "python": python(),
        "base": BASE_PACKAGES,
        "requirements": sorted(requirements, key=str.lower),
        "wheels_only": True,  # environments built before are built again
    }
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()
    return digest[:24]


def path_for(key: str) -> Path:
    return root() / "envs" / key


def ready(key: str) -> Environment | None:
    """Return the environment KEY if it is built on this machine, else None."""
    path = path_for(key)
    try:
        marker = json.loads((path / READY).read_text())
    except (OSError, ValueError):
        return None
    return Environment(path=path, base_prefix=marker["base_prefix"])


def ensure(key: str, requirements: list[str]) -> tuple[Environment, str]:
    """Return the environment KEY, building it first if needed, and the build's log.

    Raise BuildFailed (with pip's output) if it cannot be built.
    """
    environment = ready(key)
    if environment is not None:
        return environment, ""
    path = path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    with open(path.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker of this machine may be building it
        environment = ready(key)
        if environment is not None:
            return environment, ""
        return _build(path, requirements)


def _build(path: Path, requirements: list[str]) -> tuple[Environment, str]:
    shutil.rmtree(path, ignore_errors=True)  # what a crashed build left
    started = time.monotonic()
    log: list[str] = []

    environment = {
        name: value
        for name, value in os.environ.items()
        if name in _PIP_ENVIRONMENT or name.startswith("PIP_")
    }
    environment["HOME"] = str(path)  # pip's cache and configuration: the build's own

    def step(*args: str, timeout: int, hint: str = "") -> None:
        log.append("$ " + " ".join(args))
        try:
            result = subprocess.run(  # noqa: S603 - fixed program, validated requirements
                args, capture_output=True, text=True, timeout=timeout, env=environment
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.append(str(exc))
            raise BuildFailed(_tail(log)) from exc
        log.append((result.stdout + result.stderr).strip())
        if result.returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            raise BuildFailed(_tail([*log, hint] if hint else log))

    step(python(), "-m", "venv", str(path), timeout=120)
    # Started before anything is installed: this pip runs no code of the packages.
    pip = [str(path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    step(
        *pip, "install", "--no-input", "--quiet", "--only-binary=:all:",
        *BASE_PACKAGES, *requirements,
        timeout=settings.AUTOGRADING_BUILD_TIMEOUT, hint=WHEELS_ONLY,
    )  # fmt: skip
    # The interpreter the environment was made from, asked in isolated mode: the
    # environment's own would run the .pth files just installed, outside the sandbox.
    probe = subprocess.run(  # noqa: S603 - the server's own interpreter
        [python(), "-I", "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    base_prefix = probe.stdout.strip()
    _readable(path)
    log.append(f"Built in {time.monotonic() - started:.1f} s.")
    (path / READY).write_text(json.dumps({"base_prefix": base_prefix}))
    return Environment(path=path, base_prefix=base_prefix), _tail(log)


def _readable(path: Path) -> None:
    """Let the sandbox's unprivileged uid read the environment (never write it)."""
    for item in [path, *path.rglob("*")]:
        if item.is_symlink():
            continue
        mode = item.stat().st_mode
        item.chmod(mode | (0o555 if item.is_dir() else 0o444))


def _tail(log: list[str]) -> str:
    text = "\n".join(log)
    return text if len(text) <= MAX_LOG else "...\n" + text[-MAX_LOG:]
