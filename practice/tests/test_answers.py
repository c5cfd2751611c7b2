"""Students answer each kind of question, right and wrong, and hostile answers lose nothing."""

from __future__ import annotations

import html
import itertools
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory
from practice.models import Attempt, ExerciseAttempt

from .conftest import build_quiz

pytestmark = pytest.mark.django_db


def answer_url(quiz, slug: str) -> str:
    return reverse("practice:answer", args=[quiz.course.slug, quiz.lesson.slug, slug])


def choice_ids(question, *texts) -> list[str]:
    return [str(c.pk) for c in question.choices.all() if c.text in texts]


def post(client, quiz, slug, data, *, as_json=False):
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    return client.post(answer_url(quiz, slug), data, **headers)


def latest(user, question) -> Attempt:
    return Attempt.objects.filter(user=user, question=question).order_by("-pk").first()


CASES = [
    ("idempotent-methods", {"choice": "`GET`"}, True),
    ("idempotent-methods", {"choice": "POST"}, False),
    ("safe-methods", {"choice": ["GET", "HEAD"]}, True),
    ("safe-methods", {"choice": ["GET"]}, False),  # one right answer missing
    ("safe-methods", {"choice": ["GET", "HEAD", "POST"]}, False),
    ("answer", {"answer": "42"}, True),
    ("answer", {"answer": " 42,4 "}, True),  # a decimal comma, within the tolerance
    ("answer", {"answer": "41.5"}, True),  # at the edge of the tolerance
    ("answer", {"answer": "42.6"}, False),
    ("answer", {"answer": "-42"}, False),
    ("run-flask", {"answer": "  Flask   RUN "}, True),
    ("run-flask", {"answer": "python -m flask run"}, True),
    ("run-flask", {"answer": "flask start"}, False),
    # Probe 53: a full-width answer (a Japanese input method) read as a wrong one.
    ("run-flask", {"answer": "ｆｌａｓｋ　ｒｕｎ"}, True),
    # Probe 74: a phone's curly apostrophe and dash were wrong against straight ones.
    ("run-flask", {"answer": "python \u2013m flask run"}, True),
    ("answer", {"answer": "\u221242"}, False),  # the typeset minus reads as a minus
    ("answer", {"answer": "4.2\u00d710^1"}, True),  # scientific notation by hand
    ("length", {"answer": "5  \r\na\r\n\r\n"}, True),  # trailing spaces, final newlines
    ("length", {"answer": "6\na"}, False),
    ("length", {"answer": " 5\na"}, False),  # leading space matters
]


