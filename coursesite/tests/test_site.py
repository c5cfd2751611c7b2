from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from coursesite import views

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7!v" + "k2P9q-L0ngRand0m-Secret-For-Tests-Only-" * 2,
    "DJANGO_ALLOWED_HOSTS": "courses.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://courses.example.org",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.org",
    "DJANGO_SITE_URL": "https://courses.example.org",
    "DJANGO_DEFAULT_FROM_EMAIL": "Courses <courses@example.org>",
}


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without test-only switches, plus EXTRA."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, "DJANGO_SETTINGS_MODULE": "coursesite.settings", **extra}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run CODE in a fresh interpreter with the project's settings and extra ENV."""
    full_env = clean_env(**env)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=BASE_DIR, env=full_env, capture_output=True, text=True
    )


@pytest.mark.django_db
def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_503_when_the_database_is_down():
    # A real, unreachable PostgreSQL server: nothing listens on port 9.
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    result = run_python(
        code,
        {"DATABASE_URL": "postgres://nobody:x@127.0.0.1:9/none", "DJANGO_SECURE_SSL_REDIRECT": "0"},
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body)["database"] == "unavailable"


def test_pages_answer_503_in_one_log_line_while_the_database_is_down():
    """Probe 89: during an outage pages said "something went wrong" (500), /healthz asked
    with a session's cookie too, and each request wrote two tracebacks to the log."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(raise_request_exception=False)\n"
        "c.cookies['sessionid'] = 'x' * 32\n"
        "for path in ('/dashboard/', '/api/v1/courses/', '/healthz'):\n"
        "    r = c.get(path)\n"
        "    print('RESULT', path, r.status_code, r.get('Retry-After'), r['Content-Type'])\n"
    )
    result = run_python(
        code,
        {
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://nobody:x@127.0.0.1:9/none",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    results = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("RESULT")]
    assert results == [
        ["/dashboard/", "503", "60", "text/html;", "charset=utf-8"],
        ["/api/v1/courses/", "503", "60", "application/problem+json"],
        ["/healthz", "503", "None", "application/json"],
    ], result.stderr
    assert "Traceback" not in result.stderr
    # One line a logged error, with the database's words (a request may log two: the
    # session's middleware fails first, then the answer's).
    lines = result.stderr.splitlines()
    assert lines and all(
        "(the database: " in line and "Connection refused" in line for line in lines
    )
    said = {re.search(r"django\.request: (.*?) \(the database", line)[1] for line in lines}
    assert said == {f"Service Unavailable: {path}" for path, *_ in results}, lines


WITHOUT_KEY = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "", "DJANGO_SECRET_KEY_FILE": ""}


@pytest.mark.parametrize("entry", ["coursesite.wsgi", "coursesite.asgi"])
def test_the_server_entry_points_refuse_to_serve_without_a_secret_key(entry):
    result = run_python(f"import {entry}", WITHOUT_KEY)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is not set" in result.stderr


def test_a_secret_key_file_that_cannot_be_read_is_named(tmp_path):
    missing = tmp_path / "not-mounted"
    result = run_python(
        "import coursesite.wsgi", {**WITHOUT_KEY, "DJANGO_SECRET_KEY_FILE": str(missing)}
    )
    assert result.returncode != 0
    assert f"DJANGO_SECRET_KEY_FILE names {missing}, which cannot be read" in result.stderr


def test_a_mistyped_redis_url_is_said_at_start_up_without_its_password():
    """Probe 89: "rediss//:secret@host" passed check --deploy and the health check, then
    every login was a 500."""
    for typo in ("rediss//:s3cret@h", "redis://:s3cret@127.0.0.1:63a9/0"):  # probe 93: a port
        result = run_python("import coursesite.wsgi", {**PRODUCTION_ENV, "REDIS_URL": typo})
        assert result.returncode != 0
        assert "REDIS_URL is not an address Redis takes" in result.stderr
        assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({**WITHOUT_KEY, "DJANGO_DEBUG": "1"}, id="debug, as make run"),
        pytest.param(PRODUCTION_ENV, id="production with a key"),
    ],
)
def test_the_wsgi_application_serves_with_a_key_or_in_debug(env, tmp_path):
    code = (
        "from coursesite.wsgi import application;"
        "from django.test import Client;"
        "print(Client().get('/', headers={'host': 'courses.example.org'}, secure=True).status_code)"
    )
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"  # the home page reads nothing from it
    result = run_python(
        code, {**env, "DJANGO_ALLOWED_HOSTS": "courses.example.org", "DATABASE_URL": database}
    )
    assert result.stdout.strip() == "200", result.stderr


def test_manage_py_runs_without_a_secret_key():
    # The image's build (collectstatic), migrate and the tests run without one.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=clean_env(**WITHOUT_KEY),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=BASE_DIR,
        env=clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_safe_by_default():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.PASSWORD_HASHERS[0].endswith('Argon2PasswordHasher'),"
        " s.SESSION_COOKIE_HTTPONLY)"
    )
    result = run_python(code, PRODUCTION_ENV)
    assert result.stdout.split() == ["True"] * 6, result.stderr


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_refusal_is_kept_by_a_shared_cache(client, bob):
    """Probe 35: a NUL in the address, a bad host, the API's 401 had no Cache-Control
    (the other refusals had it, from the logged-in pages' middleware)."""
    client.force_login(bob)
    refusals = [
        client.get("/dashboard/%00"),  # 400, before the user is known
        client.get("/", HTTP_HOST="evil.example"),  # 400, DisallowedHost
        client.get("/no/such/page/"),  # 404
    ]
    refusals.append(Client().get("/api/v1/me/"))  # 401, no session, no token
    for response in refusals:
        assert response.status_code >= 400
        assert response["Cache-Control"] == "private, no-store", response.status_code
    # A page that says how to cache itself keeps it.
    assert "no-store" not in client.get("/static/css/site.css").get("Cache-Control", "")


@pytest.mark.django_db
def test_unknown_pages_get_our_404_without_internals(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Traceback" not in html and "urlpatterns" not in html


def test_server_error_page_reveals_nothing():
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Traceback" not in html


def test_the_apis_server_error_is_a_problem_document_not_a_page():
    response = views.server_error(RequestFactory().get("/api/v1/assignments/2/leave/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["status"] == 500 and problem["instance"] == "/api/v1/assignments/2/leave/"
    assert "Something went wrong" in problem["detail"]


@pytest.mark.django_db
def test_static_files_are_hashed_and_cached_for_good_and_plain_names_for_an_hour(client):
    html = client.get(reverse("home")).content.decode()
    css_url = re.search(
        r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', html
    )
    assert css_url, "Bootstrap is served from our static files with a hashed name"
    response = client.get(css_url.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response.get("Content-Encoding") in {"gzip", "br"}
    # The same file under its plain name changes in place with a release: a browser
    # holding it for a year would keep the old styles.
    plain = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert plain.status_code == 200
    assert plain["Cache-Control"] == "max-age=3600, public"


@pytest.mark.django_db
def test_static_files_collected_anew_are_served_by_the_next_server(tmp_path, settings):
    # The static files are read once per process and kept (tests build a server each);
    # what is collected afterwards, or served with other headers, is read again.
    settings.STATIC_ROOT = tmp_path
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}  # no manifest here

    def served(name):
        response = Client().get(f"/static/{name}")
        return b"".join(response.streaming_content) if response.status_code == 200 else None

    (tmp_path / "first.txt").write_text("first")
    assert served("first.txt") == b"first"
    assert served("second.txt") is None

    (tmp_path / "second.txt").write_text("second")
    assert served("second.txt") == b"second"
    (tmp_path / "first.txt").write_text("first, changed")
    assert served("first.txt") == b"first, changed"

    settings.WHITENOISE_MAX_AGE = 60
    assert Client().get("/static/first.txt")["Cache-Control"] == "max-age=60, public"


def test_dockerfile_references_files_that_exist():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    for match in re.finditer(r"^COPY (\S+) ", dockerfile, re.MULTILINE):
        assert (BASE_DIR / match.group(1)).exists(), match.group(1)
    assert "requirements.txt" in dockerfile
    module = re.search(r"DJANGO_SETTINGS_MODULE=(\S+)", dockerfile).group(1)
    assert (BASE_DIR / (module.replace(".", "/") + ".py")).exists()
    wsgi = re.search(r'"gunicorn", "([\w.]+)"', dockerfile).group(1)
    assert (BASE_DIR / (wsgi.replace(".", "/") + ".py")).exists()
    assert "USER 10001:10001" in dockerfile and "--uid 10001" in dockerfile
    check = re.search(r'HEALTHCHECK .*\n\s*CMD \["python", "-m", "([\w.]+)"\]', dockerfile).group(1)
    assert (BASE_DIR / (check.replace(".", "/") + ".py")).read_text().count("/healthz")


@pytest.mark.django_db
def test_the_benchmark_floor_is_not_routed_by_default(client):
    assert client.get("/bench/floor").status_code == 404


def test_the_deploy_checks_name_development_defaults_left_for_emails(settings):
    from django.core.checks import registry

    from coursesite.checks import emails_reach_people

    assert emails_reach_people in registry.registry.get_checks(include_deployment_checks=True)
    settings.SITE_URL, settings.DEFAULT_FROM_EMAIL = "http://127.0.0.1:8000", "courses@localhost"
    assert [w.id for w in emails_reach_people(None)] == ["coursesite.W001", "coursesite.W002"]
    settings.SITE_URL = "https://courses.example.edu"
    settings.DEFAULT_FROM_EMAIL = "Courses <courses@example.edu>"
    assert emails_reach_people(None) == []


def test_logs_carry_their_time_and_a_scanners_host_leaves_no_traceback():
    """As a production process writes its log to stderr (pytest's handlers would see
    records that the site's own configuration drops)."""
    code = (
        "import django, logging; django.setup();"
        "from django.test import Client;"
        "print(Client().get('/healthz', HTTP_HOST='scanner.example.net').status_code);"
        "print(Client().get('/healthz', HTTP_HOST='scanner.example.net').status_code);"
        "logging.getLogger('coursesite').warning('Redis is unreachable')"
    )
    result = run_python(code, PRODUCTION_ENV)
    assert result.stdout.split() == ["400", "400"], result.stderr
    # The host once, in one line (probe 52: never, and a missing DJANGO_ALLOWED_HOSTS
    # answered 400 to everyone with nothing in the log).
    assert result.stderr.count("Invalid HTTP_HOST header: 'scanner.example.net'") == 1
    assert "Traceback" not in result.stderr
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING coursesite: Redis is unreachable$",
        result.stderr,
        re.MULTILINE,
    ), result.stderr
