from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from grading.models import Review
from lessons.models import Course, Enrollment, Lesson
from projects.models import Submission

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_demo_course_and_enrolls_the_demo_users(capsys):
    call_command("seed_demo")
    course = Course.objects.get(slug="python-web-development")
    assert Lesson.objects.filter(module__course=course).published().count() == 33
    roles = dict(Enrollment.objects.filter(course=course).values_list("user__username", "role"))
    assert roles["instructor"] == Role.INSTRUCTOR
    assert roles["grader"] == Role.GRADER
    assert all(roles[f"student{n}"] == Role.STUDENT for n in range(1, 6))
    output = capsys.readouterr().out
    assert "Enrollment key" in output
    assert "shown only now" in output


def test_seed_demo_gives_every_role_something_to_do(client):
    call_command("seed_demo", verbosity=0)
    submission = Submission.objects.get(group__assignment__slug="group-project")
    assert sorted(m.student.username for m in submission.group.memberships.all()) == [
        "student1",
        "student2",
    ]
    review = Review.objects.get(group=submission.group)
    assert review.grader.username == "grader"
    assert submission.group.assignment.rubric.criteria.count() == 4
    # The grader's queue lists it, and the file viewer can open the demo zip.
    client.force_login(review.grader)
    assert "Team Alpha" in client.get("/grading/").content.decode()
    page = client.get(f"/grading/reviews/{review.pk}/", {"path": "blog/posts/models.py"})
    assert "class" in page.content.decode() and "Post" in page.content.decode()


def test_seed_demo_can_run_again_without_changes():
    call_command("seed_demo", verbosity=0)
    before = (
        User.objects.count(),
        Enrollment.objects.count(),
        Submission.objects.count(),
        list(Lesson.objects.values_list("pk", "updated_at")),
    )
    call_command("seed_demo", verbosity=0)
    after = (
        User.objects.count(),
        Enrollment.objects.count(),
        Submission.objects.count(),
        list(Lesson.objects.values_list("pk", "updated_at")),
    )
    assert after == before