@pytest.mark.parametrize(("slug", "given", "right"), CASES)
def test_each_kind_is_marked_right_or_wrong(client, quiz, student, slug, given, right):
    question = quiz.q[slug]
    data = dict(given)
    if "choice" in data:
        texts = data["choice"] if isinstance(data["choice"], list) else [data["choice"]]
        data["choice"] = choice_ids(question, *texts)
    client.force_login(student)
    response = post(client, quiz, slug, data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#question-{slug}")
    assert latest(student, question).correct is right
    # Back on the page: the result, and for choices the feedback of the picked one.
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert ("Right!" in page) is right
    if slug == "idempotent-methods" and right:
        assert "Right: GET only reads." in page and "GET is safe and idempotent" in page
    if slug == "idempotent-methods" and not right:
        assert "POST creates a resource." in page


def test_every_attempt_is_kept_and_the_latest_is_shown(client, quiz, student):
    client.force_login(student)
    question = quiz.q["answer"]
    post(client, quiz, "answer", {"answer": "7"})
    post(client, quiz, "answer", {"answer": "42"})
    assert list(
        Attempt.objects.filter(user=student, question=question)
        .order_by("pk")
        .values_list("answer", "correct")
    ) == [("7", False), ("42", True)]
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert 'value="42"' in page and "quiz 1/5" not in page  # the bar says 1/5 · 20%
    assert "1/5 · 20%" in page


def test_the_script_gets_the_feedback_and_the_quiz_progress_as_json(client, quiz, student):
    client.force_login(student)
    question = quiz.q["idempotent-methods"]
    response = post(
        client, quiz, "idempotent-methods", {"choice": choice_ids(question, "POST")}, as_json=True
    )
    data = response.json()
    assert data["correct"] is False
    assert (
        "POST creates a resource." in data["html"]
        and 'id="question-idempotent-methods"' in data["html"]
    )
    assert data["quiz"] == {"done": 0, "total": 5, "percent": 0, "passed": False, "lost": ""}
    response = post(
        client, quiz, "idempotent-methods", {"choice": choice_ids(question, "`GET`")}, as_json=True
    )
    assert response.json()["quiz"]["done"] == 1


@pytest.mark.parametrize(
    ("slug", "data", "message"),
    [
        ("answer", {"answer": "forty-two"}, "is not a number"),
        ("answer", {"answer": "nan"}, "is not a number"),
        ("answer", {"answer": "1e999"}, "is not a number"),
        # Probe 53: a thousand in English, 42 in much of Europe; marked as one of them.
        ("answer", {"answer": "42,000"}, "“42,000” could mean 42000 or 42.000: type it"),
        ("answer", {"answer": "   "}, "Type an answer first."),
        ("run-flask", {"answer": "x" * 5001}, "longer than 5,000 characters"),
        ("run-flask", {"answer": "flask\x00run"}, "invisible control character (U+0000)"),
        ("length", {"answer": "5\x1b[2J"}, "invisible control character (U+001B)"),
        ("run-flask", {"answer": "flask\u202erun"}, "invisible text-direction character (U+202E)"),
        ("idempotent-methods", {}, "Pick an answer first."),
        ("idempotent-methods", {"choice": ["abc"]}, "not one of this question's"),
        ("idempotent-methods", {"choice": ["9" * 40]}, "not one of this question's"),
    ],
)
def test_hostile_answers_get_a_message_keep_what_was_typed_and_store_nothing(
    client, quiz, student, slug, data, message
):
    client.force_login(student)
    response = post(client, quiz, slug, data)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page
    typed = data.get("answer", "")
    if typed.strip() and not any(char in typed for char in "\x00\x1b\u202e"):
        assert typed.strip()[:40] in page  # the form comes back filled in
    response = post(client, quiz, slug, data, as_json=True)
    assert response.status_code == 400 and message in response.json()["error"]
    assert not Attempt.objects.exists()


def test_a_choice_of_another_question_lesson_or_course_is_refused(client, quiz, student):
    other_course = build_quiz()  # another course (its own module and course)
    other_lesson_same_course = build_quiz(module=quiz.lesson.module)
    client.force_login(student)
    for foreign in (
        quiz.q["safe-methods"].choices.first(),  # another question of this lesson
        other_lesson_same_course.q["idempotent-methods"].choices.first(),
        other_course.q["idempotent-methods"].choices.first(),
    ):
        response = post(client, quiz, "idempotent-methods", {"choice": [str(foreign.pk)]})
        assert response.status_code == 400
        assert "not one of this question's choices" in html.unescape(response.content.decode())
    # One of its own with one of another question: refused whole.
    own = quiz.q["safe-methods"].choices.first()
    mixed = [str(own.pk), str(quiz.q["idempotent-methods"].choices.first().pk)]
    assert post(client, quiz, "safe-methods", {"choice": mixed}).status_code == 400
    # Two choices for a single-choice question.
    both = choice_ids(quiz.q["idempotent-methods"], "`GET`", "POST")
    response = post(client, quiz, "idempotent-methods", {"choice": both})
    assert response.status_code == 400 and "Pick only one answer." in response.content.decode()
    assert not Attempt.objects.exists()


def test_outsiders_removed_students_and_drafts_get_404_graders_403(
    client, quiz, student, charlie, grace
):
    data = {"answer": "42"}
    client.force_login(charlie)  # enrolled in nothing
    assert post(client, quiz, "answer", data).status_code == 404
    EnrollmentFactory(user=grace, course=quiz.course, role=Role.GRADER)
    client.force_login(grace)  # sees the quiz (with its answer key), does not answer
    assert post(client, quiz, "answer", data).status_code == 403
    Enrollment.objects.filter(user=student).delete()  # removed from the course
    client.force_login(student)
    assert post(client, quiz, "answer", data).status_code == 404
    EnrollmentFactory(user=student, course=quiz.course, role=Role.STUDENT)
    quiz.lesson.is_published = False
    quiz.lesson.save()
    assert post(client, quiz, "answer", data).status_code == 404
    # Another course's lesson under this course's slug: no such page.
    other = build_quiz()
    url = reverse("practice:answer", args=[quiz.course.slug, other.lesson.slug, "answer"])
    assert client.post(url, data).status_code == 404
    assert not Attempt.objects.exists()


def test_staff_see_the_answer_key_and_no_form(client, quiz, grace):
    EnrollmentFactory(user=grace, course=quiz.course, role=Role.GRADER)
    client.force_login(grace)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "Answer key" in page and "flask run · python -m flask run" in page
    # The number as its author wrote it ("answer: 42"), not the float the database keeps.
    assert '<p class="mb-1">42 ± 0.5</p>' in page and "42.0" not in page
    assert (
        reverse("practice:answer", args=[quiz.course.slug, quiz.lesson.slug, "answer"]) not in page
    )
    assert "Worked solution" in page


def test_the_output_question_shows_its_code_highlighted(client, quiz, student):
    client.force_login(student)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    code = page.split('id="question-length"', 1)[1].split("</section>", 1)[0]
    assert '<div class="highlight">' in code and '<span class="nb">print</span>' in code
    assert "What does this code print?" in code
    # The blocks are forms, not code in the lesson's text.
    body = page.split('<div class="lesson-body">', 1)[1].split("</div>", 1)[0]
    assert "kind: single" not in body and "Some text before." in body


def test_an_exercise_attempt_is_kept_then_the_expected_result_and_solution_show(
    client, quiz, student
):
    client.force_login(student)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "from flask import Flask" in page  # the starter, in the textarea
    assert "Worked solution" not in page
    url = reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, "hello-route"]
    )
    response = client.post(url, {"code": "app = 1\n"})
    assert response.status_code == 302
    assert response["Location"].endswith("#exercise-hello-route-saved")
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "Worked solution" in page and "GET /hello/Ada -&gt; Hello, Ada!" in page
    assert "app = 1" in page  # the latest attempt, back in the box
    for bad, message in (
        ("", "Write your attempt"),
        ("x\x00", "U+0000"),
        ("x" * 50_001, "longer"),
        (
            "if access != 'user\u202e \u2066# admin\u2069 \u2066':",
            "text-direction character (U+202E)",
        ),
    ):
        response = client.post(url, {"code": bad})
        assert response.status_code == 400 and message in response.content.decode()
    assert list(ExerciseAttempt.objects.values_list("code", flat=True)) == ["app = 1\n"]


