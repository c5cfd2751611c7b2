"""seed_scale builds the benchmark's data idempotently; bench_pages serves every page."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    "practice.Attempt",
    "practice.ExerciseAttempt",
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
    # A group with a grader has its version graded fixed, as assigning one does (probes
    # 101, 102: those groups still took new versions).
    for review in Review.objects.select_related("group"):
        assert review.group.graded_submission_id == review.submission_id, review
        assert review.group.grading_started_at is not None, review


def test_seeded_students_answered_the_quizzes_of_their_completed_lessons():
    from accounts.models import User
    from practice.models import Attempt, Question
    from practice.selectors import lesson_practice

    seed(8)
    assert Attempt.objects.exists()
    for student in User.objects.filter(username__startswith="scale-student-"):
        done = set(
            LessonCompletion.objects.filter(user=student).values_list("lesson_id", flat=True)
        )
        answered = set(
            Attempt.objects.filter(user=student).values_list("question__lesson_id", flat=True)
        )
        assert answered == done & set(Question.objects.values_list("lesson_id", flat=True))
        for completion in LessonCompletion.objects.filter(user=student).select_related("lesson"):
            practice = lesson_practice(student, completion.lesson)
            # Right in the end, as a student who completed the lesson would be.
            assert practice.score.right == practice.score.total


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
        "feedback list",
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


def test_the_floors_are_not_routed_outside_the_benchmark(client, settings, django_user_model):
    settings.BENCH_FLOOR = False
    client.force_login(django_user_model.objects.create_user("x", "x@example.com", "pw"))
    for url in ("/bench/floor", "/bench/floor/logged-in", "/bench/floor/enrolled"):
        assert client.get(url).status_code == 404, url


def test_the_enrolled_floor_reads_only_the_viewers_enrollments(
    client, settings, django_assert_num_queries
):
    """The benchmark's reference row: the logged-in floor plus the one query every course
    page makes first. Anonymous visitors are sent to log in, as on any personal page."""
    settings.BENCH_FLOOR = True
    seed(12)
    from accounts.models import User

    assert client.get("/bench/floor/enrolled").status_code == 302
    client.force_login(User.objects.get(username="bench-student"))
    client.get("/bench/floor/logged-in")  # the session's once-a-minute refresh, first
    with CaptureQueriesContext(connection) as floor:
        assert client.get("/bench/floor/logged-in").status_code == 200
    with django_assert_num_queries(len(floor) + 1) as queries:
        response = client.get("/bench/floor/enrolled")
    assert response.status_code == 200
    assert "Benchmark floor" in response.content.decode()
    assert "lessons_enrollment" in queries.captured_queries[-1]["sql"]


def bench_sessions(role: str) -> dict:
    out = io.StringIO()
    call_command("bench_sessions", role=role, stdout=out)
    return json.loads(out.getvalue())


def logged_in_as(client, cookie_name: str, key: str, url: str, csrf: tuple[str, str] = ()):
    client.cookies.clear()
    client.cookies[cookie_name] = key
    if csrf:
        client.cookies[csrf[0]] = csrf[1]
    return client.get(url)


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"],
)
def test_bench_sessions_log_each_student_and_grader_in_to_their_own_pages(client, settings, engine):
    settings.SESSION_ENGINE = engine
    seed(12)
    students = bench_sessions("student")
    assert students["cookie_name"] == settings.SESSION_COOKIE_NAME
    assert students["csrf_cookie_name"] == settings.CSRF_COOKIE_NAME
    names = [name for name, _, _, _ in students["users"]]
    assert len(names) == 12 and "bench-student" in names and "scale-student-00011" in names
    assert len({key for _, _, key, _ in students["users"]}) == 12  # one session each
    assert len({csrf for _, _, _, csrf in students["users"]}) == 12  # one browser each
    if engine.endswith("cached_db"):
        # Written through to the cache, as a login's save() does: read without a query.
        from django.contrib.sessions.backends.cached_db import KEY_PREFIX
        from django.core.cache import caches

        _, _, key, _ = students["users"][0]
        assert caches[settings.SESSION_CACHE_ALIAS].get(KEY_PREFIX + key)
    for name, pages, key, csrf in [students["users"][0], students["users"][-1]]:
        browser = (students["csrf_cookie_name"], csrf)
        response = logged_in_as(client, students["cookie_name"], key, "/dashboard/", browser)
        assert response.status_code == 200
        assert response.wsgi_request.user.username == name
        assert "Python for Web Development" in response.content.decode()
        # The page's forms use the browser's CSRF secret, as after a real login.
        assert response.cookies[students["csrf_cookie_name"]].value == csrf
        assert response.wsgi_request.META["CSRF_COOKIE"] == csrf
        # Every page the scenario sends this student to is theirs: a page, not the login.
        for _, path in students["sets"][pages]:
            response = logged_in_as(client, students["cookie_name"], key, path)
            assert (path, response.status_code) == (path, 200)
            assert response.wsgi_request.user.username == name
    paths = [path for _, path in students["sets"][0]]
    assert sum(1 for path in paths if path.startswith("/courses/")) > 20  # the lessons
    assert sum(weight for weight, _ in students["sets"][0]) == pytest.approx(100)

    graders = bench_sessions("grader")
    [(name, pages, key, _)] = graders["users"]  # one grader per 25 reviews
    assert name == "bench-grader"
    response = logged_in_as(client, graders["cookie_name"], key, "/grading/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "bench-grader"
    reviews = [path for _, path in graders["sets"][pages] if path.startswith("/grading/reviews/")]
    assert len(reviews) == 4 * Review.objects.filter(grader__username="bench-grader").count()
    for path in reviews:
        assert logged_in_as(client, graders["cookie_name"], key, path).status_code == 200

    # Without a session the same page sends the visitor to the login form.
    response = logged_in_as(client, students["cookie_name"], "no-such-session", "/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
