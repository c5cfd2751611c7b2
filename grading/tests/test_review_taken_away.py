"""A review taken from its grader while their page is open: handed to another grader,
deleted, or released. The draft autosave answers JSON the page's script shows; the
form's own POST shows back what was typed, read-only, to copy. Nothing is lost."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import LineComment, Review, Rubric
from lessons.models import Course, Enrollment

from .factories import complete_review, enroll

pytestmark = pytest.mark.django_db

TYPED_FEEDBACK = "The models are clean; views need tests."
TYPED_COMMENT = "Names could be clearer <b>here</b>."


@pytest.fixture
def henry(world):
    return enroll(UserFactory(username="henry"), world.course, Role.GRADER)


def typed(world) -> dict:
    """What grace typed on the review page before pressing anything."""
    return {
        f"score_{world.correctness.pk}": "7",
        f"comment_{world.style.pk}": TYPED_COMMENT,
        "overall_feedback": TYPED_FEEDBACK,
        "save": "1",
    }


def draft_url(world) -> str:
    return reverse("grading:review_draft", kwargs={"pk": world.review.pk})


def review_url(world) -> str:
    return reverse("grading:review", kwargs={"pk": world.review.pk})


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def take_away(world, how, alice, henry) -> None:
    if how == "reassigned":
        services.grader_assign(group=world.group, grader=henry, by=alice)
    elif how == "deleted":
        services.review_delete(review=world.review, by=alice)
    else:  # grace removed from the course
        Enrollment.objects.filter(user=world.review.grader, course=world.course).delete()


@pytest.mark.parametrize("how", ["reassigned", "deleted", "removed"])
def test_the_autosave_says_the_review_is_no_longer_theirs(client, world, alice, grace, henry, how):
    client.force_login(grace)
    take_away(world, how, alice, henry)
    response = client.post(draft_url(world), typed(world), HTTP_ACCEPT="application/json")
    assert response.status_code == 404  # as before: the review is not theirs to see
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["saved"] is False and body["gone"] is True
    assert body["errors"][0].startswith("You do not grade this review (any more)")
    assert not Review.objects.filter(overall_feedback=TYPED_FEEDBACK).exists()


@pytest.mark.parametrize("how", ["reassigned", "deleted", "removed"])
def test_save_draft_shows_back_what_was_typed(client, world, alice, grace, henry, how):
    client.force_login(grace)
    take_away(world, how, alice, henry)
    response = client.post(review_url(world), typed(world))
    assert response.status_code == 404
    page = text_of(response)
    assert "You do not grade this review (any more)" in page
    assert TYPED_FEEDBACK in page and TYPED_COMMENT in page
    assert "<b>here</b>" not in response.content.decode()  # escaped, shown as typed
    # Nothing of a review grace may no longer read: not its group, nor its criteria.
    assert "Team Rocket" not in page and "Correctness" not in page
    assert not Review.objects.filter(overall_feedback=TYPED_FEEDBACK).exists()
    # Where to go next: the queue if they still grade somewhere; removed from their only
    # course, their courses (probe 37: the queue link was a bare 403).
    if how == "removed":
        assert "Back to your courses</a> (you grade in no course now)" in page
        assert client.get(reverse("grading:grader_queue")).status_code == 403
    else:
        assert "Back to the grading queue" in page
        assert client.get(reverse("grading:grader_queue")).status_code == 200


@pytest.mark.parametrize("how", ["reassigned", "removed"])
def test_the_criteria_are_named_as_the_graders_page_named_them(
    client, world, alice, grace, henry, how
):
    """Probe 111: the page giving back what was typed said "Comment on criterion 1";
    the review page sends its criteria's titles with the form, so they are named without
    reading a review grace may no longer see."""
    client.force_login(grace)
    form = client.get(review_url(world)).content.decode()
    sent = dict(re.findall(r'<input type="hidden" name="(title_\d+)" value="([^"]*)"', form))
    assert sent == {
        f"title_{world.correctness.pk}": "Correctness",
        f"title_{world.style.pk}": "Style",
    }
    take_away(world, how, alice, henry)
    response = client.post(review_url(world), {**typed(world), **sent})
    assert response.status_code == 404
    page = text_of(response)
    assert "Points for Correctness" in page and "Comment on Style" in page
    assert "criterion 1" not in page and "Team Rocket" not in page


def test_titles_sent_with_the_form_are_shown_as_text(client, world):
    """What a poster sends is shown back to them only, escaped, one line, cut short."""
    stranger = enroll(UserFactory(username="mallory"), world.course, Role.STUDENT)
    client.force_login(stranger)
    response = client.post(
        review_url(world),
        {
            "comment_7": "Mine",
            "title_7": "<script>alert(1)</script>\n" + "x" * 5000,
        },
    )
    assert response.status_code == 404
    raw = response.content.decode()
    assert "<script>alert(1)" not in raw
    assert "Comment on <script>alert(1)</script> " + "x" * 170 in text_of(response)
    assert "x" * 250 not in raw


def test_a_grader_who_still_reads_the_review_sees_it_named(client, world, alice, grace, henry):
    """Reviews open to every grader: grace may read the review handed to henry."""
    Rubric.objects.filter(pk=world.rubric.pk).update(graders_see_all=True)
    client.force_login(grace)
    services.grader_assign(group=world.group, grader=henry, by=alice)
    draft = client.post(draft_url(world), typed(world))
    assert draft.status_code == 403 and draft.json()["gone"] is True
    response = client.post(review_url(world), typed(world))
    assert response.status_code == 403
    page = text_of(response)
    assert "You do not grade this review (any more)" in page
    assert "Points for Correctness" in page and "Comment on Style" in page
    assert review_url(world) in page and TYPED_FEEDBACK in page


def test_a_save_after_the_release_shows_back_what_was_typed(client, world, alice, grace):
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(grace)
    response = client.post(review_url(world), typed(world))
    assert response.status_code == 403
    page = text_of(response)
    assert "have been released, so nothing was saved" in page and TYPED_FEEDBACK in page


def test_a_line_comment_is_shown_back_too(client, world, alice, grace, henry):
    client.force_login(grace)
    services.grader_assign(group=world.group, grader=henry, by=alice)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    response = client.post(url, {"path": "app.py", "line": "3", "text": "Use f-strings."})
    assert response.status_code == 404
    page = text_of(response)
    assert "Comment on line 3 of app.py" in page and "Use f-strings." in page
    assert not LineComment.objects.exists()


def test_another_courses_grader_learns_nothing(client, world):
    """The page shows the poster's own text only, the same for a review of another
    course as for one that does not exist."""
    other = Course.objects.create(title="Other", slug="other", is_published=True)
    heidi = enroll(UserFactory(username="heidi"), other, Role.GRADER)
    client.force_login(heidi)
    answers = [
        client.post(reverse("grading:review", kwargs={"pk": pk}), {"overall_feedback": "Mine"})
        for pk in (world.review.pk, 999_999_999)
    ]
    for response in answers:
        assert response.status_code == 404
        page = text_of(response)
        assert "Mine" in page
        for secret in ("Team Rocket", "Blog engine", "Correctness", "grace", "Python for Web"):
            assert secret not in page
    draft = client.post(draft_url(world), {"overall_feedback": "Mine"})
    assert draft.status_code == 404 and draft.json()["gone"] is True
    assert Review.objects.get(pk=world.review.pk).overall_feedback == ""


def test_a_removed_grader_at_the_queue_is_told_why_in_words(client, world, grace):
    """Probe 95: a grader removed from their course, back at a bookmarked queue, read a
    bare "Access denied"."""
    client.force_login(grace)
    assert client.get(reverse("grading:grader_queue")).status_code == 200
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    for name in ("grading:grader_queue", "grading:regrade_list"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "You grade in no course, so there is nothing to grade here." in (
            html.unescape(response.content.decode())
        )
    # Other refusals keep the general page.
    page = client.get(reverse("admin:index")).content.decode()
    assert "You grade in no course" not in page


def test_a_review_handed_over_as_its_grader_saves_says_so_not_another_tab(
    world, alice, grace, henry
):
    """Probe 98: reassigned while grace pressed "Complete review", she was told the review
    "was changed in another tab or window" and to press again, which could not work."""
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    services.review_save(
        review=world.review,
        by=grace,
        scores={world.style.pk: (Decimal(3), "")},
        overall_feedback="Half done.",
    )
    shown = services.draft_version(Review.objects.get(pk=world.review.pk))  # her page's
    services.grader_assign(group=world.group, grader=henry, by=alice)  # meanwhile
    with pytest.raises(ValidationError) as refused:
        services.review_save(
            review=Review.objects.get(pk=world.review.pk),
            by=grace,
            scores={},
            overall_feedback="All done.",
            complete=True,
            version=shown,
        )
    assert refused.value.code == services.NOT_GRADING
    assert "You do not grade this review (any more)" in refused.value.messages[0]
