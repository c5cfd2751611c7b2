"""A renamed course, lesson or project: links to its old address lead to the new one, for
its readers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access.tests.matrix import form_data
from lessons.models import FormerSlug
from lessons.tests.conftest import build_course
from projects.models import FormerProjectSlug
from projects.tests.factories import ProjectAssignmentFactory

pytestmark = pytest.mark.django_db


def rename(row, slug: str) -> str:
    old = row.get_absolute_url()
    row.slug = slug
    row.save()
    return old


def test_old_links_to_a_renamed_course_lead_to_its_pages(client, pyweb, alice, bob):
    lesson = pyweb.lessons[1]
    project = ProjectAssignmentFactory(course=pyweb.course, slug="blog", is_published=True)
    old_course = rename(pyweb.course, "python-web")
    client.force_login(bob)
    assert client.get(old_course).url == "/courses/python-web/"
    response = client.get(f"/courses/pyweb/{lesson.slug}/?from=email")
    assert response.status_code == 302
    assert response.url == f"/courses/python-web/{lesson.slug}/?from=email"
    assert client.get(response.url).status_code == 200
    response = client.get(f"/projects/courses/pyweb/{project.slug}/")
    assert response.url == f"/projects/courses/python-web/{project.slug}/"
    # The teachers' pages of the course too (its gradebook).
    client.force_login(alice)
    response = client.get("/grading/courses/pyweb/gradebook/?sort=total")
    assert response.url == "/grading/courses/python-web/gradebook/?sort=total"
    client.force_login(bob)
    # What is not there under the new address either stays not found.
    assert client.get("/courses/pyweb/no-such-lesson/").status_code == 404


def test_old_links_to_a_renamed_lesson_lead_to_it_however_often_it_moved(client, pyweb, bob):
    lesson = pyweb.lessons[0]
    first = rename(lesson, "routes")
    second = rename(lesson, "routing-in-flask")
    client.force_login(bob)
    for old in (first, second):
        assert client.get(old).url == "/courses/pyweb/routing-in-flask/"
    # Named back: the first slug is current again, not a way elsewhere.
    rename(lesson, "pyweb-lesson-1-1")
    assert client.get(first).status_code == 200
    assert not FormerSlug.objects.filter(lesson=lesson, slug="pyweb-lesson-1-1").exists()


def test_outsiders_old_links_stay_not_found_and_name_nothing(
    client, pyweb, other_course, charlie, bob
):
    old_course = rename(pyweb.course, "python-web")
    old_draft = rename(pyweb.draft_lesson, "draft-renamed")
    client.force_login(charlie)  # a student of another course
    response = client.get(old_course)
    assert response.status_code == 404
    assert b"python-web" not in response.content
    client.force_login(bob)  # a student of the course: drafts stay hidden
    assert client.get(old_draft.replace("/pyweb/", "/python-web/")).status_code == 404
    client.logout()
    assert client.get(old_course).status_code in (302, 404)
    assert "python-web" not in client.get(old_course).get("Location", "")


def test_a_new_course_may_take_an_old_slug_and_then_it_is_its_address(client, pyweb, alice, bob):
    rename(pyweb.course, "python-web")
    newcomer = build_course(slug="pyweb")  # published, bob is not in it
    client.force_login(bob)
    assert client.get("/courses/pyweb/").status_code == 404  # the new course's, not his
    assert newcomer.course.slug == "pyweb"


def test_a_rename_in_the_back_office_is_remembered(client, pyweb, alice, bob):
    client.force_login(alice)
    url = reverse("admin:lessons_course_change", args=[pyweb.course.pk])
    data = form_data(client.get(url).content.decode(), "course_form")
    data["slug"] = ["python-web"]
    assert client.post(url, data).status_code == 302
    client.force_login(bob)
    assert client.get("/courses/pyweb/").url == "/courses/python-web/"


def test_old_links_to_a_renamed_project_lead_to_it_even_after_the_course_was_renamed(
    client, pyweb, alice, bob
):
    project = ProjectAssignmentFactory(course=pyweb.course, slug="blog", is_published=True)
    client.force_login(alice)
    url = reverse("admin:projects_projectassignment_change", args=[project.pk])
    data = form_data(client.get(url).content.decode(), "projectassignment_form")
    data["slug"] = ["blog-2025"]
    assert client.post(url, data).status_code == 302  # renamed in the back office
    client.force_login(bob)
    response = client.get("/projects/courses/pyweb/blog/?from=email")
    assert response.url == "/projects/courses/pyweb/blog-2025/?from=email"
    assert client.get(response.url).status_code == 200
    # The course renamed as well: its old address, then the project's, are followed.
    rename(pyweb.course, "python-web")
    response = client.get("/projects/courses/pyweb/blog/", follow=True)
    assert response.redirect_chain[-1][0] == "/projects/courses/python-web/blog-2025/"
    assert response.status_code == 200
    # Named back: the first slug is current again, not a way elsewhere.
    rename(project, "blog")
    assert client.get("/projects/courses/python-web/blog/").status_code == 200
    assert not FormerProjectSlug.objects.filter(assignment=project, slug="blog").exists()
    assert client.get("/projects/courses/python-web/blog-2025/").url == (
        "/projects/courses/python-web/blog/"
    )


def test_outsiders_old_links_to_a_renamed_project_stay_not_found(
    client, pyweb, other_course, charlie, bob
):
    project = ProjectAssignmentFactory(course=pyweb.course, slug="blog", is_published=True)
    draft = ProjectAssignmentFactory(course=pyweb.course, slug="secret", is_published=False)
    old, old_draft = rename(project, "blog-2025"), rename(draft, "secret-plan")
    client.force_login(charlie)  # a student of another course
    response = client.get(old)
    assert response.status_code == 404 and b"blog-2025" not in response.content
    client.force_login(bob)  # a student of the course: drafts stay hidden
    response = client.get(old_draft)
    assert response.status_code == 404 and b"secret-plan" not in response.content
    # A new project may take the old slug: then it is that project's address.
    newcomer = ProjectAssignmentFactory(course=pyweb.course, slug="blog", is_published=True)
    response = client.get(old)
    assert response.status_code == 200 and newcomer.title in response.content.decode()


def test_another_courses_former_address_is_refused_its_own_course_takes_it_back(
    client, pyweb, alice, bob
):
    """Probe 73: a course renamed mid-term left its old address to the next course
    added, and the links of the term's emails and bookmarks then answered 404 (or led
    to the newcomer's pages)."""
    from accounts.models import Role
    from accounts.tests.factories import InstructorFactory
    from lessons.tests.factories import EnrollmentFactory

    rename(pyweb.course, "python-web")
    other = build_course(slug="databases")
    dora = InstructorFactory(username="dora")
    EnrollmentFactory(user=dora, course=other.course, role=Role.INSTRUCTOR)
    client.force_login(dora)
    url = reverse("admin:lessons_course_change", args=[other.course.pk])
    data = form_data(client.get(url).content.decode(), "course_form")
    data["slug"] = ["PyWeb"]
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "This was another course&#x27;s address" in refused.content.decode()
    other.course.refresh_from_db()
    assert other.course.slug == "databases"
    client.force_login(bob)
    assert client.get("/courses/pyweb/").url == "/courses/python-web/"
    # The course itself may go back to it.
    client.force_login(alice)
    url = reverse("admin:lessons_course_change", args=[pyweb.course.pk])
    data = form_data(client.get(url).content.decode(), "course_form")
    data["slug"] = ["pyweb"]
    assert client.post(url, data).status_code == 302
    pyweb.course.refresh_from_db()
    assert pyweb.course.slug == "pyweb"
