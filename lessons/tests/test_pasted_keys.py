"""An enrollment key pasted from an email or a slide works with what came around it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from lessons.models import Enrollment
from lessons.tests.test_enrollment import signup_data

pytestmark = pytest.mark.django_db

# What a copy from a web mail, a PDF or a slide brings along the key.
AROUND = [
    pytest.param("", "\u200b", id="zero-width space after"),
    pytest.param("\ufeff", "", id="byte-order mark before"),
    pytest.param("\u200c", "\u200d", id="zero-width joiners"),
    pytest.param(" \u00a0\u200b", "\u2060 \n", id="spaces and invisibles mixed"),
]


@pytest.mark.parametrize(("before", "after"), AROUND)
def test_a_student_enrolls_with_a_pasted_key(client, pyweb, charlie, before, after):
    client.force_login(charlie)
    key = before + pyweb.course.enrollment_key + after
    response = client.post(reverse("lessons:enroll"), {"key": key}, follow=True)
    assert "Welcome to" in response.content.decode()
    assert Enrollment.objects.filter(user=charlie, course=pyweb.course).exists()


@pytest.mark.parametrize(("before", "after"), AROUND)
def test_a_newcomer_signs_up_with_a_pasted_key(client, pyweb, before, after):
    key = before + pyweb.course.enrollment_key + after
    response = client.post(reverse("lessons:signup"), signup_data(key))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user__username="dora", course=pyweb.course).exists()


def test_an_invisible_character_inside_a_key_is_still_a_wrong_key(client, pyweb, charlie):
    client.force_login(charlie)
    key = pyweb.course.enrollment_key
    typed = key[:4] + "\u200b" + key[4:]
    response = client.post(reverse("lessons:enroll"), {"key": typed})
    assert "No course has this enrollment key" in response.content.decode()
    assert not Enrollment.objects.filter(user=charlie, course=pyweb.course).exists()


def test_another_courses_key_pasted_the_same_way_enrolls_in_that_course_only(
    client, pyweb, other_course, bob
):
    client.force_login(bob)
    key = other_course.course.enrollment_key + "\u200b"
    client.post(reverse("lessons:enroll"), {"key": key})
    assert Enrollment.objects.filter(user=bob, course=other_course.course).exists()
    assert User.objects.get(pk=bob.pk).enrollments.count() == 2  # pyweb and that one
