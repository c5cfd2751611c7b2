"""Marking lessons complete, progress bars, continue where you left off, prev/next."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lessons.models import Enrollment, LessonCompletion

pytestmark = pytest.mark.django_db


def bar_values(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'aria-valuenow="(\d+)"', html)]


def complete_url(course, lesson) -> str:
    return reverse("lessons:complete", args=[course.slug, lesson.slug])


def test_marking_complete_with_fetch_returns_the_new_progress(client, pyweb, bob):
    client.force_login(bob)
    lesson = pyweb.lessons[0]
    response = client.post(
        complete_url(pyweb.course, lesson), {"completed": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["completed"] is True
    # 6 published lessons in published modules; drafts do not count.
    assert data["course"] == {"done": 1, "total": 6, "percent": 17}
    assert data["module"] == {"id": lesson.module_id, "done": 1, "total": 3, "percent": 33}
    assert LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()
    assert not list(get_messages(response.wsgi_request))  # no stale message for later


def test_the_plain_form_fallback_redirects_back_with_a_message(client, pyweb, bob):
    client.force_login(bob)
    lesson = pyweb.lessons[1]
    response = client.post(complete_url(pyweb.course, lesson), {"completed": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == lesson.get_absolute_url()
    assert "is marked as complete" in response.content.decode()
    assert "✓ Completed (undo)" in response.content.decode()


def test_a_completion_can_be_undone(client, pyweb, bob):
    client.force_login(bob)
    lesson = pyweb.lessons[0]
    client.post(complete_url(pyweb.course, lesson), {"completed": "1"})
    response = client.post(complete_url(pyweb.course, lesson), {"completed": "0"}, follow=True)
    assert "no longer marked as complete" in response.content.decode()
    assert not LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()


def test_marking_twice_keeps_one_completion(client, pyweb, bob):
    client.force_login(bob)
    for _ in range(2):
        client.post(complete_url(pyweb.course, pyweb.lessons[0]), {"completed": "1"})
    assert LessonCompletion.objects.filter(user=bob).count() == 1


def test_draft_lessons_cannot_be_marked_by_students(client, pyweb, bob):
    client.force_login(bob)
    response = client.post(complete_url(pyweb.course, pyweb.draft_lesson), {"completed": "1"})
    assert response.status_code == 404


def test_progress_bars_move_on_the_dashboard_and_course_page(client, pyweb, bob):
    client.force_login(bob)
    assert bar_values(client.get(reverse("lessons:dashboard")).content.decode()) == [0]
    course_page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert bar_values(course_page) == [0, 0, 0]  # course, module 1, module 2
    for lesson in pyweb.lessons[:3]:  # all of module 1
        client.post(complete_url(pyweb.course, lesson), {"completed": "1"})
    assert bar_values(client.get(reverse("lessons:dashboard")).content.decode()) == [50]
    course_page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert bar_values(course_page) == [50, 100, 0]
    assert course_page.count('<span class="visually-hidden">completed</span>') == 3
    assert 'role="progressbar"' in course_page and 'aria-valuemax="100"' in course_page


def test_progress_is_per_student(client, pyweb, bob, grace):
    LessonCompletion.objects.create(user=grace, lesson=pyweb.lessons[0])
    client.force_login(bob)
    assert bar_values(client.get(reverse("lessons:dashboard")).content.decode()) == [0]


def test_continue_brings_the_student_back_to_the_last_lesson_opened(client, pyweb, bob):
    client.force_login(bob)
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Start the course" in dashboard
    assert pyweb.lessons[0].get_absolute_url() in dashboard
    target = pyweb.lessons[4]
    client.get(target.get_absolute_url())
    assert Enrollment.objects.get(user=bob, course=pyweb.course).last_lesson == target
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert f"Continue where you left off: {target.title}" in dashboard
    assert target.get_absolute_url() in dashboard
    course_page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert f"Continue: {target.title}" in course_page


def test_a_last_lesson_completed_is_not_where_one_continues_the_next_one_is(client, pyweb, bob):
    client.force_login(bob)
    first, second, third = pyweb.lessons[:3]
    client.post(reverse("lessons:complete", args=[pyweb.course.slug, first.slug]))
    client.get(third.get_absolute_url())
    client.post(reverse("lessons:complete", args=[pyweb.course.slug, third.slug]))
    # Not the lesson just finished: the next one after it not done (not the skipped one).
    following = pyweb.lessons[3]
    for page in (reverse("lessons:dashboard"), pyweb.course.get_absolute_url()):
        html = client.get(page).content.decode()
        assert f'href="{following.get_absolute_url()}">Continue with: {following.title}</a>' in html
        assert f"Continue where you left off: {third.title}" not in html
    # With every lesson after it done, the first not done anywhere.
    for lesson in pyweb.lessons[3:]:
        client.post(reverse("lessons:complete", args=[pyweb.course.slug, lesson.slug]))
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert f'href="{second.get_absolute_url()}">Continue with: {second.title}</a>' in html


def test_continue_ignores_a_lesson_that_was_unpublished_since(client, pyweb, bob):
    client.force_login(bob)
    target = pyweb.lessons[4]
    client.get(target.get_absolute_url())
    target.is_published = False
    target.save()
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Continue where you left off" not in dashboard
    assert "Start the course" in dashboard


def test_a_student_with_progress_continues_with_the_first_lesson_not_completed(client, pyweb, bob):
    # Their last lesson was unpublished: not "Start the course" and lesson 1 again.
    client.force_login(bob)
    for lesson in pyweb.lessons[:2]:
        client.post(reverse("lessons:complete", args=[pyweb.course.slug, lesson.slug]))
    target = pyweb.lessons[4]
    client.get(target.get_absolute_url())
    target.is_published = False
    target.save()
    third = pyweb.lessons[2]
    for page in (reverse("lessons:dashboard"), pyweb.course.get_absolute_url()):
        html = client.get(page).content.decode()
        assert "Start the course" not in html
        assert f'href="{third.get_absolute_url()}">Continue with: {third.title}</a>' in html


def test_previous_and_next_cross_module_boundaries(client, pyweb, bob):
    client.force_login(bob)
    last_of_module_1, first_of_module_2 = pyweb.lessons[2], pyweb.lessons[3]
    page = client.get(last_of_module_1.get_absolute_url()).content.decode()
    assert f'href="{first_of_module_2.get_absolute_url()}"' in page
    assert "Draft lesson" not in page  # the draft after it is skipped for students
    page = client.get(first_of_module_2.get_absolute_url()).content.decode()
    assert re.search(
        rf'rel="prev" id="prev-lesson" href="{last_of_module_1.get_absolute_url()}"', page
    )
    first = client.get(pyweb.lessons[0].get_absolute_url()).content.decode()
    assert 'rel="prev"' not in first
    last = client.get(pyweb.lessons[-1].get_absolute_url()).content.decode()
    assert 'rel="next"' not in last


def test_the_lesson_page_shows_breadcrumb_toc_and_progress(client, pyweb, bob):
    client.force_login(bob)
    lesson = pyweb.lessons[0]
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert 'aria-label="breadcrumb"' in page and pyweb.course.title in page
    assert 'href="#md-part-one"' in page and 'href="#md-part-two"' in page
    assert 'class="js-complete' in page and "csrfmiddlewaretoken" in page
    assert "js/lessons" in page and "css/pygments" in page


def test_a_course_taken_offline_is_counted_on_its_students_dashboard(client, pyweb, bob):
    pyweb.course.is_published = False
    pyweb.course.save()
    client.force_login(bob)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "One course you are enrolled in is not open at the moment" in html
    assert pyweb.course.title not in html  # nothing of a course in preparation
    assert 'id="no-courses"' not in html
    assert client.get(pyweb.course.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("done", "total", "percent"),
    [(1, 8, 13), (3, 8, 38), (1, 6, 17), (1, 3, 33), (199, 200, 99), (200, 200, 100), (0, 5, 0)],
)
def test_progress_rounds_half_up_and_is_full_only_when_done(done, total, percent):
    from lessons.models import Progress

    assert Progress(done, total).percent == percent


def test_each_progress_bar_of_a_lesson_says_what_it_counts(client, pyweb, bob):
    """The second bar ("0/10") had a name for screen readers only."""
    client.force_login(bob)
    html = client.get(pyweb.lessons[0].get_absolute_url()).content.decode()
    course_label = html.index('<p class="small mb-1">This course</p>')
    module_label = html.index('<p class="small mb-1">This module</p>')
    assert course_label < html.index('data-progress="course"') < module_label
    assert module_label < html.index('data-progress="module-')


def test_the_course_page_names_the_few_lessons_left(client, pyweb, bob):
    """Probe 118: at 30 of 33, "Continue with" named the lesson after the last one done,
    and one skipped in module 2 was a row without a tick among 33."""
    client.force_login(bob)
    skipped, *rest = pyweb.lessons[1:]
    page = pyweb.course.get_absolute_url()
    client.post(reverse("lessons:complete", args=[pyweb.course.slug, pyweb.lessons[0].slug]))
    left = len(pyweb.lessons) - 1
    assert ('id="left-to-do"' in client.get(page).content.decode()) == (left <= 5)
    for lesson in rest[:-1]:
        client.post(reverse("lessons:complete", args=[pyweb.course.slug, lesson.slug]))
    html = client.get(page).content.decode()
    last = rest[-1]
    assert (
        f'Left to do: <a href="{skipped.get_absolute_url()}">{skipped.title}</a>, '
        f'<a href="{last.get_absolute_url()}">{last.title}</a>.'
    ) in html
    for lesson in (skipped, last):
        client.post(reverse("lessons:complete", args=[pyweb.course.slug, lesson.slug]))
    assert 'id="left-to-do"' not in client.get(page).content.decode()  # all done
