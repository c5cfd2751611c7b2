"""What an attacker (or a slip of the keyboard) types into the grading forms, on the site
and through the API: a clear 400 or the form again with its reason, never a 500, and
nothing stored that was not asked for."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from api.tests.conftest import token_client
from grading.forms import COMMENT_MAX_LENGTH, FEEDBACK_MAX_LENGTH, REGRADE_TEXT_MAX_LENGTH
from grading.models import LineComment, RegradeRequest, ReviewStatus

from .test_grading_views import release, review_url


def text(response) -> str:
    return response.content.decode()


pytestmark = pytest.mark.django_db


# "1_0" was saved as 10 points, "٣" and "１" (Arabic-Indic, fullwidth) as 3 and 1:
# Python's Decimal reads them all.
@pytest.mark.parametrize(
    "typed", ["sNaN", "-sNaN", "NaN", "Infinity", "-inf", "1e999999", "1_0", "٣", "１", "1e"]
)
def test_a_score_that_is_no_number_shows_the_form_again(client, world, grace, typed):
    client.force_login(grace)
    c = world.correctness.pk
    response = client.post(
        review_url(world), {f"score_{c}": typed, f"comment_{c}": "kept", "overall_feedback": "x"}
    )
    assert response.status_code == 400  # nothing saved, the form again
    html = response.content.decode()
    assert "Nothing was saved" in html and "is-invalid" in html
    assert ">kept</textarea>" in html  # what was typed beside it is still there
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.TODO


def test_feedback_and_comments_longer_than_the_limits_are_refused_and_kept(client, world, grace):
    client.force_login(grace)
    c = world.correctness.pk
    long_feedback = "f" * (FEEDBACK_MAX_LENGTH + 1)
    response = client.post(
        review_url(world),
        {
            f"score_{c}": "7",
            f"comment_{c}": "c" * (COMMENT_MAX_LENGTH + 1),
            "overall_feedback": long_feedback,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f"to {FEEDBACK_MAX_LENGTH} characters or fewer" in html
    assert long_feedback in html  # kept in the form, to be shortened
    world.review.refresh_from_db()
    assert world.review.overall_feedback == ""

    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(
        url, {"path": "app.py", "line": 1, "text": "x" * (COMMENT_MAX_LENGTH + 1)}, follow=True
    )
    assert (
        f"Comment: Keep comment to {COMMENT_MAX_LENGTH} characters or fewer"
        in response.content.decode()
    )
    assert not LineComment.objects.exists()


def test_a_regrade_reason_longer_than_the_limit_is_refused(client, world, alice, bob):
    release(world, alice)
    client.force_login(bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    data = {"criterion": world.style.pk, "reason": "r" * (REGRADE_TEXT_MAX_LENGTH + 1)}
    response = client.post(url, data, follow=True)
    assert (
        f"Nothing was sent. Keep your reason to {REGRADE_TEXT_MAX_LENGTH} characters or fewer"
        in response.content.decode()
    )
    assert not RegradeRequest.objects.exists()


def test_a_refused_regrade_request_comes_back_with_its_reason(client, world, alice, bob):
    """Refused by the service (a teammate asked already) or the form: the feedback page
    shows the reason as typed, with what is wrong."""
    release(world, alice)
    client.force_login(bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    first = {"criterion": world.style.pk, "reason": "Style was fine."}
    client.post(url, first)
    typed = "We followed PEP 8 in every module, see views.py line 12 <b>and</b> models.py."
    response = client.post(url, {"criterion": world.style.pk, "reason": typed}, follow=True)
    page = response.content.decode()
    assert "is already waiting for an answer" in page and response.status_code == 400
    assert escape(typed) in page
    assert RegradeRequest.objects.count() == 1
    # Without a criterion: the same.
    response = client.post(url, {"reason": typed}, follow=True)
    assert "Nothing was sent. Choose the criterion to regrade." in response.content.decode()
    assert escape(typed) in response.content.decode()
    # Given back once: the next visit's form is empty again.
    page = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk}))
    assert escape(typed) not in page.content.decode()
    response = client.post(url, {"criterion": world.correctness.pk, "reason": " "}, follow=True)
    assert "Nothing was sent. Say why this criterion should be regraded." in text(response)
    # Style waits for its answer: only Correctness is offered; once both wait, none is.
    assert f'value="{world.style.pk}"' not in text(response)
    client.post(url, {"criterion": world.correctness.pk, "reason": "Tests pass."})
    page = text(client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk})))
    assert 'id="regrades-all-waiting"' in page and 'id="regrade-form"' not in page


DEEP_ARRAY = "[" * 20_000 + "]" * 20_000  # deeper than Python's decoder recurses
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000


@pytest.mark.parametrize(
    "body",
    ["[1, 2]", '"x"', "1e999", "null", "[[[[[[[[[[]]]]]]]]]]", DEEP_ARRAY, DEEP_OBJECT],
    ids=["list", "text", "huge", "null", "nested", "deep-array", "deep-object"],
)
def test_api_bodies_that_are_not_objects_get_a_400(world, grace, bob, body):
    for user, url in (
        (grace, f"/api/v1/reviews/{world.review.pk}/comments/"),
        (bob, f"/api/v1/assignments/{world.assignment.pk}/groups/"),
        (bob, f"/api/v1/assignments/{world.assignment.pk}/join/"),
    ):
        response = token_client(user).post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, body)
        assert response["Content-Type"] == "application/problem+json"
    assert not LineComment.objects.exists()


@pytest.mark.parametrize("value", [["a", "b"], {"x": 1}, True])
def test_api_text_fields_refuse_lists_objects_and_booleans(world, grace, value):
    api = token_client(grace)
    response = api.post(
        f"/api/v1/reviews/{world.review.pk}/comments/",
        {"path": "app.py", "line": 1, "text": value},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not LineComment.objects.exists()
    # A well-formed comment still goes through, numbers as JSON numbers.
    response = api.post(
        f"/api/v1/reviews/{world.review.pk}/comments/",
        {"path": "app.py", "line": 2, "text": "Fine."},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert LineComment.objects.get().text == "Fine."


def test_api_scores_naming_a_criterion_twice_are_refused(world, grace):
    api = token_client(grace)
    url = f"/api/v1/reviews/{world.review.pk}/"
    scores = [
        {"criterion": world.style.pk, "points": "1"},
        {"criterion": world.style.pk, "points": "2"},
    ]
    response = api.patch(url, {"scores": scores}, content_type="application/json")
    assert response.status_code == 400
    assert "scored more than once" in response.json()["errors"]["scores"][0]
    assert not world.review.scores.exists()
    response = api.patch(url, {"scores": scores[:1]}, content_type="application/json")
    assert response.status_code == 200
    assert world.review.scores.get(criterion=world.style).points == 1


@pytest.mark.parametrize("mark", ["8_0", "٨٠", "8e", "inf"])
def test_api_marks_in_other_spellings_than_plain_digits_are_refused(world, alice, bob, mark):
    """ "8_0" was stored as 80.00."""
    client = token_client(alice)
    url = f"/api/v1/assignments/{world.assignment.pk}/overrides/"
    response = client.post(
        url, {"student": bob.pk, "mark": mark, "reason": "typo"}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "mark" in str(response.json().get("errors"))
    assert client.post(
        url, {"student": bob.pk, "mark": "80.5", "reason": "ok"}, content_type="application/json"
    ).status_code in (200, 201)
