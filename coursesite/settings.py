"""
Settings for the course platform, configured from the environment (12-factor).

Every setting that differs between a laptop and production is read from an
environment variable; the README lists them. The defaults give a working
development site on SQLite. With DJANGO_DEBUG off, the security settings
default to their production-safe values.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envsecret(name: str, default: str | None = None) -> str | None:
    """Return NAME, or the content of the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:  # a mistyped path or a secret not mounted: say which
            message = f"{name}_FILE names {path}, which cannot be read: {exc}"
            raise ImproperlyConfigured(message) from exc
    return os.environ.get(name, default)


def require_secret_key() -> None:
    """Refuse to serve with the public development key unless DEBUG (wsgi.py, asgi.py)."""
    from django.conf import settings

    if not settings.DEBUG and settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is not set, and DJANGO_DEBUG is "
            "off: the site will not serve with the public development key, which would let "
            "anyone forge sessions and password-reset links. Set it to a long random value, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )


# GENERAL
DEBUG = envbool("DJANGO_DEBUG", False)
# The public fallback keeps a fresh clone, the tests and manage.py running; the WSGI
# and ASGI entry points refuse to serve with it unless DEBUG (require_secret_key), and
# `check --deploy` flags it.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-change-me"  # noqa: S105 - public on purpose
SECRET_KEY = envsecret("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The name in the navbar, page titles, the back office's header and every email; the
# address every email links to (never the host a request happened to come in on).
SITE_NAME = os.environ.get("DJANGO_SITE_NAME") or os.environ.get("SITE_NAME", "Course Platform")
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Routes /bench/floor, the benchmark's no-database baseline (bench/run.py); off in production.
BENCH_FLOOR = envbool("BENCH_FLOOR", False)

INSTALLED_APPS = [
    # Django's admin with the site of access.backoffice, which asks the access policy.
    "access.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "simple_history",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "lessons",
    "practice",
    "projects",
    "grading",
    "autograding",
    "access",
    "api",
    # After autograding, whose db_worker (the one that waits for the database) is then
    # the one manage.py runs.
    "django_tasks_db",
]

MIDDLEWARE = [
    "coursesite.middleware.HeadWithoutBodyMiddleware",
    # Around SecurityMiddleware, whose own refusals (another host's address) came bare.
    "coursesite.middleware.ErrorPageHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "coursesite.middleware.StaticFilesMiddleware",
    # Around everything that may answer with an error page of its own (the NUL check's
    # 400 had neither header below it).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything reads the address or the cookies (the session first).
    "coursesite.middleware.NulCharacterMiddleware",
    "coursesite.middleware.UndecodableFormMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionIdleRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "coursesite.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoadedUserMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    # Pages not found at a renamed course's, lesson's or project's old address: to the
    # new one.
    "lessons.middleware.FormerAddressMiddleware",
    "projects.middleware.FormerProjectAddressMiddleware",
    "coursesite.formpages.FormOwnerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside the session, user and messages, which its page shows like every page.
    "coursesite.middleware.MethodNotAllowedPageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires, so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coursesite.urls"
WSGI_APPLICATION = "coursesite.wsgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.csp",
    "accounts.context_processors.navigation",
]
TEMPLATES = [
    # The site's pages, in templates/jinja2/ (coursesite/jinja2.py). Unlike Django
    # templates, Jinja2 applies the context processors after the view's context, so
    # their names (user, messages, site_name...) win over a view's. A missing variable
    # renders empty on the site and fails the tests (coursesite.jinja2.default_undefined).
    {
        "BACKEND": "coursesite.jinja2.Jinja2Backend",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "coursesite.jinja2.environment",
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    # The admin, crispy-forms' field templates and the emails.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

# DATABASES
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Reusing connections matters on PostgreSQL: a new SCRAM handshake per
        # request costs 6-8x in throughput.
        conn_max_age=envint("DJANGO_CONN_MAX_AGE", 600),
        conn_health_checks=envbool("DJANGO_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server and statements prepared after their fifth run on a
    # connection: PostgreSQL then skips parsing and planning the queries every page
    # repeats. Not behind PgBouncer in transaction mode (DJANGO_PG_PREPARE=0 there).
    # Each prepared statement is planned once, for any values (a generic plan): PostgreSQL
    # chose that itself for every statement of the student pages, but kept re-planning
    # the grader queue's page (8 joins, an OR: 3-5 ms of planning a call, 7 ms in all
    # against 1.8 ms with its generic plan at N = 10,000; docs/performance.md).
    #
    # And no JIT compilation: the pages' queries take milliseconds, which compiling never
    # wins back. On a small database that PostgreSQL had not analyzed yet (autovacuum
    # waits for 50 changed rows a table), its guessed row counts crossed JIT's cost
    # thresholds: two queries of the feedback page spent 1.4-1.9 s compiling for 0.5 ms
    # of work (probe 58). Both are settings of the connection, which PgBouncer refuses
    # ("unsupported startup parameter: options"): behind it, set them on the database
    # (README).
    if envbool("DJANGO_PG_PREPARE", True):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.update({"server_side_binding": True, "prepare_threshold": 5})
        options["options"] = (
            f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan -c jit=off"
        ).strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: every transaction takes the write lock when it begins
    # (BEGIN IMMEDIATE), so concurrent writers wait on the busy timeout in turn instead
    # of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # Write-ahead log: readers never wait for the writer, and a commit appends
            # to the log instead of syncing a journal and the database (a lesson visit
            # writes "continue where you left off"). synchronous=NORMAL loses nothing
            # when the application crashes; a power cut may drop the last commits,
            # never corrupt the file. The connection is kept, as on PostgreSQL: opening
            # one registers Django's SQL functions anew on every request.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    # A file, not the shared in-memory database, so that threads in the race tests
    # wait for each other's locks as separate processes would.
    # DJANGO_TEST_DB names another, for two test runs side by side in one checkout.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_DB", str(BASE_DIR / "test-db.sqlite3"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHES AND SESSIONS
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Read at start-up as redis-py reads it: a typo ("rediss//host", a port "63a9")
    # passed every check, then each login was a 500 (probes 89, 93). Not echoed: the
    # address may hold a password.
    from redis.connection import parse_url as _parse_redis_url

    try:
        _parse_redis_url(REDIS_URL)
    except (ValueError, TypeError) as _error:
        raise ImproperlyConfigured(
            "REDIS_URL is not an address Redis takes: it must be like "
            "redis://127.0.0.1:6379/0 (rediss:// or unix:// too), with a number for the "
            "port; leave it empty to run without Redis."
        ) from None
if REDIS_URL:
    # While Redis is unreachable the cache reads as empty and skips writes, and the
    # site serves from the database (coursesite/cache.py).
    CACHES = {"default": {"BACKEND": "coursesite.cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
    # Read from Redis, written through to the database: a Redis restart, eviction or
    # outage logs nobody out, and a logout Redis missed is not undone when it returns.
    SESSION_ENGINE = "accounts.cached_sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Database sessions, read with a prepared query (accounts/sessions.py).
    SESSION_ENGINE = "accounts.sessions"

# The cached user of each session (accounts/backends.py). Off by default, Redis or not:
# read afresh, the user comes with their course roles in the same query, which every
# page needs; a cached user saves that query on a page that shows nothing, and costs
# one more on every course page (PostgreSQL + Redis: students' pages 8-9 % and graders'
# 10-21 % slower with it, docs/performance.md). It needs a cache every worker shares
# (Redis): a worker-local one would keep serving another worker's stale copy.
AUTH_USER_CACHE_SECONDS = envint("AUTH_USER_CACHE_SECONDS", 0)

# Idle sessions expire: activity pushes the expiry forward, at most once every
# SESSION_REFRESH_SECONDS (accounts.middleware.SessionIdleRefreshMiddleware), rather
# than with a session write on every request (SESSION_SAVE_EVERY_REQUEST).
SESSION_COOKIE_AGE = envint("DJANGO_SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# AUTHENTICATION
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Invitations (accounts/invitations.py): how long the link to set a first password works.
INVITATION_TIMEOUT_DAYS = envint("INVITATION_TIMEOUT_DAYS", 14)

# Failed-login throttling (django-axes, accounts/throttle.py): an account is locked
# after AXES_FAILURE_LIMIT failures from anywhere, however its name was typed, and an
# address after AXES_IP_FAILURE_LIMIT failures on any accounts (ours, not an axes
# setting: higher, as a classroom shares one address). Both last AXES_COOLOFF_TIME.
# Forms sent after their session ended are kept (coursesite/formpages.py) in a new
# session each: at most this many an hour per address (a classroom shares one).
SIGNED_OUT_KEPT_LIMIT = envint("SIGNED_OUT_KEPT_LIMIT", 60)
SIGNED_OUT_KEPT_WINDOW = timedelta(hours=1)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = envint("AXES_IP_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_HANDLER = "accounts.throttle.AccountAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for "ip_address" above, lest rotating browsers or cookies escape the
# count: the account's count spans every address and browser, and the handler counts
# each address by itself (with "ip_address" here, one success would clear the address).
#
# security.W003 looks for Django's CSRF middleware by its name: the site runs it as
# coursesite.middleware.CsrfViewMiddleware, a subclass that leaves the methods no page
# takes to the pages' 405 (coursesite/tests/test_formpages.py checks every route).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "security.W003"]
AXES_USERNAME_CALLABLE = "accounts.throttle.login_throttle_key"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
# Tries while locked check no password: they are not counted, so they neither push the
# end of the lock back nor grow the attempt rows; the lock ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The reverse proxies in front of the site (coursesite/clientip.py): every throttle,
# axes' and the API's, reads the client's address the same way.
TRUSTED_PROXIES = envint("AXES_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "coursesite.clientip.client_ip"
AXES_ENABLED = envbool("AXES_ENABLED", True)

# Sign-up with a course key (lessons.views.signup): refused sign-ups per address.
SIGNUP_FAILURE_LIMIT = 30
SIGNUP_COOLOFF_TIME = timedelta(minutes=15)
# Addresses of other accounts typed on one's profile, per account: the answer says the
# address has an account, so a student could list who studies here (probe 72).
TAKEN_EMAIL_LIMIT = 5
SIGNUP_TAKEN_LIMIT = 20  # at sign-up, per network address (a classroom shares one)
SIGNUP_TAKEN_WINDOW = timedelta(hours=1)
PERSONAL_DATA_LIMIT = 10  # downloads of one's data a day (accounts.views)
PERSONAL_DATA_WINDOW = timedelta(days=1)
# Messages an instructor emails to the people of their courses (lessons admin), per account.
COURSE_MESSAGE_LIMIT = 20
COURSE_MESSAGE_WINDOW = timedelta(hours=1)
TAKEN_EMAIL_WINDOW = timedelta(days=1)
# How long the login logs and finished background tasks are kept (accounts/retention.py).
LOGIN_LOG_DAYS = envint("LOGIN_LOG_DAYS", 90)
TASK_RESULT_DAYS = envint("TASK_RESULT_DAYS", 30)
# Password-reset requests (accounts/throttle.py): per email typed and per address.
PASSWORD_RESET_EMAIL_LIMIT = 3
PASSWORD_RESET_ADDRESS_LIMIT = 20
PASSWORD_RESET_WINDOW = timedelta(hours=1)

# INTERNATIONALIZATION
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True
# Dates in the back office as on the pages: zone named (coursesite/formats/en).
FORMAT_MODULE_PATH = ["coursesite.formats"]

# STATIC AND MEDIA FILES
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# No MEDIA_URL is routed: uploaded submissions are served only by views that
# check permissions, never as public files.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Files under hashed names (every one the pages link to) are cached for good, marked
# immutable, by WhiteNoise whatever this says; this is for the few asked for by their
# plain name (site.css typed in an address, a link copied elsewhere), which a new release
# changes in place: an hour, so that no browser keeps the old file for a year.
WHITENOISE_MAX_AGE = 60 * 60 if not DEBUG else 0
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# EMAIL (Django 6.1 mailers): console locally; set DJANGO_EMAIL_BACKEND to the SMTP
# backend and EMAIL_HOST & co. in production.
# The console backend of coursesite/mail.py prints each email's text as written, so
# that invitation and reset links can be copied from the `make run` terminal.
EMAIL_BACKEND_PATH = os.environ.get("DJANGO_EMAIL_BACKEND") or "coursesite.mail.ConsoleEmailBackend"
_mailer: dict = {"BACKEND": EMAIL_BACKEND_PATH}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    # STARTTLS (587) by default; EMAIL_USE_SSL for a relay that takes implicit TLS only
    # (465), which many university relays are (probe 89: no way to say so).
    _use_ssl = envbool("EMAIL_USE_SSL", False)
    _use_tls = envbool("EMAIL_USE_TLS", not _use_ssl)
    if _use_ssl and _use_tls:
        raise ImproperlyConfigured(
            "EMAIL_USE_SSL and EMAIL_USE_TLS are both on: a relay takes one or the other "
            "(SSL from the start, usually port 465; or STARTTLS, usually 587). Set one."
        )
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", 465 if _use_ssl else 587),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": envsecret("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _use_tls,
        "use_ssl": _use_ssl,
        "timeout": envint("EMAIL_TIMEOUT", 10),
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    # One file per email, in a folder: for a server whose mail is read by a script.
    _mailer["OPTIONS"] = {
        "file_path": os.environ.get("DJANGO_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "courses@localhost")
# Whom people write to about their account (to close it, to have their name erased):
# the profile page names it (probe 115: it said nowhere whom to ask).
SUPPORT_EMAIL = os.environ.get("DJANGO_SUPPORT_EMAIL", "")

# BACKGROUND TASKS (django.tasks with the database backend; worker: manage.py db_worker)
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}

# AUTOGRADING (autograding/, docs/autograding.md): test environments, unpacked suites
# and scratch space of the workers; each run's sandbox limits.
AUTOGRADING_ROOT = Path(os.environ.get("AUTOGRADING_ROOT", BASE_DIR / "var" / "autograding"))
# The Python test environments are made from; empty: the one running the server.
AUTOGRADING_PYTHON = os.environ.get("AUTOGRADING_PYTHON", "")
AUTOGRADING_BUILD_TIMEOUT = envint("AUTOGRADING_BUILD_TIMEOUT", 600)
AUTOGRADING_MAX_PROCESSES = envint("AUTOGRADING_MAX_PROCESSES", 64)
AUTOGRADING_MAX_FILE_MB = envint("AUTOGRADING_MAX_FILE_MB", 64)
AUTOGRADING_DISK_MB = envint("AUTOGRADING_DISK_MB", 256)
AUTOGRADING_OUTPUT_KB = envint("AUTOGRADING_OUTPUT_KB", 64)
# Workers started as root run each sandbox as this uid plus the run's number (mod 10^6).
AUTOGRADING_SANDBOX_UID_BASE = envint("AUTOGRADING_SANDBOX_UID_BASE", 2_000_000)

# FORMS
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# API (api/, docs/api.md): personal tokens or the session, the access policy for every
# row, problem details for every error.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its challenge makes anonymous requests 401 (with WWW-Authenticate).
        "api.authentication.PersonalTokenAuthentication",
        # The browser's session; DRF checks CSRF on its unsafe requests.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.ApiPermission"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.TokenRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.StrictFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "api.problems.problem_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # OPTIONS answers 405: the schema describes every operation.
    "DEFAULT_METADATA_CLASS": None,
    # ?format= would answer 404 to any unknown value: content comes by Accept only.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per token, and per user over the browser and all their tokens.
API_THROTTLE_RATES = {
    "token": os.environ.get("API_TOKEN_RATE", "600/min"),
    "user": os.environ.get("API_USER_RATE", "1200/min"),
    "anon": os.environ.get("API_ANON_RATE", "60/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Courses, rosters, projects, submissions and grading. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Descriptions are written for the API's users (extend_schema): the views' and
    # serializers' docstrings are notes for developers.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    # <id:pk> in URLs (coursesite/converters.py): a database id.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_common_problems",
        "api.schema.refuse_unknown_properties",
    ],
}

# SECURITY (production-safe unless DEBUG; each can be overridden)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The container health check calls /healthz over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
# A stale token from one of our own pages keeps what was typed; anything else is a 403.
CSRF_FAILURE_VIEW = "coursesite.formpages.csrf_failure"
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Progress bars set their width in a style attribute; <style> elements stay blocked.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# What the debug error page (DEBUG only) leaves out of the settings it lists.
DEFAULT_EXCEPTION_REPORTER_FILTER = "coursesite.logfilters.SettingsFilter"

# LOGGING: everything to stderr, which gunicorn and containers collect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # When, how bad and from where: a 500's traceback is matched to the access log by time.
    "formatters": {"timed": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # A refusal (4xx) is one line: Django attached its exception's traceback, so a
    # student repeating a refused request grew the log by twenty lines a time.
    "filters": {
        "refusals_in_one_line": {"()": "coursesite.logfilters.RefusalsInOneLine"},
        "database_outage_in_one_line": {"()": "coursesite.logfilters.DatabaseOutageInOneLine"},
        "first_of_each": {"()": "coursesite.logfilters.FirstOfEachAsWarning"},
        "secrets_hidden": {"()": "coursesite.logfilters.SecretsHidden"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "timed",
            "filters": ["refusals_in_one_line", "database_outage_in_one_line", "secrets_hidden"],
        },
        "first_of_each": {
            "class": "logging.StreamHandler",
            "formatter": "timed",
            "filters": ["refusals_in_one_line", "first_of_each", "secrets_hidden"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # A request for a host not in ALLOWED_HOSTS gets its 400 and one line per host and
        # process: scanners of the server's address would bury the log, while a missing
        # DJANGO_ALLOWED_HOSTS must show.
        "django.security.DisallowedHost": {"handlers": ["first_of_each"], "propagate": False},
        # Django's own console handler (DEBUG only) printed every django.* line a second
        # time beside the root's, db_worker's task lines among them under `make run`.
        "django": {"handlers": []},
    },
}
