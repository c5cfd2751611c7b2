"""A lesson whose quiz is required has quiz questions: required without any, nobody could
complete it (probe 83: the back office saved it without a word). Refused the same way in
the back office, the API and a course bundle; nothing is saved."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from access.tests.matrix import form_data
from api.tests.conftest import token_client
from lessons.bundle import QUIZ_TAKES_LAST_QUESTION, QUIZ_WITHOUT_QUESTIONS
from lessons.models import Lesson
from lessons.services import lesson_save

pytestmark = pytest.mark.django_db

QUESTION = "```question\nid: q1\nkind: number\nprompt: Six times seven?\nanswer: 42\n```\n"


def test_the_back_office_refuses_it_and_keeps_what_was_typed(client, pyweb, alice):
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    data.update({"body": ["Routes, without a quiz yet."], "quiz_required": ["on"]})
    page = unescape(client.post(url, data).content.decode())
    assert QUIZ_WITHOUT_QUESTIONS in page
    assert "Routes, without a quiz yet." in page  # the text stays typed
    lesson.refresh_from_db()
    assert not lesson.quiz_required and lesson.body != "Routes, without a quiz yet."

    data["body"] = [f"Routes.\n\n{QUESTION}"]
    assert client.post(url, data).status_code == 302
    lesson.refresh_from_db()
    assert lesson.quiz_required and lesson.questions.count() == 1


def test_the_api_refuses_a_text_taking_out_the_last_question_of_a_required_quiz(pyweb, alice):
    lesson = pyweb.lessons[0]
    lesson.body, lesson.quiz_required = f"Quiz.\n\n{QUESTION}", True
    lesson_save(lesson)  # with its question stored
    url = f"/api/v1/lessons/{lesson.pk}/"
    refused = token_client(alice).patch(url, {"body": "No quiz."}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["body"] == [QUIZ_TAKES_LAST_QUESTION]
    assert Lesson.objects.get(pk=lesson.pk).body.startswith("Quiz.")


def test_a_bundle_saying_it_is_refused_with_its_file_and_line(tmp_path):
    course = tmp_path / "tiny"
    (course / "01-basics").mkdir(parents=True)
    (course / "course.md").write_text("---\ntitle: Tiny\nslug: tiny\n---\n")
    (course / "01-basics" / "module.md").write_text("---\ntitle: Basics\norder: 1\n---\n")
    (course / "01-basics" / "01-one.md").write_text(
        "---\ntitle: One\nslug: one\norder: 1\nquiz_required: true\n---\nNo quiz.\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_course", str(course), verbosity=0)
    assert f"01-basics/01-one.md:5: {QUIZ_WITHOUT_QUESTIONS}" in str(refused.value)
    assert not Lesson.objects.filter(slug="one").exists()
