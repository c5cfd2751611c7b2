"""The lesson's "mark as complete" button: "1" marks, "0" unmarks, nothing else acts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lessons.models import LessonCompletion

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
ODD = ["yes", "true", "2", "", "on", "01", "1 ", "no"]


def complete_url(course, lesson) -> str:
    return reverse("lessons:complete", args=[course.slug, lesson.slug])


@pytest.mark.parametrize("value", ODD)
def test_a_value_other_than_1_or_0_changes_nothing_for_the_script(client, pyweb, bob, value):
    client.force_login(bob)
    lesson = pyweb.lessons[0]
    LessonCompletion.objects.create(user=bob, lesson=lesson)
    response = client.post(complete_url(pyweb.course, lesson), {"completed": value}, **JSON)
    assert response.status_code == 400
    assert "Nothing was changed" in response.json()["error"]
    assert LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()  # still marked


@pytest.mark.parametrize("value", ODD)
def test_a_value_other_than_1_or_0_changes_nothing_for_a_plain_form(client, pyweb, bob, value):
    client.force_login(bob)
    lesson = pyweb.lessons[1]
    response = client.post(complete_url(pyweb.course, lesson), {"completed": value}, follow=True)
    assert response.redirect_chain[-1][0] == lesson.get_absolute_url()
    assert "Nothing was changed" in response.content.decode()
    assert not LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()  # not marked


def test_1_marks_0_unmarks_and_nothing_marks(client, pyweb, bob):
    client.force_login(bob)
    lesson = pyweb.lessons[2]
    url = complete_url(pyweb.course, lesson)
    assert client.post(url, {"completed": "0"}, **JSON).json()["completed"] is False
    assert client.post(url, {}, **JSON).json()["completed"] is True
    assert LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()
    assert client.post(url, {"completed": "0"}, **JSON).json()["completed"] is False
    assert not LessonCompletion.objects.filter(user=bob, lesson=lesson).exists()
    assert client.post(url, {"completed": "1"}, **JSON).json()["completed"] is True


def test_a_student_of_another_course_gets_no_answer_about_the_value(
    client, pyweb, other_course, charlie
):
    client.force_login(charlie)
    lesson = pyweb.lessons[0]
    for value in ("1", "yes"):
        response = client.post(complete_url(pyweb.course, lesson), {"completed": value}, **JSON)
        assert response.status_code == 404
    assert not LessonCompletion.objects.filter(user=charlie).exists()
