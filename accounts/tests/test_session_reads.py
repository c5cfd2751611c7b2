"""The session and its user, read on every logged-in request with prepared queries
(accounts/sessions.py, accounts/backends.py): the same answers as Django's own reads,
one query each, and nothing for an expired session, an unknown key or an inactive user;
the user read afresh brings their course roles in the same query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from access import policy
from accounts.backends import UsernameOrEmailBackend
from accounts.models import Role
from accounts.sessions import SessionStore
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory, LessonFactory

pytestmark = pytest.mark.django_db


def test_a_session_is_read_by_its_key_until_it_expires(django_assert_num_queries):
    store = SessionStore()
    store["colour"] = "blue"
    store.save()
    with django_assert_num_queries(1):
        assert SessionStore(store.session_key).load() == {"colour": "blue"}

    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a save would issue a new key, as Django's does

    for key in ("x" * 40, "' OR 1=1 --", "ünïcode-session-key"):
        unknown = SessionStore(key)
        assert unknown.load() == {}
        assert unknown.session_key is None


def test_the_sessions_user_is_read_in_one_query_and_refused_when_inactive(
    bob, django_assert_num_queries
):
    backend = UsernameOrEmailBackend()
    with django_assert_num_queries(1):
        assert backend.get_user(bob.pk) == bob
    assert backend.get_user(str(bob.pk)) == bob  # as a session stores it

    bob.is_active = False
    bob.save()
    assert backend.get_user(bob.pk) is None
    for nobody in (bob.pk + 1000, 0, -1, 2**63, "abc", None):
        assert backend.get_user(nobody) is None, nobody


def test_a_removed_account_is_logged_out_on_its_next_request(client, bob):
    client.force_login(bob)
    page = reverse("accounts:profile")
    assert client.get(page).status_code == 200
    bob.delete()
    response = client.get(page)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_sessions_user_brings_their_course_roles_in_the_same_query(
    bob, settings, django_assert_num_queries
):
    settings.AUTH_USER_CACHE_SECONDS = 0  # the default: the user read afresh
    first, second = LessonFactory(), LessonFactory()
    EnrollmentFactory(user=bob, course=first.module.course, role=Role.STUDENT)
    EnrollmentFactory(user=bob, course=second.module.course, role=Role.GRADER)
    Enrollment.objects.filter(user=bob, course=first.module.course).update(last_lesson=first)
    backend = UsernameOrEmailBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(bob.pk)
        roles = policy.enrollments(user)
    assert roles == {
        first.module.course.pk: policy.EnrollmentRow(Role.STUDENT, first.pk),
        second.module.course.pk: policy.EnrollmentRow(Role.GRADER, None),
    }
    Enrollment.objects.filter(user=bob).delete()
    with django_assert_num_queries(1):
        assert policy.enrollments(backend.get_user(bob.pk)) == {}


@pytest.mark.parametrize("cached_user_seconds", [0, 300])
def test_a_role_taken_away_is_refused_on_the_next_request(
    client, bob, settings, cached_user_seconds
):
    # Whether the session's user is read afresh with their roles or kept in the cache
    # (whose copy carries no roles), a removed enrollment counts on the next page.
    settings.AUTH_USER_CACHE_SECONDS = cached_user_seconds
    course = LessonFactory().module.course
    other_course = LessonFactory().module.course
    for each in (course, other_course):
        EnrollmentFactory(user=bob, course=each, role=Role.STUDENT)
    client.force_login(bob)
    assert client.get(course.get_absolute_url()).status_code == 200
    assert client.get(other_course.get_absolute_url()).status_code == 200

    Enrollment.objects.filter(user=bob, course=course).delete()
    assert client.get(course.get_absolute_url()).status_code == 404
    assert client.get(other_course.get_absolute_url()).status_code == 200


def test_expired_sessions_are_deleted_at_a_login_once_an_hour(client, db, monkeypatch):
    # Nothing ran clearsessions: every session that ended stayed in the table for good.
    from django.test import Client

    from accounts import sessions
    from accounts.tests.factories import UserFactory

    def an_old_session(key: str) -> None:
        Session.objects.create(
            session_key=key, session_data="", expire_date=timezone.now() - timedelta(days=1)
        )

    monkeypatch.setattr(sessions, "_last_cleared", float("-inf"))
    an_old_session("ended" * 8)
    client.force_login(UserFactory())
    assert not Session.objects.filter(session_key="ended" * 8).exists()
    assert Session.objects.filter(expire_date__gt=timezone.now()).count() == 1  # the new one
    # Within the hour, the next login leaves the table alone.
    an_old_session("later" * 8)
    Client().force_login(UserFactory())
    assert Session.objects.filter(session_key="later" * 8).exists()


def test_login_logs_and_finished_tasks_go_after_their_retention(client, monkeypatch, settings):
    """Probe 72: the login log (addresses, browsers, a password typed as a username by
    mistake) and finished tasks (addresses typed at the password reset by anyone) were
    kept for good."""
    from axes.models import AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    from accounts import sessions
    from accounts.tests.factories import UserFactory

    settings.LOGIN_LOG_DAYS, settings.TASK_RESULT_DAYS = 90, 30
    now = timezone.now()

    def logged(days_ago: int, name: str):
        AccessLog.objects.create(username=name, ip_address="203.0.113.9")
        AccessFailureLog.objects.create(username=name, ip_address="203.0.113.9")
        for model in (AccessLog, AccessFailureLog):
            model.objects.filter(username=name).update(attempt_time=now - timedelta(days=days_ago))

    def task(days_ago: int, status: str, name: str) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {"email": f"{name}@example.org"}},
            task_path="accounts.tasks.x",
            queue_name="default",
            backend_name="default",
            finished_at=now - timedelta(days=days_ago) if status != "READY" else None,
        )

    logged(91, "old-typed-Hunter2!")
    logged(89, "recent")
    old, recent, failed_old = (
        task(31, "SUCCESSFUL", "old"),
        task(29, "SUCCESSFUL", "new"),
        task(40, "FAILED", "failed"),
    )
    waiting = task(0, "READY", "waiting")
    monkeypatch.setattr(sessions, "_last_cleared", float("-inf"))
    client.force_login(UserFactory())
    for model in (AccessLog, AccessFailureLog):
        names = set(model.objects.values_list("username", flat=True))
        assert "old-typed-Hunter2!" not in names and "recent" in names
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert old.pk not in left and failed_old.pk not in left
    assert {recent.pk, waiting.pk} <= left
