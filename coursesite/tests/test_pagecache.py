"""The per-user page cache serves a page again only while nothing it shows has changed.

The whole suite runs with the page and user caches on (conftest.py); these tests pin
down what the cache itself promises: a second visit costs no page queries, a page is
never served to another user, and every kind of write a user can make — or an
instructor can make in the back office — is visible on the very next request.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import GRADERS_GROUP, Role
from coursesite import pagecache
from lessons.models import Enrollment, Lesson
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(bob, charlie):
    """A published course with bob and charlie enrolled as students."""
    built = build_course()
    EnrollmentFactory(user=bob, course=built.course, role=Role.STUDENT)
    EnrollmentFactory(user=charlie, course=built.course, role=Role.STUDENT)
    return built


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lesson_url(scene, index: int = 0) -> str:
    lesson = scene.lessons[index]
    return reverse("lessons:lesson", args=[scene.course.slug, lesson.slug])


def course_url(scene) -> str:
    return reverse("lessons:course", args=[scene.course.slug])


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


# Served again, to the same user only -----------------------------------------
@pytest.mark.parametrize("page", ["dashboard", "course", "lesson"])
def test_a_second_visit_runs_only_the_session_query(scene, bob, page, django_assert_num_queries):
    url = {
        "dashboard": reverse("lessons:dashboard"),
        "course": course_url(scene),
        "lesson": lesson_url(scene),
    }[page]
    client = logged_in(bob)
    first = client.get(url)
    assert first.status_code == 200
    # The session itself is in the database in tests (in Redis in production).
    with django_assert_num_queries(1):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content.decode().replace(csrf_token_in(second.content.decode()), "") == (
        first.content.decode().replace(csrf_token_in(first.content.decode()), "")
    )


def test_a_page_is_never_served_to_another_user(scene, bob, charlie):
    url = course_url(scene)
    bob_client, charlie_client = logged_in(bob), logged_in(charlie)
    bob_client.post(
        reverse("lessons:complete", args=[scene.course.slug, scene.lessons[0].slug]),
        {"completed": "1"},
    )
    bob_client.get(url)
    bob_page = bob_client.get(url).content.decode()
    charlie_page = charlie_client.get(url).content.decode()
    assert 'id="who">bob<' in bob_page
    assert 'id="who">charlie<' in charlie_page
    assert "1 of 6 lessons completed" in bob_page
    assert "0 of 6 lessons completed" in charlie_page


# Fresh after every write ------------------------------------------------------
def test_completing_a_lesson_shows_on_the_next_request(scene, bob):
    client = logged_in(bob)
    client.get(lesson_url(scene))  # now cached
    client.post(
        reverse("lessons:complete", args=[scene.course.slug, scene.lessons[0].slug]),
        {"completed": "1"},
    )
    page = client.get(lesson_url(scene)).content.decode()
    assert 'aria-pressed="true"' in page
    assert "1 of 6 lessons completed" in client.get(reverse("lessons:dashboard")).content.decode()


def test_continue_where_you_left_off_follows_the_last_lesson_opened(scene, bob):
    client = logged_in(bob)
    client.get(course_url(scene))  # cached with no lesson opened yet
    client.get(lesson_url(scene, 2))
    assert f"Continue: {scene.lessons[2].title}" in client.get(course_url(scene)).content.decode()
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert f"Continue where you left off: {scene.lessons[2].title}" in dashboard


def test_an_edited_lesson_shows_at_once(scene, bob):
    client = logged_in(bob)
    client.get(lesson_url(scene))
    lesson = scene.lessons[0]
    lesson.title = "Routing, revised"
    lesson.save()
    assert "Routing, revised" in client.get(lesson_url(scene)).content.decode()


def test_lessons_unpublished_in_bulk_disappear_at_once(scene, bob, alice):
    """The admin's bulk action uses queryset.update(), which sends no signal."""
    EnrollmentFactory(user=alice, course=scene.course, role=Role.INSTRUCTOR)
    student = logged_in(bob)
    assert student.get(lesson_url(scene)).status_code == 200
    assert scene.lessons[0].title in student.get(course_url(scene)).content.decode()
    logged_in(alice).post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "unpublish", "_selected_action": [scene.lessons[0].pk]},
    )
    assert not Lesson.objects.get(pk=scene.lessons[0].pk).is_published
    assert student.get(lesson_url(scene)).status_code == 404
    assert scene.lessons[0].title not in student.get(course_url(scene)).content.decode()


