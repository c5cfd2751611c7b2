"""A real redis-server stopped, hung and restarted under the site: Redis is only a cache.

While it is away pages are served, logins and writes commit, and nothing it held can
be served stale when it comes back; then the cache is used again, with no restart.
"""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import cached_sessions
from accounts.backends import user_cache_key
from accounts.models import Role, User
from accounts.tests.factories import PASSWORD
from lessons.models import Enrollment, LessonCompletion
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

RETRY_SECONDS = 0.2  # how long the cache leaves a failed Redis alone, shortened for tests


def in_redis(session_key: str) -> str:
    """The Redis key of the session SESSION_KEY, as cached now (accounts/cached_sessions.py)."""
    return (
        f":1:django.contrib.sessions.cached_db:{cached_sessions.current_generation()}:{session_key}"
    )


@pytest.fixture
def site_on_redis(redis_process, settings):
    """Run the site on the test's own redis-server, configured as with REDIS_URL."""
    settings.CACHES = {
        "default": {
            "BACKEND": "coursesite.cache.ReusingRedisCache",
            "LOCATION": redis_process.url,
            "OPTIONS": {"OUTAGE_RETRY_SECONDS": RETRY_SECONDS},
        }
    }
    settings.SESSION_ENGINE = "accounts.cached_sessions"
    # Each test's database starts without a generation: no number read in another counts.
    cached_sessions._known["read_at"] = float("-inf")
    return redis_process


@pytest.fixture
def course(bob):
    built = build_course()
    EnrollmentFactory(user=bob, course=built.course, role=Role.STUDENT)
    return built


