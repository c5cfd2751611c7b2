"""A lesson written through the API gets what the back office gives it: its quiz and
exercise blocks checked, and its questions stored (or removed) with the Markdown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lessons.models import Lesson
from practice.models import Question

from .conftest import token_client

pytestmark = pytest.mark.django_db

NEW_QUESTION = (
    "Rewritten.\n\n```question\nid: api-added\nkind: number\n"
    "prompt: What is six times seven?\nanswer: 42\n```\n"
)


def test_a_broken_block_is_a_400_naming_it_and_nothing_is_saved(world):
    a, _b, _root = world
    before = a.lesson.body
    response = token_client(a.instructor).patch(
        f"/api/v1/lessons/{a.lesson.pk}/",
        {"body": "Text.\n\n```question\nid: broken\nkind: single\nchoices: 3\n```\n"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Quiz or exercise block" in response.content.decode()
    a.lesson.refresh_from_db()
    assert a.lesson.body == before
    assert Question.objects.filter(lesson=a.lesson).count() == 1


def test_the_questions_follow_the_markdown_and_students_answer_the_new_one(world, client):
    a, b, _root = world
    # The question it replaces was answered: said to go (see the next test).
    response = token_client(a.instructor).patch(
        f"/api/v1/lessons/{a.lesson.pk}/",
        {"body": NEW_QUESTION, "drop_work": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert list(Question.objects.filter(lesson=a.lesson).values_list("slug", flat=True)) == [
        "api-added"
    ]
    client.force_login(a.student)
    url = reverse("practice:answer", args=[a.course.slug, a.lesson.slug, "api-added"])
    answered = client.post(url, {"answer": "42"}, headers={"Accept": "application/json"})
    assert answered.status_code == 200
    assert answered.json()["correct"] is True
    gone = reverse("practice:answer", args=[a.course.slug, a.lesson.slug, a.question.slug])
    assert client.post(gone, {"choice": a.right_choice.pk}).status_code == 404
    # Course B's instructor cannot write course A's lesson at all.
    refused = token_client(b.instructor).patch(
        f"/api/v1/lessons/{a.lesson.pk}/", {"body": "Mine."}, content_type="application/json"
    )
    assert refused.status_code == 404


def test_a_lesson_added_through_the_api_gets_its_questions(world):
    a, _b, _root = world
    response = token_client(a.instructor).post(
        f"/api/v1/modules/{a.module.pk}/lessons/",
        {"title": "Added", "slug": "added", "body": NEW_QUESTION},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    lesson = Lesson.objects.get(slug="added", module=a.module)
    assert list(lesson.questions.values_list("slug", flat=True)) == ["api-added"]


def test_only_those_who_teach_read_the_source_with_its_answers(world):
    a, b, _root = world
    url = f"/api/v1/lessons/{a.lesson.pk}/"
    for reader in (a.student, a.grader):
        data = token_client(reader).get(url).json()
        assert "body" not in data, reader
        assert "correct: true" not in str(data) and "solution:" not in str(data)
        assert "All about Apple routes" in data["body_html"]
    taught = token_client(a.instructor).get(url).json()
    assert "correct: true" in taught["body"] and "solution:" in taught["body"]
    # Their own edits come back with the source; another course's instructor sees nothing.
    edited = token_client(a.instructor).patch(
        url, {"title": "Renamed"}, content_type="application/json"
    )
    assert "correct: true" in edited.json()["body"]
    assert token_client(b.instructor).get(url).status_code == 404


def test_a_change_that_would_delete_students_answers_is_refused_unless_confirmed(world):
    """The back office asks before a save deletes answered questions (probe 34); the
    API deleted them with a plain 200 (probe 59)."""
    from practice.models import Attempt

    a, b, _root = world
    url = f"/api/v1/lessons/{a.lesson.pk}/"
    answered = Attempt.objects.filter(question__lesson=a.lesson).count()
    assert answered > 0
    renamed = a.lesson.body.replace(f"id: {a.question.slug}", "id: renamed-question")
    assert renamed != a.lesson.body
    before = a.lesson.body
    instructor = token_client(a.instructor)
    refused = instructor.patch(url, {"body": renamed}, content_type="application/json")
    assert refused.status_code == 400
    text = refused.content.decode()
    assert f"“{a.question.slug}”, which students answered" in text
    assert "drop_work" in text
    a.lesson.refresh_from_db()
    assert a.lesson.body == before
    assert Attempt.objects.filter(question__lesson=a.lesson).count() == answered
    # Other changes still go through, and keep the answers.
    assert (
        instructor.patch(url, {"title": "Renamed"}, content_type="application/json").status_code
        == 200
    )
    assert Attempt.objects.filter(question__lesson=a.lesson).count() == answered
    # Course B's instructor cannot force it.
    forced = {"body": renamed, "drop_work": True}
    assert (
        token_client(b.instructor).patch(url, forced, content_type="application/json").status_code
        == 404
    )
    assert Attempt.objects.filter(question__lesson=a.lesson).count() == answered
    # Confirmed, the question and its answers go.
    done = instructor.patch(url, forced, content_type="application/json")
    assert done.status_code == 200, done.content
    assert "drop_work" not in done.json()
    assert not Attempt.objects.filter(question__lesson=a.lesson).exists()
    assert list(a.lesson.questions.values_list("slug", flat=True)) == ["renamed-question"]


@pytest.mark.parametrize("what", ["lessons", "modules"])
def test_deleting_a_lesson_or_module_with_students_answers_asks_for_drop_work(world, what):
    """Probe 73: a DELETE of a module took its 45 answers at once with a 204, where a
    PATCH removing one answered question is refused unless confirmed."""
    from lessons.models import Module
    from practice.models import Attempt, ExerciseAttempt

    a, b, _root = world
    model = Lesson if what == "lessons" else Module
    target = a.lesson if what == "lessons" else a.lesson.module
    url = f"/api/v1/{what}/{target.pk}/"
    answered = Attempt.objects.filter(question__lesson=a.lesson).count()
    assert answered > 0
    instructor = token_client(a.instructor)

    refused = instructor.delete(url)
    assert refused.status_code == 409
    problem = refused.json()
    assert refused["Content-Type"] == "application/problem+json"
    tries = ExerciseAttempt.objects.filter(exercise__lesson=a.lesson)
    assert (problem["answers"], problem["tries"]) == (answered, tries.count())
    assert problem["students"] == len(
        {*Attempt.objects.filter(question__lesson=a.lesson).values_list("user", flat=True)}
        | {*tries.values_list("user", flat=True)}
    )
    assert "?drop_work=true" in problem["detail"]
    assert instructor.delete(url + "?drop_work=maybe").status_code == 400
    assert instructor.delete(url + "?drop_work=False").status_code == 409
    assert model.objects.filter(pk=target.pk).exists()
    assert Attempt.objects.filter(question__lesson=a.lesson).count() == answered
    # Course B's instructor cannot, confirmed or not.
    assert token_client(b.instructor).delete(url + "?drop_work=true").status_code == 404
    assert model.objects.filter(pk=target.pk).exists()
    # Confirmed by the course's instructor: it goes, with the answers.
    assert instructor.delete(url + "?drop_work=True").status_code == 204  # as requests sends it
    assert not model.objects.filter(pk=target.pk).exists()
    assert not Attempt.objects.filter(question__lesson_id=a.lesson.pk).exists()


def test_a_lesson_nobody_answered_is_deleted_without_asking(world):
    from lessons.tests.factories import LessonFactory

    a, _b, _root = world
    empty = LessonFactory(module=a.lesson.module, slug="empty-one")
    assert token_client(a.instructor).delete(f"/api/v1/lessons/{empty.pk}/").status_code == 204
    assert not Lesson.objects.filter(pk=empty.pk).exists()