def test_a_reorder_shows_at_once(scene, bob):
    """Renumbering uses bulk_update, which sends no signal either."""
    from lessons.services import lesson_move

    client = logged_in(bob)
    client.get(course_url(scene))
    lesson_move(lesson=scene.lessons[1], step=-1)
    page = client.get(course_url(scene)).content.decode()
    assert page.index(scene.lessons[1].title) < page.index(scene.lessons[0].title)


def test_a_removed_enrollment_closes_the_cached_course_at_once(scene, bob):
    client = logged_in(bob)
    assert client.get(course_url(scene)).status_code == 200
    assert client.get(lesson_url(scene)).status_code == 200
    Enrollment.objects.get(user=bob, course=scene.course).delete()
    assert client.get(course_url(scene)).status_code == 404
    assert client.get(lesson_url(scene)).status_code == 404


def test_a_grader_removed_from_the_role_loses_the_cached_queue_at_once(grace):
    client = logged_in(grace)
    assert client.get(reverse("projects:grader_queue")).status_code == 200
    grace.groups.remove(Group.objects.get(name=GRADERS_GROUP))
    assert client.get(reverse("projects:grader_queue")).status_code == 403


def test_a_deactivated_user_is_logged_out_at_once(scene, bob):
    client = logged_in(bob)
    assert client.get(course_url(scene)).status_code == 200
    bob.is_active = False
    bob.save()
    response = client.get(course_url(scene))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_password_changed_elsewhere_ends_the_session(scene, bob):
    client = logged_in(bob)
    client.get(course_url(scene))
    bob.set_password("a-brand-new-passphrase")
    bob.save()
    assert client.get(course_url(scene)).status_code == 302


def test_a_new_display_name_shows_on_classmates_pages(scene, bob, charlie):
    from projects.tests.factories import (
        GroupFactory,
        GroupMembershipFactory,
        ProjectAssignmentFactory,
    )

    assignment = ProjectAssignmentFactory(course=scene.course)
    group = GroupFactory(assignment=assignment, name="Team Bee")
    GroupMembershipFactory(group=group, student=bob)
    GroupMembershipFactory(group=group, student=charlie)
    client = logged_in(charlie)
    url = assignment.get_absolute_url()
    assert "Bob Student" in client.get(url).content.decode()
    bob.display_name = "Robert Student"
    bob.save()
    assert "Robert Student" in client.get(url).content.decode()


