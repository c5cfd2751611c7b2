from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from lessons.models import Course, Enrollment, Lesson

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_demo_course_and_enrolls_the_demo_users(capsys):
    call_command("seed_demo")
    course = Course.objects.get(slug="python-web-development")
    assert Lesson.objects.filter(module__course=course).published().count() == 29
    roles = dict(Enrollment.objects.filter(course=course).values_list("user__username", "role"))
    assert roles["instructor"] == Role.INSTRUCTOR
    assert roles["grader"] == Role.GRADER
    assert all(roles[f"student{n}"] == Role.STUDENT for n in range(1, 6))
    assert "Enrollment key" in capsys.readouterr().out


def test_seed_demo_can_run_again_without_changes():
    call_command("seed_demo", verbosity=0)
    before = (
        User.objects.count(),
        Enrollment.objects.count(),
        list(Lesson.objects.values_list("pk", "updated_at")),
    )
    call_command("seed_demo", verbosity=0)
    after = (
        User.objects.count(),
        Enrollment.objects.count(),
        list(Lesson.objects.values_list("pk", "updated_at")),
    )
    assert after == before