def log_in(client: Client, login: str = "bob"):
    response = client.post(reverse("accounts:login"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302, "the login was refused"
    return response


def logged_in_and_cached(redis) -> tuple[Client, str, str]:
    """Log bob in and open a page: his client, session key, and the session's Redis key."""
    client = Client()
    log_in(client)
    assert client.get(reverse("accounts:profile")).status_code == 200
    old_session = client.cookies["sessionid"].value
    cached = in_redis(old_session)
    assert redis.exists(cached)
    return client, old_session, cached


def wait_for_the_retry() -> None:
    time.sleep(RETRY_SECONDS * 2)


@pytest.mark.django_db(transaction=True)  # writes really commit, and on-commit hooks run
def test_the_site_serves_and_writes_while_redis_is_down_and_uses_it_again_after(
    site_on_redis, course, bob
):
    redis = site_on_redis.client()
    client = Client()
    log_in(client)
    url = reverse("lessons:course", args=[course.course.slug])
    assert client.get(url).status_code == 200
    assert redis.exists(in_redis(client.session.session_key))
    assert redis.exists(":1:" + user_cache_key(bob.pk))

    site_on_redis.stop()
    started = time.monotonic()
    response = client.get(url)
    assert response.status_code == 200
    assert "0 of 6 lessons completed" in response.content.decode()
    assert time.monotonic() - started < 1  # a dead Redis costs no timeouts

    # Writes commit: a lesson marked complete, a profile saved (which drops the
    # cached user), a logout and a new login, a new account.
    lesson = course.lessons[0]
    response = client.post(
        reverse("lessons:complete", args=[course.course.slug, lesson.slug]), {"completed": "1"}
    )
    assert response.status_code == 302
    assert LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Bobby", "first_name": "", "last_name": "", "email": bob.email},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).display_name == "Bobby"
    assert "1 of 6 lessons completed" in client.get(url).content.decode()
    assert client.post(reverse("accounts:logout")).status_code == 302
    log_in(client, "BOB@example.org")
    assert 'value="Bobby"' in client.get(reverse("accounts:profile")).content.decode()
    response = Client().post(
        reverse("lessons:signup"),
        {
            "key": course.course.enrollment_key,
            "username": "dora",
            "email": "dora@example.org",
            "display_name": "Dora",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert Enrollment.objects.filter(user__username="dora", course=course.course).exists()

    site_on_redis.start()
    wait_for_the_retry()
    assert client.get(url).status_code == 200
    # Written after the restart: the session and its user are read from Redis again.
    assert redis.exists(in_redis(client.session.session_key))
    assert redis.exists(":1:" + user_cache_key(bob.pk))
    cache.set("answer", 42)
    assert redis.exists(":1:answer")
    assert cache.get("answer") == 42


@pytest.mark.django_db(transaction=True)
def test_nothing_redis_kept_through_an_outage_is_served_stale(site_on_redis, course, bob):
    # A persistent Redis comes back with what it held: a session logged out meanwhile,
    # a user renamed meanwhile. Those keys are dropped before Redis is read again.
    redis = site_on_redis.client()
    client, old_session, cached = logged_in_and_cached(redis)

    site_on_redis.stop(save=True)
    client.post(
        reverse("accounts:profile"),
        {"display_name": "Bobby", "first_name": "", "last_name": "", "email": bob.email},
    )
    assert client.post(reverse("accounts:logout")).status_code == 302

    site_on_redis.start()
    assert redis.exists(cached)  # Redis does hold the stale copies
    assert redis.exists(":1:" + user_cache_key(bob.pk))
    wait_for_the_retry()
    stolen = Client()
    stolen.cookies["sessionid"] = old_session
    response = stolen.get(reverse("accounts:profile"))
    assert response.status_code == 302  # the logged-out session stays logged out
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not redis.exists(cached)
    log_in(client)
    assert 'value="Bobby"' in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_logout_redis_missed_stays_a_logout_after_a_restart(site_on_redis, course, bob):
    """The probe's case: the server restarts (a deploy) while Redis is away, forgetting
    which keys it could not delete; Redis comes back with the logged-out session."""
    from coursesite import cache as site_cache

    redis = site_on_redis.client()
    client, old_session, cached = logged_in_and_cached(redis)

    site_on_redis.stop(save=True)
    assert client.post(reverse("accounts:logout")).status_code == 302
    for outage in site_cache._outages.values():  # what a restart forgets: the keys it
        outage.unwritten.clear()  # could not delete (each process's own memory)
    cached_sessions._known["read_at"] = float("-inf")  # and the generation it read

    site_on_redis.start()
    wait_for_the_retry()
    assert redis.exists(cached)  # the stale copy is back, and nobody remembers it...
    stolen = Client()
    stolen.cookies["sessionid"] = old_session
    response = stolen.get(reverse("accounts:profile"))
    assert response.status_code == 302  # ...but it is never read: logged out it stays
    assert response["Location"].startswith(reverse("accounts:login"))
    # People logged in still are, read from the database once, then from Redis again.
    other = Client()
    log_in(other)
    assert other.get(reverse("accounts:profile")).status_code == 200
    assert redis.exists(in_redis(other.session.session_key))


@pytest.mark.django_db
def test_every_cache_call_answers_at_once_while_redis_is_down(site_on_redis, caplog):
    cache.set("kept", 1)
    site_on_redis.stop()
    caplog.set_level(logging.WARNING, logger="coursesite.cache")
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("kept") is None
        assert cache.get("kept", "default") == "default"
        assert cache.get_many(["kept", "other"]) == {}
        assert cache.has_key("kept") is False
        assert cache.add("new", 1) is False
        cache.set("kept", 2)
        cache.set_many({"a": 1, "b": 2})
        assert cache.delete("kept") is False
        cache.delete_many(["a", "b"])
        assert cache.touch("kept") is False
        with pytest.raises(ValueError):
            cache.incr("counter")
        time.sleep(0.01)  # past the retry interval now and then: Redis is tried again
    assert time.monotonic() - started < 3
    warnings = [r for r in caplog.records if r.name == "coursesite.cache"]
    assert len(warnings) == 1  # one warning, not one per call
    assert "Redis is unreachable" in warnings[0].getMessage()

    site_on_redis.start()
    wait_for_the_retry()
    cache.set("kept", 3)
    assert cache.get("kept") == 3
    assert site_on_redis.client().get(":1:kept") is not None


@pytest.mark.django_db
def test_a_hung_redis_costs_one_short_timeout_not_one_per_call(site_on_redis, settings, bob):
    # CLIENT PAUSE makes Redis accept commands and answer none: the worst kind of outage.
    settings.CACHES = {"default": {**settings.CACHES["default"], "OPTIONS": {}}}  # the default
    client = Client()
    client.force_login(bob)
    url = reverse("accounts:profile")
    assert client.get(url).status_code == 200
    site_on_redis.client().execute_command("CLIENT", "PAUSE", 3000, "ALL")
    started = time.monotonic()
    for _ in range(5):
        assert client.get(url).status_code == 200
    elapsed = time.monotonic() - started
    # One cache call waits for the socket timeout (0.5 s); the rest skip Redis. With
    # redis-py's defaults each of the 5 pages would wait 5 s for each of its calls.
    assert elapsed < 2, elapsed
    time.sleep(max(0.0, 3.2 - elapsed))  # let the pause end before the server stops


@pytest.mark.django_db
def test_the_api_rates_hold_while_redis_is_down(site_on_redis, settings):
    """The API's counters live in Redis: while it was away every read was a miss, so
    every count started again at zero and no rate limit held. They count in the worker
    meanwhile, as without Redis."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "OPTIONS": {"OUTAGE_RETRY_SECONDS": 30}}
    }
    settings.API_THROTTLE_RATES = {"token": "5/min", "user": "5/min", "anon": "2/min"}
    site_on_redis.stop()
    anonymous = Client()
    statuses = [anonymous.get("/api/v1/docs/").status_code for _ in range(6)]
    # At most the request that finds Redis gone goes uncounted; the limit holds from there.
    assert statuses.count(200) in (2, 3) and statuses[3:] == [429, 429, 429]
    answer = anonymous.get("/api/v1/docs/")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