# Per-request parts ------------------------------------------------------------
def test_a_cached_page_carries_a_working_csrf_token_of_its_own(scene, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    first = client.get(lesson_url(scene)).content.decode()
    second = client.get(lesson_url(scene)).content.decode()
    assert pagecache.csrf_placeholder() not in second
    token = csrf_token_in(second)
    # Masked afresh for each response (BREACH), valid for the same secret.
    assert token != csrf_token_in(first)
    response = client.post(
        reverse("lessons:complete", args=[scene.course.slug, scene.lessons[0].slug]),
        {"completed": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_flash_messages_show_once_and_never_stick_to_the_cached_page(scene, bob):
    client = logged_in(bob)
    client.get(lesson_url(scene))
    client.post(
        reverse("lessons:complete", args=[scene.course.slug, scene.lessons[0].slug]),
        {"completed": "1"},
    )
    message = f"“{scene.lessons[0].title}” is marked as complete."
    assert message in client.get(lesson_url(scene)).content.decode()
    assert message not in client.get(lesson_url(scene)).content.decode()
    assert message not in client.get(lesson_url(scene)).content.decode()


def test_an_error_page_inside_a_cached_view_keeps_the_real_token(scene, bob):
    client = logged_in(bob)
    response = client.get(reverse("lessons:lesson", args=[scene.course.slug, "no-such-lesson"]))
    assert response.status_code == 404
    assert pagecache.csrf_placeholder() not in response.content.decode()


# The generations ---------------------------------------------------------------
def test_a_lost_generation_counter_means_the_page_is_built_again(
    scene, bob, django_assert_max_num_queries
):
    client = logged_in(bob)
    client.get(course_url(scene))
    cache.delete(pagecache.SITE_GENERATION)  # evicted
    bob.completions.create(lesson=scene.lessons[0])  # a write whose bump was lost with it
    cache.delete(pagecache.user_generation_key(bob.pk))
    assert "1 of 6 lessons completed" in client.get(course_url(scene)).content.decode()


def test_a_write_bumps_the_generation_again_when_it_commits(
    scene, django_capture_on_commit_callbacks
):
    """A page built between a write and its commit read the old rows: it must retire."""
    before = cache.get(pagecache.SITE_GENERATION)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scene.lessons[0].save()
    during = cache.get(pagecache.SITE_GENERATION)
    for callback in callbacks:
        callback()
    after = cache.get(pagecache.SITE_GENERATION)
    assert before is None or during > before
    assert after > during


def test_the_cache_is_off_without_a_shared_cache(scene, bob, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client = logged_in(bob)
    client.get(course_url(scene))
    assert not any(key.startswith(":1:page:") for key in cache._cache)  # locmem's store


def test_a_page_whose_view_wrote_is_stored_under_the_new_generation_only_if_nobody_else_wrote():
    keys = [pagecache.SITE_GENERATION, pagecache.user_generation_key(1)]
    cache.set_many({keys[0]: 10, keys[1]: 22})
    # The view bumped the user's counter twice (write, then its commit): nobody else did.
    assert pagecache._after_own_writes(keys, (10, 20), {keys[1]: 2}) == (10, 22)
    # Somebody else changed the site in between: keep the old generations (never served).
    cache.set(keys[0], 11)
    assert pagecache._after_own_writes(keys, (10, 20), {keys[1]: 2}) == (10, 20)


def test_stored_html_gets_this_requests_csrf_token_and_csp_nonce(rf):
    """No page uses the nonce in its body yet; one that does must not break its scripts."""
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.middleware.csrf import CsrfViewMiddleware

    request = rf.get("/")
    CsrfViewMiddleware(lambda r: None).process_request(request)
    ContentSecurityPolicyMiddleware(lambda r: None).process_request(request)
    stored = (
        f'<input name="csrfmiddlewaretoken" value="{pagecache.csrf_placeholder()}">'
        f'<script nonce="{pagecache.nonce_placeholder()}"></script>'
    )
    html = pagecache._with_request_parts(stored, request)
    nonce = request._csp_nonce
    assert bool(nonce)  # evaluated, so the middleware puts it in the header
    assert f'nonce="{nonce}"' in html
    assert pagecache.csrf_placeholder() not in html
    assert pagecache.nonce_placeholder() not in html


def _stored_entry_key(client, user, url: str) -> str:
    from django.contrib.auth import HASH_SESSION_KEY

    return pagecache.page_key(user.pk, client.session[HASH_SESSION_KEY], url)


def test_a_page_near_expiry_is_rebuilt_by_one_request_while_others_get_the_copy(
    scene, bob, django_assert_num_queries, django_assert_max_num_queries
):
    client = logged_in(bob)
    url = course_url(scene)
    client.get(url)
    key = _stored_entry_key(client, bob, url)
    generations, html, built_at = cache.get(key)
    cache.set(key, (generations, html, built_at - 50), 60)  # 50 of its 60 s gone
    cache.add(f"{key}:refresh", 1)  # another worker is rebuilding it right now
    with django_assert_num_queries(1):  # served the copy: only the session query
        assert client.get(url).status_code == 200
    cache.delete(f"{key}:refresh")
    with django_assert_max_num_queries(20) as rebuilt:
        client.get(url)  # this one wins the lock and rebuilds
    assert len(rebuilt) > 1
    assert cache.get(key)[2] > built_at - 50
    with django_assert_num_queries(1):
        client.get(url)


def test_logging_in_again_keeps_the_users_pages(scene, bob, password, django_assert_num_queries):
    """A login only stamps last_login, which no page shows."""
    first = Client()
    first.post(reverse("accounts:login"), {"username": "bob", "password": password})
    first.get(reverse("lessons:dashboard"))  # shows "Welcome back", so is not stored
    first.get(course_url(scene))
    second = Client()
    second.post(reverse("accounts:login"), {"username": "bob", "password": password})
    assert "Welcome back" in second.get(reverse("lessons:dashboard")).content.decode()
    with django_assert_num_queries(1):  # the session; the page comes from the cache
        assert second.get(course_url(scene)).status_code == 200