def test_json_is_what_the_script_reads(client, quiz, student):
    client.force_login(student)
    response = post(client, quiz, "answer", {"answer": "x"}, as_json=True)
    assert json.loads(response.content) == {
        "error": "“x” is not a number. Type digits, such as 42 or 3.5."
    }


def test_every_form_of_the_page_carries_one_token_that_a_strict_csrf_check_accepts(quiz, student):
    """The page's token is masked once per page (coursesite/jinja2.py), anew for each page,
    and each question's form sends it back accepted."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= len(quiz.q) + 1 and len(set(tokens)) == 1
    again = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', again).group(1) != tokens[0]
    question = quiz.q["idempotent-methods"]
    data = {"choice": choice_ids(question, "`GET`"), "csrfmiddlewaretoken": tokens[0]}
    assert post(client, quiz, "idempotent-methods", data).status_code == 302
    assert latest(student, question).correct is True
    forged = {**data, "csrfmiddlewaretoken": "x" * 64}
    assert post(client, quiz, "idempotent-methods", forged).status_code == 403


@pytest.mark.parametrize(
    ("accept", "json_answer"),
    [
        ("application/json", True),
        ("APPLICATION/JSON", True),  # media types ignore case
        ("application/json, text/plain, */*", True),
        ("application/jsonx", False),  # another type, merely starting alike
        ("text/html,application/xhtml+xml,*/*;q=0.8", False),  # a browser's form post
        ("application/json;q=0.1, text/html", False),  # prefers the page
    ],
)
def test_the_answer_comes_as_json_only_to_who_asks_for_it(
    client, quiz, student, accept, json_answer
):
    client.force_login(student)
    question = quiz.q["idempotent-methods"]
    response = client.post(
        answer_url(quiz, "idempotent-methods"),
        {"choice": choice_ids(question, "`GET`")},
        headers={"Accept": accept},
    )
    if json_answer:
        assert response.status_code == 200 and response.json()["correct"] is True
    else:
        assert response.status_code == 302  # back to the lesson, the feedback in a message
    assert latest(student, question).correct is True


@pytest.mark.parametrize("value", ["²", "٢", "２", "0", "-1", "9" * 30])
def test_a_choice_that_is_no_id_is_refused_in_words(client, quiz, student, value):
    client.force_login(student)
    for as_json in (False, True):
        response = post(client, quiz, "idempotent-methods", {"choice": value}, as_json=as_json)
        assert response.status_code in (302, 400)
        if as_json:
            assert "not one of this question's" in response.json()["error"]
    assert not Attempt.objects.filter(user=student).exists()


def skips_a_level(levels: list[int]) -> bool:
    return any(later - earlier > 1 for earlier, later in itertools.pairwise(levels))


def heading_levels(page: str) -> list[int]:
    """The levels of the headings of PAGE's main content, in order."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return [int(level) for level in re.findall(r"<h([1-6])\b", main)]


