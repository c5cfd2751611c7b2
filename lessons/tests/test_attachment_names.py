"""A lesson's file keeps the name its instructor chose, up to a length the page names."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from lessons.models import ATTACHMENT_NAME_MAX_LENGTH, LessonAttachment
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_with_file(client, lesson, name: str):
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    row = int(data["attachments-INITIAL_FORMS"][0])  # a new row after the stored ones
    data.update(
        {
            "attachments-TOTAL_FORMS": [str(row + 1)],
            f"attachments-{row}-order": [str(row + 1)],
            f"attachments-{row}-title": ["Slides"],
            f"attachments-{row}-file": SimpleUploadedFile(name, b"%PDF-1.4 slides"),
        }
    )
    return client.post(url, data)


@pytest.mark.parametrize("length", [ATTACHMENT_NAME_MAX_LENGTH + 1, 255, 304])
def test_a_name_too_long_is_refused_saying_how_long_it_may_be(client, pyweb, alice, length):
    client.force_login(alice)
    lesson = pyweb.lessons[0]
    name = "s" * (length - 4) + ".pdf"
    response = post_with_file(client, lesson, name)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"a name of at most {ATTACHMENT_NAME_MAX_LENGTH} characters" in page
    told = f"{length}" if length < 255 else "255 or more"  # browsers' names arrive cut to 255
    assert f"(this one has {told})" in page
    assert "Ensure this filename" not in page  # Django's, which counted the folder too
    assert 'value="Slides"' in page  # the row's title stays typed
    # ... and the file, which no page can choose again, is said to be chosen again.
    assert "the files chosen (" in page and "must be chosen again before saving" in page
    assert not LessonAttachment.objects.filter(lesson=lesson).exists()


def test_the_longest_name_allowed_is_stored_whole_and_downloads(client, pyweb, alice, bob):
    client.force_login(alice)
    lesson = pyweb.lessons[0]
    name = "s" * (ATTACHMENT_NAME_MAX_LENGTH - 4) + ".pdf"
    assert post_with_file(client, lesson, name).status_code == 302
    attachment = LessonAttachment.objects.get(lesson=lesson)
    assert attachment.filename == name
    client.force_login(bob)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 slides"


def test_the_same_long_name_twice_in_a_lesson_is_stored_beside_the_first(client, pyweb, alice):
    client.force_login(alice)
    lesson = pyweb.lessons[0]
    name = "s" * (ATTACHMENT_NAME_MAX_LENGTH - 4) + ".pdf"
    assert post_with_file(client, lesson, name).status_code == 302
    assert post_with_file(client, lesson, name).status_code == 302
    names = [a.file.name for a in LessonAttachment.objects.filter(lesson=lesson)]
    assert len(set(names)) == 2 and all(len(n) <= 255 for n in names)


def test_an_instructor_of_another_course_adds_no_file_here(client, pyweb, other_course):
    teacher = EnrollmentFactory(course=other_course.course, role=Role.INSTRUCTOR).user
    client.force_login(teacher)
    url = reverse("admin:lessons_lesson_change", args=[pyweb.lessons[0].pk])
    assert client.get(url).status_code == 404
    data = {
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-0-title": "Slides",
        "attachments-0-file": SimpleUploadedFile("slides.pdf", b"%PDF"),
    }
    assert client.post(url, data).status_code == 404
    assert not LessonAttachment.objects.exists()
