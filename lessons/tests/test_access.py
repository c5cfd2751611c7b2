"""Who may open what: anonymous → login, outsider → 404, student, grader, instructor."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def course_urls(pyweb) -> dict[str, str]:
    lesson = pyweb.lessons[0]
    return {
        "course": reverse("lessons:course", args=[pyweb.course.slug]),
        "lesson": reverse("lessons:lesson", args=[pyweb.course.slug, lesson.slug]),
    }


def test_anonymous_visitors_are_sent_to_the_login_page(client, pyweb):
    urls = [
        reverse("lessons:dashboard"),
        reverse("lessons:search"),
        reverse("lessons:enroll"),
        *course_urls(pyweb).values(),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login")), url
    complete = reverse("lessons:complete", args=[pyweb.course.slug, pyweb.lessons[0].slug])
    assert client.post(complete).status_code == 302


def test_outsiders_get_404_for_a_course_they_are_not_enrolled_in(client, pyweb, charlie):
    client.force_login(charlie)
    for name, url in course_urls(pyweb).items():
        assert client.get(url).status_code == 404, name
    complete = reverse("lessons:complete", args=[pyweb.course.slug, pyweb.lessons[0].slug])
    assert client.post(complete).status_code == 404
    assert not charlie.completions.exists()


def test_enrollment_in_another_course_grants_nothing_here(client, pyweb, other_course, charlie):
    client.force_login(charlie)
    assert client.get(other_course.course.get_absolute_url()).status_code == 200
    assert client.get(pyweb.course.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("persona", ["bob", "grace", "alice"])
def test_enrolled_people_open_the_course_and_its_lessons(client, pyweb, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for name, url in course_urls(pyweb).items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("persona", ["bob", "grace"])
def test_students_and_graders_cannot_open_draft_lessons(client, pyweb, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for lesson in (pyweb.draft_lesson, pyweb.hidden_lesson):
        assert client.get(lesson.get_absolute_url()).status_code == 404
    page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert "Draft lesson" not in page
    assert "Draft module" not in page
    assert "Draft</span>" not in page


def test_instructors_preview_drafts_with_a_badge(client, pyweb, alice):
    client.force_login(alice)
    response = client.get(pyweb.draft_lesson.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "draft-badge" in page
    assert "students do not see this lesson" in page
    course_page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert "Draft lesson" in course_page and "Draft module" in course_page


def test_an_unpublished_course_is_invisible_to_its_students(client, pyweb, bob, alice):
    pyweb.course.is_published = False
    pyweb.course.save()
    client.force_login(bob)
    assert client.get(pyweb.course.get_absolute_url()).status_code == 404
    assert client.get(pyweb.lessons[0].get_absolute_url()).status_code == 404
    assert pyweb.course.title not in client.get(reverse("lessons:dashboard")).content.decode()
    client.force_login(alice)
    page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert "draft-badge" in page


def test_site_instructors_who_do_not_teach_a_course_cannot_open_it(client, other_course, alice):
    client.force_login(alice)
    assert client.get(other_course.course.get_absolute_url()).status_code == 404


def test_superusers_open_any_course(client, pyweb, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    assert client.get(pyweb.course.get_absolute_url()).status_code == 200
    assert client.get(pyweb.draft_lesson.get_absolute_url()).status_code == 200


def test_attachments_download_only_for_people_who_see_the_lesson(client, pyweb, bob, charlie):
    from django.core.files.base import ContentFile

    from lessons.models import LessonAttachment

    client.force_login(bob)
    page = pyweb.lessons[0].get_absolute_url()
    assert 'id="attachments-heading"' not in client.get(page).content.decode()
    attachment = LessonAttachment(lesson=pyweb.lessons[0], title="Slides")
    attachment.file.save("slides.txt", ContentFile(b"hello"), save=True)
    url = attachment.get_absolute_url()
    assert 'id="attachments-heading"' in client.get(page).content.decode()  # at once
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert "attachment" in response["Content-Disposition"]
    assert "Slides" in client.get(pyweb.lessons[0].get_absolute_url()).content.decode()
    assert response["Content-Type"] == "text/plain"
    client.force_login(charlie)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "name", ["evil.js", "page.html", "drawing.svg", "feed.xml", "style.css", "page.xhtml"]
)
def test_an_attachment_a_browser_would_run_or_render_is_served_as_bytes(client, pyweb, bob, name):
    """Probe 104: "evil.js" was served as text/javascript, so a script tag on one of our
    pages could run it as the site's own (the CSP allows the site's scripts)."""
    from django.core.files.base import ContentFile

    from lessons.models import LessonAttachment

    attachment = LessonAttachment(lesson=pyweb.lessons[0], title="File")
    attachment.file.save(name, ContentFile(b"alert(1)"), save=True)
    client.force_login(bob)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"alert(1)"


def test_outsiders_see_nothing_of_the_course_on_their_dashboard_or_in_search(
    client, pyweb, charlie
):
    client.force_login(charlie)
    dashboard = client.get(reverse("lessons:dashboard"))
    assert dashboard.status_code == 200
    assert pyweb.course.title not in dashboard.content.decode()
    assert "not enrolled in any course yet" in dashboard.content.decode()
    search = client.get(reverse("lessons:search"), {"q": "routing"})
    assert search.status_code == 200 and search.context["results"] == []
