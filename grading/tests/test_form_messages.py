"""What the grading forms say when something typed is wrong: one sentence a student or a
grader reads without a manual, naming the range where there is one.

Before: "Nothing was sent: Keep why should it be regraded? to 4000 characters or fewer",
new scores out of range met with three different wordings (and no banner), a mark of
100.001 with two messages, a score of 1e9 with two overlapping ones, and a line number
of 0 or "abc" with "Give a line number and a comment." although both were given.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from coursesite.forms import PlainErrorsMixin, plain_messages
from grading import services
from grading.forms import REGRADE_TEXT_MAX_LENGTH, MarkOverrideForm, RegradeAnswerForm, RubricForm
from grading.models import Level, LineComment, RegradeRequest, RegradeStatus
from grading.selectors import rubric_criteria

from .factories import enroll
from .test_grading_views import release, review_url

pytestmark = pytest.mark.django_db


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# The site's plain messages, for every form -------------------------------------
class Survey(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(label="Why should it be regraded?", max_length=10)
    note = forms.CharField(label="Comment about Sam (optional)", max_length=5, required=False)
    share = forms.DecimalField(
        label="Share (%)", min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    seats = forms.IntegerField(label="Seats", min_value=1)


def test_a_question_for_a_label_is_not_pasted_into_a_sentence():
    messages = plain_messages(Survey.base_fields["reason"], "reason")
    assert messages["required"] == "Enter your reason."  # named by the field, not the question
    form = Survey({"reason": "w" * 11, "note": "n" * 6, "share": "5", "seats": "2"})
    assert form.errors["reason"] == ["Keep your reason to 10 characters or fewer (it has 11)."]
    assert form.errors["note"] == ["Keep comment about Sam to 5 characters or fewer (it has 6)."]


@pytest.mark.parametrize("typed", ["100.001", "1e9", "-1", "99999", "-0.5"])
def test_a_number_out_of_its_range_gets_one_message_naming_the_range(typed):
    form = Survey({"reason": "w", "share": typed, "seats": "2"})
    assert form.errors["share"] == ["Give share (%) a value between 0 and 100."]


def test_a_bound_on_one_side_only_is_said_as_before():
    assert Survey({"reason": "w", "share": "1", "seats": "0"}).errors["seats"] == [
        "Give seats a value of at least 1."
    ]
    assert Survey({"reason": "w", "share": "1.234", "seats": "2"}).errors["share"] == [
        "Use at most 2 decimal places."
    ]
    # "Required" is not %-formatted: a "%" in the label stays one.
    assert Survey({"reason": "w", "seats": "2"}).errors["share"] == ["Enter share (%)."]


# Regrade requests ---------------------------------------------------------------
def test_a_regrade_reason_too_long_is_said_as_a_sentence(client, world, alice, bob):
    release(world, alice)
    client.force_login(bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    reason = "r" * (REGRADE_TEXT_MAX_LENGTH + 1)
    response = client.post(url, {"criterion": world.style.pk, "reason": reason}, follow=True)
    assert flashed(response)[0] == (
        f"Nothing was sent. Keep your reason to {REGRADE_TEXT_MAX_LENGTH} characters or fewer "
        f"(it has {REGRADE_TEXT_MAX_LENGTH + 1})."
    )
    assert not RegradeRequest.objects.exists()


@pytest.mark.parametrize("reason", ["\u202e\u200b", "\u2800\u3164", "\u200b \u2060"])
def test_a_regrade_reason_that_shows_nothing_is_refused(client, world, alice, bob, reason):
    """Zero-width spaces and blank letters alone reached the grader as an empty reason."""
    release(world, alice)
    client.force_login(bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    response = client.post(url, {"criterion": world.style.pk, "reason": reason}, follow=True)
    assert "Explain why this criterion should be regraded." in response.content.decode()
    assert not RegradeRequest.objects.exists()
    # A reason in any script is one.
    response = client.post(url, {"criterion": world.style.pk, "reason": "النقاط خاطئة"})
    assert RegradeRequest.objects.get().reason == "النقاط خاطئة"


def test_a_refused_regrade_request_marks_its_fields_and_keeps_what_was_typed(
    client, world, alice, bob
):
    """Each error at its field (aria-invalid, described by its message), not only above."""
    release(world, alice)
    client.force_login(bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    response = client.post(url, {"criterion": "", "reason": " "})
    assert response.status_code == 400
    form = response.content.decode().split('id="regrade-form"', 1)[1].split("</form>", 1)[0]
    for field, message in (
        ("criterion", "Choose the criterion to regrade."),
        ("reason", "Say why this criterion should be regraded."),
    ):
        tag = re.search(rf'<(select|textarea) name="{field}"[^>]*>', form).group(0)
        assert 'aria-invalid="true"' in tag
        described = re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
        error_id = next(i for i in described if i.endswith("_error"))
        assert re.search(rf'id="{error_id}"[^>]*>\s*<p[^>]*><strong>{message}', form)
    # What was typed stays, with the error: the criterion picked, the reason kept.
    typed = "Our tests cover every view."
    response = client.post(url, {"criterion": world.style.pk, "reason": typed + "x" * 4000})
    form = response.content.decode().split('id="regrade-form"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{world.style.pk}" selected>' in form
    assert typed in form and 'name="reason"' in form
    assert re.search(r'<textarea name="reason"[^>]*aria-invalid="true"', form)
    assert not RegradeRequest.objects.exists()


# Regrade answers: the criterion's range, said once, with a banner ------------------
@pytest.fixture
def regrade(world, alice, bob):
    release(world, alice)
    return services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )


@pytest.mark.parametrize("typed", ["1e9", "99999", "-1", "6", "5.001e3"])
def test_a_new_score_out_of_range_names_the_criterion_s_range(client, world, grace, regrade, typed):
    client.force_login(grace)
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    response = client.post(url, {"decision": "accept", "new_points": typed, "response": "Fair."})
    assert response.status_code == 200
    expected = "To accept, give a new score between 0 and 5."
    assert response.context["form"].errors["new_points"] == [expected]
    assert flashed(response) == [f"Nothing was sent. {expected}"]  # the banner above the form
    assert "Fair." in response.content.decode()  # what was valid stays
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.OPEN


def test_accepting_with_the_score_already_given_is_refused_as_a_decline(
    client, world, grace, regrade
):
    """Probe 37: the student read "Accepted · new score 4" for the score they asked about."""
    assert world.review.scores.get(criterion=world.style).points == 4
    client.force_login(grace)
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    for typed in ("4", "4.00"):
        response = client.post(url, {"decision": "accept", "new_points": typed, "response": "Ok."})
        assert response.status_code == 200
        assert response.context["form"].errors["new_points"] == [
            "4 is the score already given: to keep it, decline the request and say why; "
            "to accept, give the new score."
        ]
        regrade.refresh_from_db()
        assert regrade.status == RegradeStatus.OPEN
    client.post(url, {"decision": "accept", "new_points": "4.5", "response": "Fair."})
    regrade.refresh_from_db()
    assert (regrade.status, regrade.new_points) == (RegradeStatus.ACCEPTED, Decimal("4.5"))


def test_the_form_and_the_service_say_the_same_range(world, regrade):
    form = RegradeAnswerForm(
        {"decision": "accept", "new_points": "5.5"}, max_points=world.style.max_points
    )
    assert form.errors["new_points"] == ["To accept, give a new score between 0 and 5."]


def test_another_grader_of_the_course_cannot_answer(client, world, regrade):
    other = enroll(UserFactory(username="otto"), world.course, Role.GRADER)
    client.force_login(other)
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    assert client.post(url, {"decision": "accept", "new_points": "1e9"}).status_code == 404


# Mark overrides and the review form -----------------------------------------------
@pytest.mark.parametrize("typed", ["100.001", "101", "-1", "1e9"])
def test_a_mark_out_of_range_gets_one_message(world, bob, typed):
    form = MarkOverrideForm(
        {"student": bob.pk, "mark": typed, "reason": "Exam board"}, assignment=world.assignment
    )
    assert form.error_messages_text() == ["Give a mark between 0 and 100 (%)."]


def test_an_override_refused_says_it_once_on_the_page(client, world, alice, bob):
    client.force_login(alice)
    url = reverse("grading:override_mark", kwargs={"pk": world.assignment.pk})
    response = client.post(
        url, {"student": bob.pk, "mark": "100.001", "reason": "Exam board"}, follow=True
    )
    assert flashed(response)[0] == "Give a mark between 0 and 100 (%)."
    assert "digits" not in " ".join(flashed(response))


@pytest.mark.parametrize("typed", ["1e9", "11", "-1", "99999"])
def test_a_score_out_of_range_gets_one_message(client, world, grace, typed):
    form = RubricForm(
        {f"score_{world.correctness.pk}": typed},
        criteria=rubric_criteria(world.assignment.pk),
    )
    assert form.errors[f"score_{world.correctness.pk}"] == ["Give 0 to 10 points for Correctness."]
    client.force_login(grace)
    sent = {f"score_{world.correctness.pk}": typed, "overall_feedback": ""}
    html = client.post(review_url(world), sent).content
    assert html.decode().count("Give 0 to 10 points") == 1


@pytest.mark.parametrize("typed", ["5.123456789", "1e-400", "0.001", "9.999"])
def test_a_score_in_range_with_too_many_decimals_is_told_so(client, world, grace, typed):
    """Probe 26: 10.123456789 points, in range, was told "Give 0 to 40 points" (Django
    counts all the digits before the decimals)."""
    form = RubricForm(
        {f"score_{world.correctness.pk}": typed},
        criteria=rubric_criteria(world.assignment.pk),
    )
    assert form.errors[f"score_{world.correctness.pk}"] == [
        "Give points with at most 2 decimals, such as 7.25."
    ]
    form = MarkOverrideForm(
        {"student": world.dave.pk, "mark": typed, "reason": "Exam board"},
        assignment=world.assignment,
    )
    assert form.error_messages_text() == ["Give the mark with at most 2 decimals, such as 87.25."]


def test_a_refused_review_is_a_400_and_a_level_of_no_criterion_is_not_dropped(client, world, grace):
    """Probe 26: a level the page does not offer was dropped and the page said "Draft
    saved. Nothing is lost."; the review form's refusals came back 200."""
    client.force_login(grace)
    score = f"score_{world.correctness.pk}"
    level = f"level_{world.correctness.pk}"
    style_level = Level.objects.create(criterion=world.style, label="Tidy", points=5)
    for sent in ("999999", "abc", str(style_level.pk)):  # the last: another criterion's
        response = client.post(review_url(world), {score: "", level: sent, "overall_feedback": "x"})
        assert response.status_code == 400, sent
        page = response.content.decode()
        assert "Choose one of the levels shown for Correctness." in page
        assert ">x</textarea>" in page  # what was typed stays
    world.review.refresh_from_db()
    assert world.review.overall_feedback == "" and not world.review.scores.exists()
    # The criterion's own level scores it, as without the page's script.
    own = world.correctness.levels.order_by("-points").first()
    response = client.post(
        review_url(world), {score: "", level: str(own.pk), "overall_feedback": ""}
    )
    assert response.status_code == 302
    assert world.review.scores.get(criterion=world.correctness).points == own.points


