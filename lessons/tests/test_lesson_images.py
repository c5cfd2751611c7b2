"""An image in a lesson is a file attached to it, written with its name: the author is
told how, and told when an image will not show (probe 83: ``![Flow](diagram.png)`` with
diagram.png attached saved without a word and showed students a broken image)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access.tests.matrix import form_data
from lessons.models import LessonAttachment
from lessons.rendering import image_problems, link_problems, render_markdown, with_attached_files

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
    b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def save_lesson(client, lesson, body: str, files: dict[str, bytes] | None = None):
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    data["body"] = [body]
    row = int(data["attachments-INITIAL_FORMS"][0])
    for name, content in (files or {}).items():
        data.update(
            {
                f"attachments-{row}-order": [str(row + 1)],
                f"attachments-{row}-title": [f"File {name}"],
                f"attachments-{row}-file": SimpleUploadedFile(name, content),
            }
        )
        row += 1
    data["attachments-TOTAL_FORMS"] = [str(row)]
    return client.post(url, data, follow=True)


def images_of(page: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', page)


def test_an_image_written_with_an_attached_files_name_shows_to_students(client, pyweb, alice, bob):
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    form = client.get(reverse("admin:lessons_lesson_change", args=[lesson.pk])).content.decode()
    assert "attach the file below and write ![what it shows](its-name.png)" in unescape(form)
    assert "[the slides](slides.pdf)" in unescape(form)

    # The file and the text that shows it, in the same save.
    saved = save_lesson(
        client, lesson, "Look:\n\n![Request flow](diagram.png)", {"diagram.png": PNG}
    )
    attachment = LessonAttachment.objects.get(lesson=lesson)
    assert "broken image" not in unescape(saved.content.decode())
    # The back office says what to write for each file.
    form = client.get(reverse("admin:lessons_lesson_change", args=[lesson.pk])).content.decode()
    assert "![File diagram.png](diagram.png)" in unescape(form)

    client.force_login(bob)
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert images_of(page) == [f"files/{attachment.pk}/"]
    shown = client.get(lesson.get_absolute_url() + f"files/{attachment.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG


def test_an_image_no_file_answers_or_of_another_site_is_said_when_saving(client, pyweb, alice, bob):
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    body = "![Flow](diagram.png)\n\n![Logo](https://example.org/logo.png)\n\n![Icon](/static/favicon.svg)"
    said = unescape(save_lesson(client, lesson, body).content.decode())
    assert "The image “diagram.png” is no file attached to this lesson" in said
    assert "Images of other sites are shown as links, not images" in said
    assert "“/static/favicon.svg”" not in said  # the site's own

    # Attached later under that name: the same text now shows it, nothing is said.
    said = unescape(save_lesson(client, lesson, body, {"diagram.png": PNG}).content.decode())
    assert "is no file attached" not in said
    attachment = LessonAttachment.objects.get(lesson=lesson)
    client.force_login(bob)
    assert f"files/{attachment.pk}/" in images_of(
        client.get(lesson.get_absolute_url()).content.decode()
    )

    # The file taken away: the image is said again, not left pointing at nothing.
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    data["attachments-0-DELETE"] = ["on"]
    said = unescape(client.post(url, data, follow=True).content.decode())
    assert not LessonAttachment.objects.filter(lesson=lesson).exists()
    assert "The image “diagram.png” is no file attached to this lesson" in said


def test_names_are_matched_as_written_and_addresses_escaped():
    rendered = render_markdown(
        '![a](my%20diagram.png) ![b](./chart.svg) ![c](other.png) ![d](x.png "<q>") '
        "![e](CHART.SVG) [slides](slides.pdf) [away](https://example.org/slides.pdf)\n\n"
        "    ![in code](chart.svg)\n"
    ).html
    attached = {
        "my diagram.png": "files/1/",
        "chart.svg": "files/2/",
        "x.png": 'files/"3/',
        "slides.pdf": "files/4/",
    }
    pointed = with_attached_files(rendered, attached)
    assert images_of(pointed) == [
        "files/1/",
        "files/2/",
        "other.png",
        "files/&quot;3/",
        "files/2/",  # whatever the case
    ]
    assert 'href="files/4/"' in pointed and 'href="https://example.org/slides.pdf"' in pointed
    assert "![in code](chart.svg)" in pointed  # a code block is text, never rewritten
    assert image_problems(pointed, attached) == [
        "The image “other.png” is no file attached to this lesson: students would see a "
        "broken image. Attach a file of that name to the lesson, or correct the name."
    ]


def test_many_missing_images_are_one_sentence_naming_the_first_few():
    rendered = render_markdown(
        "".join(f"![x](missing-{n % 7}.png)\n" for n in range(3000))
        + "![y](data:image/png;base64,AAAA)\n"
    ).html
    problems = image_problems(rendered, {})
    assert len(problems) == 1
    assert problems[0].startswith(
        "The images “missing-0.png”, “missing-1.png”, “missing-2.png”, “missing-3.png”, "
        "“missing-4.png” and 3 more are no files attached to this lesson"
    )


def test_an_imported_lessons_images_point_at_its_files_and_a_missing_one_is_said(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from lessons.models import Lesson

    course = tmp_path / "tiny"
    (course / "01-basics" / "01-one.files").mkdir(parents=True)
    (course / "course.md").write_text("---\ntitle: Tiny\nslug: tiny\n---\n")
    (course / "01-basics" / "module.md").write_text("---\ntitle: Basics\norder: 1\n---\n")
    (course / "01-basics" / "01-one.files" / "flow.png").write_bytes(PNG)
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One\nslug: one\norder: 1\nattachments:\n"
        "  - title: Flow\n    file: 01-one.files/flow.png\n---\n"
        "![Flow](flow.png)\n\n![Gone](gone.png)\n"
    )
    out = StringIO()
    call_command("import_course", str(course), stdout=out)
    lesson = Lesson.objects.get(slug="one")
    attachment = LessonAttachment.objects.get(lesson=lesson)
    assert images_of(lesson.body_html) == [f"files/{attachment.pk}/", "gone.png"]
    assert "lesson one: The image “gone.png” is no file attached to this lesson" in out.getvalue()


def test_a_replaced_image_still_shows_and_the_old_file_leaves_the_server(
    client, pyweb, alice, bob, django_capture_on_commit_callbacks
):
    """Probe 85: the new diagram.png was stored as diagram_a1B2c3d.png beside the old
    one, and the image, matched by the stored name, broke."""
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    save_lesson(client, lesson, "![Flow](diagram.png)", {"diagram.png": PNG})
    attachment = LessonAttachment.objects.get(lesson=lesson)
    old_path = attachment.file.path

    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    data["attachments-0-file"] = SimpleUploadedFile("diagram.png", PNG + b"new")
    with django_capture_on_commit_callbacks(execute=True):
        said = unescape(client.post(url, data, follow=True).content.decode())
    assert "is no file attached" not in said
    attachment.refresh_from_db()
    assert attachment.filename != "diagram.png"  # stored beside the old one, suffixed
    client.force_login(bob)
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert images_of(page) == [f"files/{attachment.pk}/"]
    shown = client.get(lesson.get_absolute_url() + f"files/{attachment.pk}/")
    assert b"".join(shown.streaming_content) == PNG + b"new"
    import os

    assert not os.path.exists(old_path)


def test_a_copied_courses_images_point_at_the_copied_files(client, pyweb, alice):
    """Probe 85: the copy saved each lesson before its files and never again."""
    from datetime import timedelta

    from lessons.models import Lesson
    from lessons.services import course_copy

    lesson = pyweb.lessons[0]
    client.force_login(alice)
    save_lesson(
        client,
        lesson,
        "![Flow](diagram.png) and [notes](notes.txt)",
        {"diagram.png": PNG, "notes.txt": b"notes"},
    )
    course_copy(
        course=pyweb.course,
        by=alice,
        title="Next run",
        slug="next-run",
        term="2027",
        shift=timedelta(weeks=52),
    )
    copied = Lesson.objects.get(module__course__slug="next-run", slug=lesson.slug)
    files = {a.filename: a.pk for a in LessonAttachment.objects.filter(lesson=copied)}
    assert images_of(copied.body_html) == [f"files/{files['diagram.png']}/"]
    assert f'href="files/{files["notes.txt"]}/"' in copied.body_html


def test_the_api_still_saves_a_lesson_that_required_its_quiz_before_the_rule(pyweb, alice):
    """Probe 85: a lesson saved earlier with its quiz required and no question could not
    be saved through the API at all, which cannot change that setting."""
    from api.tests.conftest import token_client
    from lessons.models import Lesson

    lesson = pyweb.lessons[0]
    Lesson.objects.filter(pk=lesson.pk).update(quiz_required=True, body="No quiz yet.")
    response = token_client(alice).patch(
        f"/api/v1/lessons/{lesson.pk}/", {"title": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Lesson.objects.get(pk=lesson.pk).title == "Renamed"


def test_a_backslashed_address_is_another_sites_and_prose_is_no_image():
    """Probe 85: browsers read "/\\host/x.png" as "//host/x.png" (the CSP blocked it);
    and a lesson saying "(an image on another site)" in words got the warning."""
    rendered = render_markdown(
        "![s](/\\evil.example/x.png)\n\nWritten: (an image on another site)."
    ).html
    assert images_of(rendered) == []
    assert 'href="/\\evil.example/x.png"' in rendered
    assert len(image_problems(rendered, {})) == 1  # the image, once; not the prose
    prose = render_markdown("Written: (an image on another site).").html
    assert image_problems(prose, {}) == []


def test_an_api_client_reads_the_lessons_files_at_addresses_that_load(client, pyweb, alice, bob):
    """Probe 85 left the API's body_html with "files/3/", relative to the lesson's page:
    a client resolving it against /api/v1/lessons/3/ asked for a page that is not there."""
    from api.tests.conftest import token_client

    lesson = pyweb.lessons[0]
    client.force_login(alice)
    save_lesson(
        client,
        lesson,
        "![Flow](diagram.png) and [the notes](notes.txt); [elsewhere](https://example.org/files/1/)",
        {"diagram.png": PNG, "notes.txt": b"notes"},
    )
    files = {a.filename: a.pk for a in LessonAttachment.objects.filter(lesson=lesson)}
    body_html = token_client(bob).get(f"/api/v1/lessons/{lesson.pk}/").json()["body_html"]

    page = f"http://testserver{lesson.get_absolute_url()}"
    assert images_of(body_html) == [f"{page}files/{files['diagram.png']}/"]
    assert f'href="{page}files/{files["notes.txt"]}/"' in body_html
    assert 'href="https://example.org/files/1/"' in body_html  # another site's: as written
    client.force_login(bob)
    image = client.get(images_of(body_html)[0].removeprefix("http://testserver"))
    assert image.status_code == 200 and b"".join(image.streaming_content) == PNG
    # The site's own page keeps the short addresses it resolves itself.
    assert images_of(client.get(lesson.get_absolute_url()).content.decode()) == [
        f"files/{files['diagram.png']}/"
    ]


def test_a_link_to_a_file_not_attached_is_said_and_other_links_are_not():
    """Probe 96: "[the slides](slides.pdf)" without the file: students found no page there,
    and nothing was said where a missing image was."""
    rendered = with_attached_files(
        render_markdown(
            "[the slides](slides.pdf) [data](data/scores.csv#top) [kept](notes.txt) "
            "[next lesson](../flask-intro/) [elsewhere](https://example.org/a.pdf) "
            "[top](#top) [mail](mailto:a@example.org) [site](/static/site.css)"
        ).html,
        {"notes.txt": "files/7/"},
    )
    assert link_problems(rendered, {"notes.txt": "files/7/"}) == [
        "The links to “slides.pdf”, “data/scores.csv#top” point at no files attached to "
        "this lesson: students would find no page there. Attach files of those names to "
        "the lesson, or correct the names."
    ]
    only = render_markdown("[the slides](slides.pdf)").html
    assert link_problems(only, {})[0].startswith("The link to “slides.pdf” points at no file")
    # An attached file asked with a query, or named in another case or composition, and a
    # site written without https:// are no missing files (probe 97).
    others = render_markdown(
        "[raw](Data.csv?raw=1) [accent](e%CC%81t%C3%A9.txt) [site](www.example.com)"
    ).html
    assert link_problems(others, {"data.csv": "files/1/", "été.txt": "files/2/"}) == []
