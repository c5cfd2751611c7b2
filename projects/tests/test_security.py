"""Who may see what: every project URL for every persona, and guessed ids and paths."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from projects.services import group_create, submission_create
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll, zip_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def owls(assignment, student):
    group = group_create(assignment=assignment, student=student, name="Owls")
    submission_create(group=group, student=student, archive=zip_upload())
    return group


@pytest.fixture
def larks(assignment, classmate):
    group = group_create(assignment=assignment, student=classmate, name="Larks")
    submission_create(group=group, student=classmate, archive=zip_upload("larks.zip"))
    return group


def project_urls(assignment, submission) -> list[tuple[str, str]]:
    kwargs = {"course_slug": assignment.course.slug, "slug": assignment.slug}
    return [
        ("get", reverse("projects:mine")),
        ("get", reverse("projects:course", args=[assignment.course.slug])),
        ("get", reverse("projects:detail", kwargs=kwargs)),
        ("post", reverse("projects:group_create", kwargs=kwargs)),
        ("post", reverse("projects:group_join", kwargs=kwargs)),
        ("post", reverse("projects:group_leave", kwargs=kwargs)),
        ("post", reverse("projects:submit", kwargs=kwargs)),
        ("get", reverse("projects:submission", args=[submission.pk])),
        ("get", reverse("projects:submission_download", args=[submission.pk])),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, assignment, owls):
    for method, path in project_urls(assignment, owls.submissions.get()):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("accounts:login")), path


def test_outsiders_get_404_everywhere_but_their_own_list(client, charlie, assignment, owls):
    client.force_login(charlie)
    for method, path in project_urls(assignment, owls.submissions.get()):
        response = getattr(client, method)(path)
        expected = 200 if path == reverse("projects:mine") else 404
        assert response.status_code == expected, path


def test_unpublished_projects_are_hidden_from_students(client, student, course):
    draft = ProjectAssignmentFactory(course=course, is_published=False)
    client.force_login(student)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_student_cannot_open_another_groups_versions_by_id(client, student, owls, larks):
    theirs = larks.submissions.get()
    client.force_login(student)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(theirs.get_download_url()).status_code == 404
    # Ids that do not exist answer the same.
    assert client.get(reverse("projects:submission_download", args=[99999])).status_code == 404


def test_the_submit_form_ignores_a_guessed_group(client, student, owls, larks, assignment):
    client.force_login(student)
    kwargs = {"course_slug": assignment.course.slug, "slug": assignment.slug}
    client.post(
        reverse("projects:submit", kwargs=kwargs),
        {"repository_url": "https://x.org/a", "group": larks.pk, "group_id": larks.pk},
    )
    assert larks.submissions.count() == 1
    assert owls.submissions.count() == 2


def test_the_project_page_never_shows_another_groups_code_or_versions(
    client, student, owls, larks, assignment
):
    client.force_login(student)
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert owls.join_code in html
    assert larks.join_code not in html
    assert "larks.zip" not in html
    assert larks.submissions.get().get_download_url() not in html


def test_uploaded_files_have_no_public_url(client, student, owls, settings):
    submission = owls.submissions.get()
    client.force_login(student)
    stored = submission.archive.name
    assert (settings.MEDIA_ROOT / stored).is_file()
    for path in (
        f"/media/{stored}",
        f"{settings.MEDIA_URL}{stored}",
        submission.archive.url,
        f"/{stored}",
        f"/static/{stored}",
    ):
        assert client.get(path).status_code == 404, path


def test_a_student_who_left_the_course_loses_access(client, student, owls, course):
    submission = owls.submissions.get()
    student.enrollments.filter(course=course).delete()
    client.force_login(student)
    assert client.get(submission.get_download_url()).status_code == 404


def test_instructors_of_the_course_can_open_every_version(client, alice, course, owls):
    enroll(course, alice, role=Role.INSTRUCTOR)
    client.force_login(alice)
    submission = owls.submissions.get()
    assert client.get(submission.get_absolute_url()).status_code == 200
    assert client.get(submission.get_download_url()).status_code == 200


def test_instructors_of_another_course_cannot(client, alice, owls):
    from lessons.tests.factories import CourseFactory

    enroll(CourseFactory(), alice, role=Role.INSTRUCTOR)
    client.force_login(alice)
    assert client.get(owls.submissions.get().get_download_url()).status_code == 404


def test_graders_get_nothing_from_the_student_views_yet(client, grace, course, owls):
    """Graders' access is the grading pages' job; here they are like any non-member."""
    enroll(course, grace, role=Role.GRADER)
    client.force_login(grace)
    assert client.get(owls.submissions.get().get_download_url()).status_code == 404


def test_superusers_can_download(client, owls, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    assert client.get(owls.submissions.get().get_download_url()).status_code == 200
