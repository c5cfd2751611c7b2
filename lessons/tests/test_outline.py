"""The cached course outline: what each role sees, and every kind of change shows at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access import policy
from lessons.models import Lesson, Module
from lessons.outline import course_outline

pytestmark = pytest.mark.django_db


def outline_titles(client, course) -> str:
    return client.get(course.get_absolute_url()).content.decode()


@pytest.mark.parametrize("persona", ["bob", "grace", "alice"])
def test_the_outline_lists_what_the_policy_lets_each_role_see(pyweb, persona, request):
    user = request.getfixturevalue(persona)
    course = pyweb.course
    for _ in range(2):  # built, then from the cache: the same answer
        listed = {lesson.pk for lesson in course_outline(user, course).lessons}
        visible = policy.scope(user, policy.VIEW, Lesson.objects.filter(module__course=course))
        assert listed == set(visible.values_list("pk", flat=True))
    assert (pyweb.draft_lesson.pk in listed) == (persona == "alice")


def test_a_lesson_edited_shows_on_the_next_visit(client, pyweb, bob):
    client.force_login(bob)
    assert "Lesson 1.1" in outline_titles(client, pyweb.course)
    lesson = pyweb.lessons[0]
    lesson.title = "Routing, revised"
    lesson.save()
    page = outline_titles(client, pyweb.course)
    assert "Routing, revised" in page and "Lesson 1.1" not in page


def test_publishing_in_the_back_office_shows_at_once(client, pyweb, alice, bob):
    student, teacher = client, type(client)()
    student.force_login(bob)
    teacher.force_login(alice)
    assert "Draft lesson" not in outline_titles(student, pyweb.course)
    teacher.post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "publish", "_selected_action": [pyweb.draft_lesson.pk]},
    )
    assert "Draft lesson" in outline_titles(student, pyweb.course)
    teacher.post(
        reverse("admin:lessons_module_changelist"),
        {"action": "unpublish", "_selected_action": [pyweb.modules[0].pk]},
    )
    assert "Lesson 1.1" not in outline_titles(student, pyweb.course)


def test_deleting_and_reordering_show_at_once(client, pyweb, alice, bob):
    teacher = type(client)()
    teacher.force_login(alice)
    client.force_login(bob)
    assert "Lesson 1.2" in outline_titles(client, pyweb.course)
    teacher.post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "delete_selected", "_selected_action": [pyweb.lessons[1].pk], "post": "yes"},
    )
    assert not Lesson.objects.filter(pk=pyweb.lessons[1].pk).exists()
    assert "Lesson 1.2" not in outline_titles(client, pyweb.course)
    teacher.post(
        reverse("admin:lessons_module_changelist"),
        {"action": "move_down", "_selected_action": [pyweb.modules[0].pk]},
    )
    assert Module.objects.get(pk=pyweb.modules[0].pk).order == 2
    page = outline_titles(client, pyweb.course)
    assert page.index("Module 2") < page.index("Module 1")
