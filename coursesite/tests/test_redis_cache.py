"""The production cache path against a real redis-server: backend, sessions, page cache."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from coursesite import pagecache
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


def test_a_lost_counter_restarts_from_the_clock(redis_cache):
    pagecache.bump_site()
    first = redis_cache.get(pagecache.SITE_GENERATION)
    assert first > 10**18  # nanoseconds: cannot collide with an old page's generation
    pagecache.bump_site()
    assert redis_cache.get(pagecache.SITE_GENERATION) == first + 1


def test_pages_are_served_from_redis_and_refresh_after_a_write(
    redis_cache, bob, settings, django_assert_num_queries
):
    # Sessions read from Redis, written through to the database, as with REDIS_URL.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    built = build_course()
    EnrollmentFactory(user=bob, course=built.course, role=Role.STUDENT)
    client = Client()
    client.force_login(bob)
    url = reverse("lessons:course", args=[built.course.slug])
    assert "0 of 6 lessons completed" in client.get(url).content.decode()
    with django_assert_num_queries(0):  # session, user and page all come from Redis
        assert client.get(url).status_code == 200
    client.post(
        reverse("lessons:complete", args=[built.course.slug, built.lessons[0].slug]),
        {"completed": "1"},
    )
    assert "1 of 6 lessons completed" in client.get(url).content.decode()
