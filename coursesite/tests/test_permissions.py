"""The permission matrix: every URL of the site, for every role, GET and POST.

One test walks all named routes of our apps (pretix's test_permissions idea) so that a
new view cannot forget its access check: anonymous visitors are sent to the login page,
outsiders never get another course's objects, students and graders never reach
instructor pages, and no role can make any page fail with a server error.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from grading.tests.factories import grading_world
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

NAMESPACES = ("accounts", "lessons", "projects", "grading")
PUBLIC = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:invitation",
    "lessons:signup",
}
INSTRUCTOR_ONLY = {
    "grading:assignment_grading",
    "grading:assign_graders",
    "grading:release_grades",
    "grading:override_mark",
    "grading:gradebook",
    "grading:gradebook_csv",
}
GRADER_ONLY = {"grading:review", "grading:review_draft", "grading:line_comment_create"}
MISSING = 999_999_999


def route_names() -> list[str]:
    resolver = get_resolver()
    names = []
    for namespace in NAMESPACES:
        _, sub = resolver.namespace_dict[namespace]
        names += [f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)]
    return sorted(set(names))


def route_kwargs(world, lesson) -> dict[str, dict]:
    """Return the kwargs of each route, pointing at the world's real objects."""
    course, assignment = world.course.slug, world.assignment.slug
    by_submission = {"pk": world.submission.pk}
    by_assignment = {"pk": world.assignment.pk}
    return {
        "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "accounts:invitation": {"uidb64": "MQ", "token": "set-password"},
        "accounts:confirm_email": {"uidb64": "MQ", "token": "confirm-it"},
        "lessons:course": {"slug": course},
        "lessons:lesson": {"course_slug": course, "lesson_slug": lesson.slug},
        "lessons:complete": {"course_slug": course, "lesson_slug": lesson.slug},
        "lessons:attachment": {"course_slug": course, "lesson_slug": lesson.slug, "pk": MISSING},
        "projects:course": {"course_slug": course},
        "projects:detail": {"course_slug": course, "slug": assignment},
        "projects:group_create": {"course_slug": course, "slug": assignment},
        "projects:group_join": {"course_slug": course, "slug": assignment},
        "projects:group_leave": {"course_slug": course, "slug": assignment},
        "projects:group_rename": {"course_slug": course, "slug": assignment},
        "projects:submit": {"course_slug": course, "slug": assignment},
        "projects:submission": by_submission,
        "projects:submission_download": by_submission,
        "grading:review": {"pk": world.review.pk},
        "grading:review_draft": {"pk": world.review.pk},
        "grading:line_comment_create": {"pk": world.review.pk},
        "grading:line_comment_delete": {"pk": MISSING},
        "grading:line_comment_edit": {"pk": MISSING},
        "grading:regrade_answer": {"pk": MISSING},
        "grading:regrade_message": {"pk": MISSING},
        "grading:assignment_grading": by_assignment,
        "grading:assign_graders": by_assignment,
        "grading:assignment_hub": by_assignment,
        "grading:hub_reassign": by_assignment,
        "grading:release_grades": by_assignment,
        "grading:override_mark": by_assignment,
        "grading:gradebook": {"slug": course},
        "grading:gradebook_csv": {"slug": course},
        "grading:feedback": by_submission,
        "grading:regrade_request": by_submission,
        "grading:peer": {"pk": world.group.pk},
        "accounts:token_revoke": {"pk": MISSING},
    }


@pytest.fixture
def urls(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    lesson = LessonFactory(module__course=world.course, slug="first-steps")
    kwargs = route_kwargs(world, lesson)
    return {name: reverse(name, kwargs=kwargs.get(name, {})) for name in route_names()}


def requests_for(client, url):
    """GET and an empty POST: what a curious or careless user can always send.

    A GET of a POST-only action redirects to the page of its form: that page is what
    the user gets, so it is the answer judged here.
    """
    get = client.get(url)
    if get.status_code == 302 and not get["Location"].startswith(reverse("accounts:login")):
        get = client.get(get["Location"])
    return {"GET": get, "POST": client.post(url, {})}


def test_every_route_is_in_the_matrix(urls):
    kwargs_needed = [name for name, url in urls.items() if str(MISSING) in url]
    assert "grading:regrade_answer" in kwargs_needed  # the walk reached our routes
    assert len(urls) >= 40


def test_anonymous_visitors_are_sent_to_the_login_page(client, urls):
    login = reverse("accounts:login")
    for name, url in urls.items():
        if name in PUBLIC:
            continue
        for method, response in requests_for(client, url).items():
            if method == "POST" and response.status_code == 405:
                # A page that takes no form refuses a POST before asking who sends it.
                assert "POST" not in response["Allow"], name
                continue
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(login), (name, method)


@pytest.mark.parametrize("persona", ["charlie", "bob", "grace", "alice"])
def test_no_role_gets_a_server_error_from_any_page(client, urls, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for name, url in urls.items():
        for method, response in requests_for(client, url).items():
            assert response.status_code < 500, (name, method, response.status_code)


def test_outsiders_never_get_a_course_object(client, urls, charlie):
    client.force_login(charlie)
    for name, url in urls.items():
        if name in PUBLIC or not any(part.isdigit() or "pyweb" in part for part in url.split("/")):
            continue
        for method, response in requests_for(client, url).items():
            if (name, method) == ("accounts:token_revoke", "GET"):
                continue  # the page of its form is the outsider's own profile
            assert response.status_code in (403, 404, 405), (name, method, response.status_code)


@pytest.mark.parametrize("persona", ["bob", "grace"])
def test_students_and_graders_never_reach_instructor_pages(client, urls, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for name in INSTRUCTOR_ONLY:
        for method, response in requests_for(client, urls[name]).items():
            assert response.status_code in (403, 404, 405), (name, method, response.status_code)


def test_students_never_reach_grading_pages(client, urls, bob):
    client.force_login(bob)
    for name in GRADER_ONLY:
        for method, response in requests_for(client, urls[name]).items():
            assert response.status_code in (403, 404, 405), (name, method, response.status_code)
