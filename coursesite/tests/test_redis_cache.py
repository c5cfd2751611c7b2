"""The production cache path against a real redis-server: backend, sessions, users."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def test_the_backend_reuses_one_client_and_behaves_like_a_cache(redis_cache):
    backend = redis_cache._cache
    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client(write=True)
    redis_cache.set("answer", 41)
    assert redis_cache.incr("answer") == 42
    assert redis_cache.get_many(["answer", "missing"]) == {"answer": 42}
    with pytest.raises(ValueError):
        redis_cache.incr("missing")


def test_the_session_and_its_user_come_from_redis(redis_cache, bob, settings):
    # Sessions read from Redis, written through to the database, as with REDIS_URL.
    settings.SESSION_ENGINE = "accounts.cached_sessions"
    built = build_course()
    EnrollmentFactory(user=bob, course=built.course, role=Role.STUDENT)
    client = Client()
    client.force_login(bob)
    url = reverse("lessons:course", args=[built.course.slug])
    assert "0 of 6 lessons completed" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" not in tables
    assert '"accounts_user"."password"' not in tables  # the user was not loaded again
    client.post(
        reverse("lessons:complete", args=[built.course.slug, built.lessons[0].slug]),
        {"completed": "1"},
    )
    assert "1 of 6 lessons completed" in client.get(url).content.decode()
