"""An answer or an attempt sent as the session ended comes back in its form after login.

The session ends as in real life: its row is deleted on the server (expiry, or a logout
in another tab) while the browser keeps its cookies; or the person logged out and in
again in another tab, so the form's CSRF token is stale. Either way nothing is saved,
and the lesson page gives back what was typed, once (coursesite/formpages.py).
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from coursesite import formpages
from practice.models import Attempt, ExerciseAttempt
from practice.services import MAX_CODE_LENGTH, question_answer

from .test_answers import answer_url

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "correct-horse-battery"
SITE = "http://testserver"
# Code as long as the form takes, with what would break out of a textarea if unescaped.
CODE = "print('</textarea><b>kept</b>')\n" + "# " + "x" * (MAX_CODE_LENGTH - 35) + "\n"


def _token(response) -> str:
    return TOKEN_RE.search(response.content.decode()).group(1)


def _log_in(client: Client, user, page: str = "") -> None:
    """Log in through the real login form (Django gives a new CSRF secret)."""
    login = client.get(reverse("accounts:login"))
    data = {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": _token(login)}
    response = client.post(reverse("accounts:login"), {**data, "next": page})
    assert response.status_code == 302
    if page:
        assert response["Location"] == page


def _post_after_expiry(user, page: str, action: str, data: dict) -> Client:
    """Open PAGE as USER, lose the session, post DATA to ACTION, log in again."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = _token(client.get(page))
    Session.objects.all().delete()
    response = client.post(action, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    _log_in(client, user, page)
    return client


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    return html.unescape(match.group(1))


def exercise_url(quiz) -> str:
    return reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, quiz.exercise.slug]
    )


def test_the_exercise_code_comes_back_after_the_session_ended(quiz, student):
    page = quiz.lesson.get_absolute_url()
    client = _post_after_expiry(
        student, page, exercise_url(quiz), {"exercise": quiz.exercise.slug, "code": CODE}
    )

    shown = client.get(page).content.decode()
    assert formpages.KEPT in html.unescape(shown)
    assert _textarea(shown, "code") == CODE
    assert "<b>kept</b>" not in shown  # escaped, in the textarea
    assert not ExerciseAttempt.objects.exists()
    # Once: the next visit shows the starter code again.
    again = client.get(page).content.decode()
    assert formpages.KEPT not in html.unescape(again)
    assert _textarea(again, "code") == quiz.exercise.starter


def _typed_answer_given_back(quiz, student, typed: str) -> str:
    """The lesson page, unescaped, after STUDENT typed TYPED in "run-flask" and sent it
    as their session ended (the page says it gives it back)."""
    page = quiz.lesson.get_absolute_url()
    client = _post_after_expiry(
        student,
        page,
        answer_url(quiz, "run-flask"),
        {"question": "run-flask", "number": "4", "answer": typed},
    )
    shown = html.unescape(client.get(page).content.decode())
    assert formpages.KEPT in shown
    return shown


def test_a_typed_answer_and_picked_choices_come_back(quiz, student):
    page = quiz.lesson.get_absolute_url()
    typed = "python -m flask run --debug  "
    shown = _typed_answer_given_back(quiz, student, typed)
    assert f'name="answer" id="answer-{quiz.q["run-flask"].pk}" value="{typed}"' in shown
    assert not Attempt.objects.exists()

    safe = quiz.q["safe-methods"]
    picked = [c for c in safe.choices.all() if c.text in ("HEAD", "POST")]
    client = _post_after_expiry(
        student,
        page,
        answer_url(quiz, "safe-methods"),
        {"question": "safe-methods", "number": "2", "choice": [str(c.pk) for c in picked]},
    )
    shown = client.get(page).content.decode()
    checked = set(re.findall(r'value="(\d+)" id="choice-\d+" checked', shown))
    assert checked == {str(c.pk) for c in picked}
    assert not Attempt.objects.exists()