# Line comments --------------------------------------------------------------------
@pytest.mark.parametrize("line", ["0", "abc", "", "-3", "99999999999"])
def test_a_line_number_that_is_no_line_says_which_lines_there_are(client, world, grace, line):
    """app.py has five lines (factories.CODE)."""
    client.force_login(grace)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(url, {"path": "app.py", "line": line, "text": "Nice name."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a line number from 1 to 5 of this file." in html
    assert "Give a line number and a comment." not in html
    assert ">Nice name.</textarea>" in html  # the comment as typed
    assert not LineComment.objects.exists()


@pytest.mark.parametrize("path", ["app\x00.py", "a" * 1001, ""])
def test_a_line_comment_on_no_file_says_so(client, world, grace, path):
    """Probe 26: a path with a NUL or over 1,000 characters was told "Give a line
    number and a comment." although both were given."""
    client.force_login(grace)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(url, {"path": path, "line": "2", "text": "Nice name."})
    html = response.content.decode()
    assert response.status_code in (400, 404)
    assert "This comment names no file of the version: open a file in the tree" in html
    assert "Give a line number and a comment." not in html
    assert not LineComment.objects.exists()


def test_a_line_comment_without_text_asks_for_it(client, world, grace):
    client.force_login(grace)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    html = client.post(url, {"path": "app.py", "line": "2", "text": " "}).content.decode()
    assert "Write a comment before adding it." in html
    html = client.post(url, {"path": "app.py", "line": "x", "text": ""}).content.decode()
    assert "Give a line number from 1 to 5 of this file, and a comment." in html


def test_a_review_holds_at_most_a_thousand_line_comments(client, world, grace):
    """Nothing bounded a review's line comments (probe 63): 5,000 characters each, as
    many as a script sent, all on the student's feedback page."""
    from grading.services import LINE_COMMENTS_PER_REVIEW

    LineComment.objects.bulk_create(
        LineComment(review=world.review, author=grace, path="app.py", line=1, text=f"{n}")
        for n in range(LINE_COMMENTS_PER_REVIEW)
    )
    client.force_login(grace)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(url, {"path": "app.py", "line": "2", "text": "One more."})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This review has 1,000 line comments, the most one review holds" in html
    assert ">One more.</textarea>" in html  # the comment as typed
    assert LineComment.objects.count() == LINE_COMMENTS_PER_REVIEW


def comment_fields(html: str) -> dict[str, str]:
    """The opening tags of the line comment form's Line and Comment fields."""
    form = html.split('id="line-comment-form"', 1)[1].split("</form>", 1)[0]
    return {
        "line": re.search(r'<input [^>]*id="id_line"[^>]*>', form).group(0),
        "text": re.search(r'<textarea [^>]*id="id_text"[^>]*>', form).group(0),
    }


def described_by(tag: str) -> list[str]:
    return re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()


@pytest.mark.parametrize(
    ("line", "text", "invalid", "message"),
    [
        ("999", "Nice name.", {"line"}, "“app.py” has 5 lines: there is no line 999."),
        ("0", "Nice name.", {"line"}, "Give a line number from 1 to 5 of this file."),
        ("2", " ", {"text"}, "Write a comment before adding it."),
        ("", "", {"line", "text"}, "Give a line number from 1 to 5 of this file, and a comment."),
    ],
)
def test_a_refused_line_comment_marks_the_fields_its_error_is_about(
    client, world, grace, line, text, invalid, message
):
    client.force_login(grace)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    html = client.post(url, {"path": "app.py", "line": line, "text": text}).content.decode()
    assert re.search(r'id="comment-error">' + re.escape(message), html)
    for name, tag in comment_fields(html).items():
        assert ('aria-invalid="true"' in tag) == (name in invalid), tag
        assert "comment-error" in described_by(tag)  # the one message, above both
    # A page not refused marks nothing, and points at no error.
    for tag in comment_fields(
        client.get(review_url(world, path="app.py")).content.decode()
    ).values():
        assert "aria-invalid" not in tag and "comment-error" not in described_by(tag)


def test_a_line_comment_is_still_refused_to_other_graders(client, world):
    other = enroll(UserFactory(username="otto"), world.course, Role.GRADER)
    client.force_login(other)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(url, {"path": "app.py", "line": "0", "text": "Intruder"})
    assert response.status_code == 404
    assert not LineComment.objects.exists()


def test_the_regrade_page_shows_the_graders_comment_and_scores_as_the_feedback_does(
    client, world, grace, alice, bob
):
    from grading.models import CriterionScore

    release(world, alice)
    CriterionScore.objects.filter(review=world.review, criterion=world.style).update(
        points=Decimal("3.50"), comment="*partial* marks <script>alert(1)</script>"
    )
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )
    client.force_login(grace)
    page = client.get(reverse("grading:regrade_answer", kwargs={"pk": regrade.pk}))
    html = page.content.decode()
    assert "<em>partial</em> marks" in html and "<script>alert" not in html
    assert "<strong>Current score:</strong> 3.5 / 5" in html
    client.force_login(bob)
    feedback = client.get(reverse("grading:feedback", args=[world.review.submission_id]))
    assert "<em>partial</em> marks" in feedback.content.decode()
