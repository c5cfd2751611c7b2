"""Fixtures shared by every app's tests: personas, fast hashing, and the browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# The property tests assert what the code does, not how fast: Hypothesis's default 200 ms
# deadline per example failed CI at random when a first call paid for an import under
# load (the code viewer's highlighter: 292 ms once, 0.8 ms after).
hypothesis_settings.register_profile("course-platform", deadline=None)
hypothesis_settings.load_profile("course-platform")

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from such a thread unless told that this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own download cannot work here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "correct-horse-battery"


# Fixtures that give a test the database (pytest-django's, and the live server's).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "django_user_model",
    "admin_user",
    "admin_client",
}


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--only-database-tests",
        action="store_true",
        help="Leave out the tests that use no database: make test's PostgreSQL run, after "
        "the SQLite run has run them all (they would test nothing of PostgreSQL).",
    )


def pytest_collection_modifyitems(config, items) -> None:
    if not config.getoption("--only-database-tests"):
        return
    kept, left_out = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") or (
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_database else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_configure(config) -> None:
    from django.conf import settings

    # Settings load with production defaults (DEBUG off); the test client and the live
    # server speak plain HTTP, so the HTTPS-only switches are turned off here alone.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # A key of the suite's own, as production has one: the task worker, which the tests
    # run in-process, refuses the public development key with DEBUG off.
    settings.SECRET_KEY = "test-suite-only-" + "q7Zr-k2Vn-94Lx-Tw8m-" * 3
    # The cached user of each session (AUTH_USER_CACHE_SECONDS, off by default) stays
    # correct: every test runs with it on, on the single-process cache, so a change that
    # forgets to drop a cached user fails the test that reads a page after it.
    settings.AUTH_USER_CACHE_SECONDS = 300


@pytest.fixture(autouse=True)
def _empty_cache():
    # The database is rolled back after each test; the caches must forget it too.
    from django.core.cache import cache

    from coursesite.memo import ProcessMemo

    cache.clear()
    ProcessMemo.clear_all()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """Start a real, throw-away redis-server for the session; yield its URL."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run `make test`, or apt-get install redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_cache(redis_server, settings):
    """Point the default cache at the real Redis, as production does, and empty it."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "coursesite.cache.ReusingRedisCache", "LOCATION": redis_server}
    }
    cache.clear()
    yield cache
    cache.clear()


class RedisProcess:
    """A redis-server of one test's own, to stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        import shutil
        import socket

        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is missing: run `make test`, or apt-get install redis-server")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> None:
        """Start the server; it loads what a `stop(save=True)` left in its directory."""
        import subprocess
        import time

        import redis

        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--dir", str(self.workdir), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = self.client()
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        self.process.kill()
        pytest.fail("redis-server did not start")

    def stop(self, *, save: bool = False) -> None:
        """Stop the server; with SAVE it first writes its data to disk, as a persistent one does."""
        import redis

        if self.process is None:
            return
        try:
            self.client().shutdown(save=save, nosave=not save)
        except redis.ConnectionError:
            pass  # it closes the connection as it goes
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_process(tmp_path):
    """Start a redis-server of the test's own (not shared: the test may stop it)."""
    server = RedisProcess(tmp_path / "redis")
    server.workdir.mkdir()
    server.start()
    yield server
    if server.process is not None:
        server.process.terminate()
        server.process.wait(timeout=10)


@pytest.fixture
def uncached(settings):
    """Turn the user cache off: query budgets measure a page built from scratch."""
    settings.AUTH_USER_CACHE_SECONDS = 0


@pytest.fixture
def emails_at_once(settings):
    """Background tasks run as they are queued (once the transaction commits), and emails
    link to a site address, as the worker sends them in production."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://courses.example.edu"
    return settings.SITE_URL


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher; tests only need a hasher, not a slow one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(request):
    """Serve the live server's static files through WhiteNoise, as in production.

    pytest-django's default static handler looks files up with the finders, which do
    not know the hashed names that the manifest storage puts in the pages.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.static_handler = lambda app: app
    server.start()
    request.addfinalizer(server.stop)
    return server


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def database_refuses():
    """Make the real database refuse inserts into a table, to prove writes are atomic.

    ``database_refuses("lessons_enrollment")`` installs a trigger that aborts every
    insert (or only rows matching ``when``, an SQL condition on NEW); the test's
    transaction rolls the trigger back afterwards. No code of ours is replaced.
    """
    from django.db import connection

    def install(table: str, when: str = "TRUE") -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN "
                    f"IF {when} THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
                cursor.execute(
                    f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
                )
            else:
                condition = "1" if when == "TRUE" else when
                cursor.execute(
                    f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} WHEN {condition} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )

    return install


@pytest.fixture
def password() -> str:
    return DEMO_PASSWORD


@pytest.fixture
def alice(db):
    """An instructor (staff, Instructors group)."""
    from accounts.tests.factories import InstructorFactory

    return InstructorFactory(username="alice", display_name="Alice Instructor")


@pytest.fixture
def bob(db):
    """A student."""
    from accounts.tests.factories import UserFactory

    return UserFactory(username="bob", display_name="Bob Student")


@pytest.fixture
def charlie(db):
    """An outsider: a student of nothing the test sets up."""
    from accounts.tests.factories import UserFactory

    return UserFactory(username="charlie", display_name="Charlie Outsider")


@pytest.fixture
def grace(db):
    """A grader."""
    from accounts.tests.factories import GraderFactory

    return GraderFactory(username="grace", display_name="Grace Grader")
