"""seed_scale builds the benchmark's data idempotently; bench_pages serves every page."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command

from grading.models import Review
from lessons.models import Enrollment, LessonCompletion
from projects.models import Group, GroupMembership, Submission

pytestmark = pytest.mark.django_db(transaction=False)

COUNTED = [
    "accounts.User",
    "lessons.Enrollment",
    "lessons.LessonCompletion",
    "projects.Group",
    "projects.GroupMembership",
    "projects.Submission",
    "grading.Review",
    "grading.CriterionScore",
]


def snapshot() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def seed(students: int) -> str:
    out = io.StringIO()
    call_command("seed_scale", students=students, stdout=out)
    return out.getvalue()


def test_seed_scale_is_idempotent_and_grows():
    seed(9)
    first = snapshot()
    assert first["projects.Group"] == 3  # groups of 4: 4 + 4 + 1
    assert Enrollment.objects.filter(role="student").count() == 9
    assert first["projects.Submission"] == 3
    assert first["grading.Review"] == 2  # half of the groups, rounded up
    assert "nothing to add" in seed(9)
    assert snapshot() == first
    seed(14)
    grown = snapshot()
    assert Enrollment.objects.filter(role="student").count() == 14
    assert grown["projects.Group"] == 4
    # The last group of the first run was filled up, not duplicated.
    assert GroupMembership.objects.filter(group__name="Team 00003").count() == 4
    assert Submission.objects.count() == Group.objects.count()
    assert LessonCompletion.objects.count() >= first["lessons.LessonCompletion"]
    # The known accounts log in with the known password.
    from accounts.models import User
    from grading.management.commands.seed_scale import BENCH_PASSWORD

    assert User.objects.get(username="bench-student").check_password(BENCH_PASSWORD)
    assert Review.objects.filter(grader__username="bench-grader").exists()


def test_bench_pages_measures_every_page(settings):
    settings.BENCH_FLOOR = True
    seed(12)
    out = io.StringIO()
    call_command("bench_pages", stdout=out)
    data = json.loads(out.getvalue())
    names = [page["name"] for page in data["pages"]]
    for expected in [
        "home",
        "dashboard",
        "course",
        "lesson",
        "search",
        "project",
        "submission (student)",
        "grader queue",
        "review",
        "gradebook",
        "gradebook CSV",
        "admin: courses",
        "admin: lessons",
        "admin: enrollments",
        "admin: groups",
        "admin: submissions",
        "API: submissions",
        "API: reviews",
        "API: gradebook",
        "floor",
    ]:
        assert expected in names
    assert any(name.startswith("static: ") for name in names)
    assert all(page["status"] == 200 for page in data["pages"])
    floor = next(page for page in data["pages"] if page["name"] == "floor")
    assert floor["queries"] == 0
    assert data["users"] == ["bench-student", "bench-grader", "bench-instructor"]


def test_the_floor_is_not_routed_outside_the_benchmark(client, settings):
    settings.BENCH_FLOOR = False
    assert client.get("/bench/floor").status_code == 404
