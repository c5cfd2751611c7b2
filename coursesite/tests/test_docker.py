"""The image, read from its Dockerfile and .dockerignore (no Docker daemon here)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

import dj_database_url
import pytest

from .test_site import BASE_DIR

DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
# One instruction a line: continuation lines joined.
INSTRUCTIONS = re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()


def image_env() -> dict[str, str]:
    env = {}
    for line in INSTRUCTIONS:
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def owned_by_app() -> list[PurePosixPath]:
    chowns = [re.findall(r"chown -R app:0 ((?:/\S+ ?)+)", line) for line in INSTRUCTIONS]
    return [PurePosixPath(path) for found in chowns for paths in found for path in paths.split()]


@pytest.mark.parametrize("setting", ["database", "DJANGO_MEDIA_ROOT", "AUTOGRADING_ROOT"])
def test_the_image_writes_only_where_its_user_owns_the_folder(setting):
    env = image_env()
    if setting == "database":
        # SQLite writes its write-ahead log beside the file: the folder must be app's.
        path = PurePosixPath(dj_database_url.parse(env["DATABASE_URL"])["NAME"]).parent
    else:
        path = PurePosixPath(env[setting])
    assert any(path == owned or owned in path.parents for owned in owned_by_app()), path
    assert DOCKERFILE.index("chown -R app:0") < DOCKERFILE.index("\nUSER 10001:10001")
    # Group 0 as the user: OpenShift runs the image as an arbitrary user of that group.
    assert "chmod -R g=u " + " ".join(str(p) for p in owned_by_app()) in DOCKERFILE


def test_the_image_has_bubblewrap_for_the_worker():
    installs = [line for line in INSTRUCTIONS if "apt-get install" in line]
    assert any("bubblewrap" in line and "--no-install-recommends" in line for line in installs)
    assert any("rm -rf /var/lib/apt/lists/*" in line for line in installs)


def test_the_image_says_how_to_migrate():
    assert "docker run IMAGE python manage.py migrate" in DOCKERFILE
    readme = (BASE_DIR / "README.md").read_text()
    assert "python manage.py migrate" in readme[readme.index("## Production") :]


PATTERNS = [
    line
    for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
    if line and not line.startswith("#")
]


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves PATH out: a pattern matches it or a folder above it."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in PATTERNS:
        if pattern.startswith("**/"):  # at any depth
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "db.sqlite3",
        "db.sqlite3-wal",
        "db.sqlite3-shm",
        "test-db.sqlite3",
        "test-db.sqlite3_gw0-wal",
        "var/autograding/envs/x",
        "media/submissions/1.zip",
        "staticfiles/app.css",
        ".hypothesis/examples/x",
        ".pytest_cache/v/x",
        ".ruff_cache/x",
        "bench/results.json",
        "lessons/__pycache__/models.cpython-313.pyc",
        # Secrets: the README's environment file, and others kept beside the code.
        "coursesite.env",
        ".env",
        ".env.production",
        "deploy/prod.env",
    ],
)
def test_local_state_stays_out_of_the_image(path):
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "requirements.txt",
        "gunicorn.conf.py",
        "coursesite/settings.py",
        "courses/python-web-development/course.md",
        "static/css/admin.css",
        "bench/run.py",
    ],
)
def test_the_code_goes_into_the_image(path):
    assert not ignored(path)