def test_what_was_typed_in_an_answered_question_comes_back_after_a_login(quiz, student):
    """Probe 60: the form given back after a login showed the question's last answer,
    not what the student had typed, once answered questions were built to be shared
    (practice/fragments.py)."""
    question_answer(user=student, question=quiz.q["run-flask"], text="python app.py")
    typed = "flask --app x run"
    shown = _typed_answer_given_back(quiz, student, typed)
    assert f'value="{typed}"' in shown and 'value="python app.py"' not in shown


def test_a_stale_token_from_another_tab_gives_the_code_back(quiz, student):
    client = Client(enforce_csrf_checks=True)
    _log_in(client, student)
    page = quiz.lesson.get_absolute_url()
    shown = client.get(page).content.decode()
    stale = TOKEN_RE.search(shown).group(1)
    owner = re.search(r'name="form_owner" value="([^"]+)"', shown).group(1)  # the page's
    client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": stale})
    _log_in(client, student)

    response = client.post(
        exercise_url(quiz),
        {
            "exercise": quiz.exercise.slug,
            "code": CODE,
            "csrfmiddlewaretoken": stale,
            "form_owner": owner,
        },
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 302 and response["Location"] == page
    shown = client.get(page).content.decode()
    assert formpages.STALE_TAB in html.unescape(shown)
    assert _textarea(shown, "code") == CODE
    assert not ExerciseAttempt.objects.exists()


def test_the_page_scripts_post_after_expiry_is_sent_to_log_in_and_saves_nothing(quiz, student):
    """The script's fetch meets the login page (not JSON) and sends the plain form."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    page = quiz.lesson.get_absolute_url()
    token = _token(client.get(page))
    Session.objects.all().delete()
    response = client.post(
        answer_url(quiz, "answer"),
        {"question": "answer", "answer": "42", "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Attempt.objects.exists()


def test_a_click_on_mark_as_complete_lost_with_the_session_is_said_after_login(quiz, student):
    from lessons.models import LessonCompletion

    page = quiz.lesson.get_absolute_url()
    action = reverse(
        "lessons:complete",
        kwargs={"course_slug": quiz.course.slug, "lesson_slug": quiz.lesson.slug},
    )
    client = _post_after_expiry(student, page, action, {"completed": "1"})
    shown = html.unescape(client.get(page).content.decode())
    assert "nothing was marked. Press it again." in shown
    assert formpages.KEPT not in shown  # nothing typed to give back
    assert not LessonCompletion.objects.exists()


def test_a_form_posted_to_a_lesson_renamed_meanwhile_is_acted_on_at_its_new_address(
    quiz, student, charlie
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    token = _token(client.get(quiz.lesson.get_absolute_url()))
    old_exercise, old_answer = exercise_url(quiz), answer_url(quiz, "answer")
    quiz.lesson.slug = "flask-routes-renamed"  # renamed while the page was open
    quiz.lesson.save()

    data = {"code": CODE, "csrfmiddlewaretoken": token}
    response = client.post(old_exercise, data)
    assert response.status_code == 307  # the browser posts the same form again, there
    assert response["Location"] == exercise_url(quiz)
    response = client.post(old_exercise, data, follow=True)
    assert response.redirect_chain[-1][0].startswith(quiz.lesson.get_absolute_url())
    assert ExerciseAttempt.objects.get(user=student).code == CODE
    response = client.post(old_answer, {"answer": "42", "csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    assert Attempt.objects.get(user=student, question=quiz.q["answer"]).correct

    # Someone who may not see the lesson: still not found, and nothing saved or named.
    outsider = Client(enforce_csrf_checks=True)
    outsider.force_login(charlie)
    token = _token(outsider.get("/dashboard/"))
    response = outsider.post(old_exercise, {"code": "x", "csrfmiddlewaretoken": token})
    assert response.status_code == 404
    assert "flask-routes-renamed" not in response.content.decode()
    assert not ExerciseAttempt.objects.filter(user=charlie).exists()
