"""Log every scale student (or grader) in at once and print their cookies and pages as JSON.

The many-users scenarios of ``bench/run.py`` need thousands of logged-in users; logging
them in through the form would cost an Argon2 hash each (about 0.1 s and 100 MiB). This
command creates each user's session directly, with the keys ``django.contrib.auth.login``
stores (user id, backend, session auth hash) and the idle-refresh stamp the first
request after a login sets, through the configured ``SESSION_ENGINE``'s store, so the
sessions are the kind the site runs with (``db`` without Redis, ``cached_db`` with it:
rows inserted in bulk, and written through to the cache). When the
session user is cached (``AUTH_USER_CACHE_SECONDS``), each user is put in that cache as
their first page after logging in would, so every user starts as a user who has just
logged in and opened a page.

With each user it prints the pages they move through, with weights (how often a real
user opens each, relative to the others):

* a student, in each course they are enrolled in as a student: the dashboard 10, the
  course page 10, the published lessons 65 in all, the course's published projects 10
  in all, the feedback list 5;
* a grader: their queue 30, and for each review assigned to them, in all 70: the review
  page (20) and the review page opened on one of the submission's files (50).

Each user also gets a CSRF cookie of their own, as a browser has one from the login
form on: without it every page with a form (the navbar's "Log out" is one) would draw a
new CSRF secret and set its cookie, work a real student's requests never do.

Output::

    {"cookie_name": "sessionid", "csrf_cookie_name": "csrftoken",
     "sets": [[[weight, path], ...], ...],
     "users": [[username, set index, session key, CSRF secret], ...]}

Users with the same pages share a set. Scale data only: the users are the ones
``seed_scale`` creates (``bench-student``, ``scale-student-NNNNN``; ``bench-grader``,
``scale-grader-NNN``).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import cache, caches
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import reverse
from django.utils.crypto import get_random_string

from accounts.backends import user_cache_key
from accounts.middleware import REFRESHED_AT
from accounts.models import Role, User
from grading.models import Review
from lessons.models import Course, Enrollment, Lesson
from projects.models import ProjectAssignment

# The backend that authenticates a form login (axes' backend only guards it).
BACKEND = "accounts.backends.UsernameOrEmailBackend"
# Files of the seeded archive (seed_scale.source_archive) a grader opens in the viewer.
REVIEW_FILES = ["app/module_0.py", "app/views/module_4.py", "tests/module_8.py"]
ROLES = {
    "student": Q(username="bench-student") | Q(username__startswith="scale-student-"),
    "grader": Q(username="bench-grader") | Q(username__startswith="scale-grader-"),
}
Pages = tuple[tuple[float, str], ...]


class Command(BaseCommand):
    help = "Create a session for every scale student or grader; print cookies and pages as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=sorted(ROLES), required=True)

    def handle(self, *args, role: str, **options) -> None:
        users = list(User.objects.filter(ROLES[role], is_active=True).order_by("username"))
        if not users:
            raise CommandError("Run seed_scale first (no scale users).")
        pages = student_pages(users) if role == "student" else grader_pages(users)
        sets: dict[Pages, int] = {}
        rows = []
        for user, key in zip(users, create_sessions(users), strict=True):
            mine = pages.get(user.pk, ())
            if not mine:
                continue  # nothing of their own to open (not enrolled, no reviews)
            csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
            rows.append([user.username, sets.setdefault(mine, len(sets)), key, csrf])
        self.stdout.write(
            json.dumps(
                {
                    "cookie_name": settings.SESSION_COOKIE_NAME,
                    "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
                    "sets": [list(map(list, pages)) for pages in sets],
                    "users": rows,
                }
            )
        )


def create_sessions(users: list[User]) -> list[str]:
    """Return a new session key for each user, logged in as the login form would."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    now = int(time.time())
    stores = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = BACKEND
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[REFRESHED_AT] = now
        stores.append(store)
    if issubclass(store_class, DatabaseSessionStore):
        # db and cached_db: one bulk insert instead of a query to find a free key, a
        # savepoint and an INSERT per session (minutes at N = 10,000 on PostgreSQL).
        # A 32-character random key, as save() would draw; a clash would fail loudly.
        for store in stores:
            store._session_key = get_random_string(32, VALID_KEY_CHARS)
        rows = [store.create_model_instance(dict(store.items())) for store in stores]
        store_class.get_model_class().objects.bulk_create(rows, batch_size=1000)
        if issubclass(store_class, CachedDatabaseSessionStore):
            # Written through to the cache as save() does.
            session_cache = caches[settings.SESSION_CACHE_ALIAS]
            for start in range(0, len(stores), 1000):
                batch = stores[start : start + 1000]
                session_cache.set_many(
                    {store.cache_key: dict(store.items()) for store in batch},
                    batch[0].get_expiry_age(),
                )
    else:
        with transaction.atomic():
            for store in stores:
                store.save()
    seconds = settings.AUTH_USER_CACHE_SECONDS
    if seconds:
        for start in range(0, len(users), 1000):
            batch = users[start : start + 1000]
            cache.set_many({user_cache_key(user.pk): user for user in batch}, seconds)
    return [store.session_key for store in stores]


def student_pages(users: list[User]) -> dict[int, Pages]:
    """Return each student's pages: those of every course they study in."""
    course_pages = {}
    by_user: dict[int, list[int]] = defaultdict(list)
    enrollments = Enrollment.objects.filter(user__in=users, role=Role.STUDENT).order_by("course_id")
    for user_id, course_id in enrollments.values_list("user_id", "course_id"):
        by_user[user_id].append(course_id)
    for course in Course.objects.filter(pk__in={c for ids in by_user.values() for c in ids}):
        lessons = list(
            Lesson.objects.published()
            .filter(module__course=course)
            .select_related("module__course")
            .in_course_order()
        )
        projects = list(
            ProjectAssignment.objects.published().filter(course=course).select_related("course")
        )
        pages = [(10.0, course.get_absolute_url())]
        pages += [(65 / len(lessons), lesson.get_absolute_url()) for lesson in lessons]
        pages += [(10 / len(projects), project.get_absolute_url()) for project in projects]
        course_pages[course.pk] = pages
    shared = [(10.0, reverse("lessons:dashboard")), (5.0, reverse("grading:feedback_list"))]
    return {
        user_id: tuple(shared + [page for course_id in ids for page in course_pages[course_id]])
        for user_id, ids in by_user.items()
    }


def grader_pages(users: list[User]) -> dict[int, Pages]:
    """Return each grader's pages: their queue and the reviews assigned to them."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for grader_id, review_id in (
        Review.objects.filter(grader__in=users).order_by("pk").values_list("grader_id", "pk")
    ):
        by_user[grader_id].append(review_id)
    pages = {}
    for grader_id, reviews in by_user.items():
        share = 70 / len(reviews)
        mine = [(30.0, reverse("grading:grader_queue"))]
        for review_id in reviews:
            url = reverse("grading:review", args=[review_id])
            mine.append((share * 2 / 7, url))
            mine += [(share * 5 / 7 / len(REVIEW_FILES), f"{url}?path={f}") for f in REVIEW_FILES]
        pages[grader_id] = tuple(mine)
    return pages