def test_the_error_pages_without_javascript_keep_their_headings_in_order(client, quiz, student):
    """An answer or an attempt refused without JavaScript came back on a page whose h1
    was followed by the block's h3 (probe 61): a screen reader's outline skipped a level."""
    client.force_login(student)
    refused_answer = post(client, quiz, "run-flask", {"answer": "flask\x00run"})
    url = reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, "hello-route"]
    )
    refused_attempt = client.post(url, {"code": ""})
    for response, title in (
        (refused_answer, "Your answer was not checked"),
        (refused_attempt, "Your attempt was not saved"),
    ):
        assert response.status_code == 400
        page = response.content.decode()
        assert f'<h1 class="h4">{title}</h1>' in page
        levels = heading_levels(page)
        assert levels[0] == 1
        assert not skips_a_level(levels), levels
    # On the lesson page the blocks stay under the quiz's and exercises' h2.
    lesson = client.get(quiz.lesson.get_absolute_url()).content.decode()
    levels = heading_levels(lesson)
    assert 3 in levels
    assert not skips_a_level(levels), levels


def test_an_answer_refused_without_javascript_says_error_in_the_title(client, quiz, student):
    client.force_login(student)
    page = post(client, quiz, "run-flask", {"answer": "flask\x00run"}).content.decode()
    assert re.search(r"<title>Error: Your answer · ", page)
    lesson = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "<title>Error:" not in lesson


@pytest.mark.parametrize(
    ("typed", "number"),
    [("1,000,000", 1_000_000), ("0,125", 0.125), ("1234,567", 1234.567), (" -3,5 ", -3.5)],
)
def test_commas_are_read_as_people_mean_them(typed, number):
    """Commas between thousands, or one decimal comma where no thousand is possible."""
    from practice.services import parse_number

    assert parse_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "number"),
    [("\u2212273.15", -273.15), ("3\u00d710^8", 3e8), ("3*10**8", 3e8), ("2x10^-3", 0.002)],
)
def test_a_minus_sign_and_handwritten_powers_of_ten_are_numbers(typed, number):
    """Probe 74: the minus sign the lesson's own explanation showed was "not a number"."""
    from practice.services import parse_number

    assert parse_number(typed) == pytest.approx(number)


def test_a_number_with_its_unit_is_told_to_come_alone_and_costs_no_try(client, quiz, student):
    client.force_login(student)
    page = post(client, quiz, "answer", {"answer": "42 °C"}).content.decode()
    assert "Type the number alone, without “°C”: 42" in html.unescape(page)
    assert 'value="42 °C"' in html.unescape(page)  # kept to correct
    assert not Attempt.objects.filter(user=student).exists()


def test_curly_quotes_read_as_straight_ones_in_text_answers(quiz, student):
    from practice.services import question_answer

    question = quiz.q["run-flask"]
    question.accepted_answers = ['don\'t "panic"']
    question.save()
    attempt = question_answer(user=student, question=question, text="Don\u2019t \u201cpanic\u201d")
    assert attempt.correct is True


def test_each_answer_field_is_described_by_its_question(client, quiz, student):
    """Probe 74: every field was named "Your answer" alone; a screen reader moving
    between fields heard no question."""
    client.force_login(student)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert 'id="question-run-flask-prompt"' in page
    pk = quiz.q["run-flask"].pk
    field = re.search(rf'<input[^>]*id="answer-{pk}"[^>]*>', page).group()
    assert 'aria-describedby="question-run-flask-prompt"' in field
    assert '<fieldset aria-describedby="question-safe-methods-prompt">' in page
    refused = post(client, quiz, "answer", {"answer": "forty"}).content.decode()
    assert (
        'aria-describedby="question-answer-error question-answer-prompt" aria-invalid="true"'
        in refused
    )


def test_after_a_right_answer_the_page_says_a_new_one_replaces_it(client, quiz, student):
    """Probe 74: the latest answer counts, and "Answer again" after a right answer gave
    no sign that a slip would make it wrong (with limited tries, for good)."""
    client.force_login(student)
    post(client, quiz, "run-flask", {"answer": "flask run"})
    post(client, quiz, "answer", {"answer": "41"})  # wrong: nothing to keep
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    right = page[page.index('id="question-run-flask"') : page.index('id="question-length"')]
    assert "Your answer is right: a new one replaces it, and the last one counts." in right
    assert 'aria-describedby="question-run-flask-replaces"' in right
    wrong = page[page.index('id="question-answer"') : page.index('id="question-run-flask"')]
    assert "replaces it" not in wrong


def test_the_unit_hint_repeats_the_number_as_typed():
    """Probe 76: "2,500 m" was told to type "2.500", which then read as 2.5."""
    from django.core.exceptions import ValidationError

    from practice.services import parse_number

    with pytest.raises(ValidationError, match="without “m”: 2,500'"):
        parse_number("2,500 m")
    assert parse_number("3.") == 3  # a final point is no unit
