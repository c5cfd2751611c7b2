"""Scoring: drafts saved while the grader types, level choices, and line comments
that are Markdown and must point at a real line of a real file."""

from __future__ import annotations

import html
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from access.tests.tenants import build_tenant
from grading import services
from grading.models import GradeRelease, LineComment, Review, ReviewStatus

from .factories import CODE, SubmissionFactory, complete_review, grading_world

pytestmark = pytest.mark.django_db


def add_version(world, files: dict):
    """Hand in the next version of WORLD's group, holding FILES."""
    from django.core.files.base import ContentFile

    from projects.tests.factories import make_zip

    return SubmissionFactory(
        group=world.group,
        version=world.group.submissions.count() + 1,
        archive=ContentFile(make_zip(files), "p.zip"),
    )


def draft_url(review) -> str:
    return reverse("grading:review_draft", kwargs={"pk": review.pk})


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(world, **extra) -> dict:
    return {
        f"score_{world.correctness.pk}": "7",
        f"score_{world.style.pk}": "",
        f"comment_{world.correctness.pk}": "Handles the empty blog.",
        "overall_feedback": "Good start, **keep going**.",
        **extra,
    }


@pytest.fixture
def world(alice, bob, grace):
    return grading_world(alice=alice, bob=bob, grace=grace)


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/x-www-form-urlencodedx"]
)
def test_a_draft_in_another_encoding_is_refused_not_reported_saved(world, grace, content_type):
    """A JSON or text body was read as an empty form: the answer said "saved" (and the
    script "Draft saved") while nothing of what was sent was kept."""
    import json

    before = Review.objects.get(pk=world.review.pk)
    response = as_user(grace).post(
        draft_url(world.review), json.dumps(draft(world)), content_type=content_type
    )
    assert response.status_code == 415
    assert response.json() == {
        "saved": False,
        "errors": ["Nothing was saved: send the draft as the review form does (form fields)."],
    }
    after = Review.objects.get(pk=world.review.pk)
    assert (after.overall_feedback, after.updated_at) == (
        before.overall_feedback,
        before.updated_at,
    )


def _marks(review_pk) -> tuple:
    review = Review.objects.get(pk=review_pk)
    scores = sorted(review.scores.values_list("criterion_id", "points", "comment"))
    return review.overall_feedback, review.updated_at, scores


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("garbage", "multipart/form-data; boundary=abc"),  # a body that cannot be read
        # None of the form's fields (as an empty body, which Django's test client cannot
        # send with a type: it drops the Content-Type of an empty body).
        ("form_owner=1", "application/x-www-form-urlencoded"),
    ],
)
def test_a_review_form_without_its_fields_saves_nothing(world, grace, body, content_type):
    """Probe 112: every field may be empty, so a body that held none of them was a valid
    form: the autosave cleared every mark and answered "saved" (so did the page's form).
    The overall feedback, last of the form's fields, is always sent by a browser."""
    client = as_user(grace)
    assert client.post(draft_url(world.review), draft(world)).status_code == 200
    before = _marks(world.review.pk)
    assert before[2]  # marks to lose
    autosave = client.post(draft_url(world.review), body, content_type=content_type)
    assert autosave.status_code == 400, autosave.content
    assert autosave.json()["saved"] is False
    assert autosave.json()["errors"][0].startswith("Nothing was saved: the review form reached")
    page = client.post(
        reverse("grading:review", kwargs={"pk": world.review.pk}), body, content_type=content_type
    )
    assert page.status_code == 400
    text = html.unescape(page.content.decode())
    assert "Nothing was saved: the review form reached us without its fields" in text
    assert "Handles the empty blog." in text  # the saved marks, shown as they are
    assert _marks(world.review.pk) == before
    # A body cut before the overall feedback: the marks as saved, as the message says
    # (what arrived may be cut mid-word, and the autosave would save it: probe 114).
    typed = {f"comment_{world.style.pk}": "Typed before the cu"}
    cut = client.post(reverse("grading:review", kwargs={"pk": world.review.pk}), typed)
    assert cut.status_code == 400
    shown = html.unescape(cut.content.decode())
    assert "Typed before the cu" not in shown and "Handles the empty blog." in shown
    assert _marks(world.review.pk) == before


def test_a_criterion_s_fields_not_sent_keep_their_marks(world, grace, alice):
    """Probe 113: a criterion added while the grader's page was open came back in the
    autosave's "shown" marks, which the page keeps; its fields were then required, and
    every later save was refused, what was typed lost. A field not sent (the page has
    none for it, or a request made by hand) keeps its mark; sent empty, it is cleared."""
    from grading.models import Criterion

    client = as_user(grace)
    first = client.post(draft_url(world.review), draft(world))
    assert first.status_code == 200
    added = Criterion.objects.create(
        rubric=world.correctness.rubric, title="Added later", max_points=5, order=9
    )
    # The page's next autosave: its fields, without the new criterion's; the answer's
    # "shown" has them, and the page sends that as its shown_marks from then on.
    sent = draft(world, overall_feedback="Second", version=first.json()["version"])
    second = client.post(draft_url(world.review), sent)
    assert second.status_code == 200, second.content
    shown = second.json()["shown"]
    assert f"score_{added.pk}" in shown
    third = draft(
        world,
        overall_feedback="Third",
        version=second.json()["version"],
        shown_marks=json.dumps(shown),
    )
    assert client.post(draft_url(world.review), third).json()["saved"] is True
    page = client.post(
        reverse("grading:review", kwargs={"pk": world.review.pk}),
        {**third, "overall_feedback": "Fourth", "version": "", "save": "1"},
    )
    assert page.status_code == 302
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback == "Fourth"
    score = review.scores.get(criterion=world.correctness)
    assert (score.points, score.comment) == (Decimal("7"), "Handles the empty blog.")
    # A body with the overall feedback alone keeps every mark; an empty field clears it.
    assert client.post(draft_url(world.review), {"overall_feedback": "Fifth"}).status_code == 200
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback == "Fifth"
    assert review.scores.get(criterion=world.correctness).comment == "Handles the empty blog."
    client.post(
        draft_url(world.review),
        {"overall_feedback": "Sixth", f"comment_{world.correctness.pk}": ""},
    )
    assert review.scores.get(criterion=world.correctness).comment == ""


def test_what_was_typed_for_a_criterion_removed_meanwhile_is_given_back(world, grace):
    """Probe 114: a criterion deleted while the grader typed in it (allowed while nothing
    scored it) lost what was typed, and the page said "Draft saved. Nothing is lost."."""
    from grading.models import Criterion

    short = Criterion.objects.create(
        rubric=world.correctness.rubric, title="Short-lived", max_points=10, order=9
    )
    client = as_user(grace)
    page = client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).content.decode()
    assert f'name="title_{short.pk}" value="Short-lived"' in page
    typed = draft(
        world,
        **{
            f"score_{short.pk}": "9",
            f"comment_{short.pk}": "My long <b>feedback</b>\n\nIts second paragraph.",
            f"title_{short.pk}": "Short-lived",
        },
    )
    short_pk = short.pk
    short.delete()
    autosave = client.post(draft_url(world.review), typed)
    assert autosave.json()["saved"] is True
    note = autosave.json()["note"]
    assert note.startswith("A criterion was removed from the rubric while this page was open")
    assert "Points for Short-lived: “9”" in note
    # Its paragraphs kept (probe 116: flattened into one line).
    assert "Comment on Short-lived: “My long <b>feedback</b>\n\nIts second paragraph.”" in note
    assert "<b>" not in autosave.content.decode()  # escaped in the JSON, as typed text is
    saved = client.post(
        reverse("grading:review", kwargs={"pk": world.review.pk}),
        {**typed, "save": "1"},
        follow=True,
    )
    text = html.unescape(saved.content.decode())
    assert "Comment on Short-lived: “My long <b>feedback</b>\n\nIts second paragraph.”" in text
    assert '<span class="message-text">' in saved.content.decode()  # shown with its breaks
    assert "Nothing is lost" not in text and "Draft saved." in text
    assert "My long <b>feedback</b>" not in saved.content.decode()  # shown as text
    # A level ticked without the script (no points) is said too, not dropped (probe 116).
    ticked = client.post(
        draft_url(world.review),
        {**draft(world), f"level_{short_pk}": "12345", f"title_{short_pk}": "Short-lived"},
    )
    assert "Level ticked for Short-lived: “one of its levels, not saved”" in ticked.json()["note"]
    # A run of empty lines comes back as one (probe 121: a gap in the message).
    gaps = client.post(
        draft_url(world.review),
        {**draft(world), f"comment_{short_pk}": "One.\n \n\n\nTwo.", f"title_{short_pk}": "S"},
    )
    assert "Comment on S: “One.\n\nTwo.”" in gaps.json()["note"]
    # A save refused for another reason gives it back too (probe 116: it was lost).
    refused = client.post(
        reverse("grading:review", kwargs={"pk": world.review.pk}),
        {**typed, f"score_{world.style.pk}": "99", "save": "1"},
    )
    assert refused.status_code == 400
    assert "Comment on Short-lived: “My long <b>feedback</b>" in html.unescape(
        refused.content.decode()
    )
    bad_draft = client.post(draft_url(world.review), {**typed, f"score_{world.style.pk}": "99"})
    assert bad_draft.status_code == 400
    assert any("Comment on Short-lived" in e for e in bad_draft.json()["errors"])
    # Nothing removed: nothing said.
    again = client.post(draft_url(world.review), draft(world))
    assert "note" not in again.json()


def test_a_grader_saves_a_draft_while_typing(world, grace):
    response = as_user(grace).post(draft_url(world.review), draft(world))
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] is True
    assert answer["at"]  # shown as "Draft saved 14:02"
    review = Review.objects.get(pk=world.review.pk)
    assert review.status == ReviewStatus.DRAFT
    assert review.overall_feedback == "Good start, **keep going**."
    assert review.total == Decimal("7")
    assert answer["version"] == services.draft_version(review)
    score = review.scores.get(criterion=world.correctness)
    assert (score.points, score.comment) == (Decimal("7"), "Handles the empty blog.")
    # The page, opened again (another tab, tomorrow), shows the draft.
    page = as_user(grace).get(reverse("grading:review", kwargs={"pk": review.pk}))
    assert "Handles the empty blog." in page.content.decode()


def test_the_same_draft_again_writes_nothing(world, grace):
    client = as_user(grace)
    client.post(draft_url(world.review), draft(world))
    history = world.review.history.count()
    assert client.post(draft_url(world.review), draft(world)).json()["saved"] is True
    assert world.review.history.count() == history


def test_a_draft_from_an_old_tab_does_not_overwrite_newer_work(world, grace):
    client = as_user(grace)
    first = client.post(draft_url(world.review), draft(world)).json()["version"]
    newer = client.post(draft_url(world.review), draft(world, overall_feedback="Newer text"))
    assert newer.json()["saved"] is True
    stale = client.post(draft_url(world.review), draft(world, version=first))
    assert stale.status_code == 409
    assert "changed in another tab" in stale.json()["errors"][0]
    assert Review.objects.get(pk=world.review.pk).overall_feedback == "Newer text"


@pytest.mark.parametrize("button", ["save", "complete"])
def test_save_or_complete_from_an_old_tab_is_refused_with_what_was_typed(world, grace, button):
    client = as_user(grace)
    page_url = reverse("grading:review", kwargs={"pk": world.review.pk})
    old_tab = client.get(page_url).content.decode()
    version = old_tab.split('name="version" value="')[1].split('"')[0]
    # The other tab saves meanwhile.
    client.post(draft_url(world.review), draft(world, overall_feedback="Typed in tab 2"))
    typed = draft(world, **{f"score_{world.style.pk}": "4"}, overall_feedback="Typed in tab 1")
    response = client.post(page_url, {**typed, "version": version, button: "1"}, follow=True)
    page = response.content.decode()
    assert "Nothing was saved: this review was changed in another tab" in page
    assert "Typed in tab 1" in page  # shown back, not lost
    review = Review.objects.get(pk=world.review.pk)
    assert (review.status, review.overall_feedback) == (ReviewStatus.DRAFT, "Typed in tab 2")
    # Sent again from the page it came back on (the version now saved): kept, knowingly.
    current = page.split('name="version" value="')[1].split('"')[0]
    assert current == services.draft_version(review)
    client.post(page_url, {**typed, "version": current, button: "1"})
    assert Review.objects.get(pk=world.review.pk).overall_feedback == "Typed in tab 1"


def test_a_draft_never_changes_a_completed_review(world, grace):
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(9), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="Final words.",
        complete=True,
    )
    response = as_user(grace).post(draft_url(world.review), draft(world))
    assert response.status_code == 409
    assert "completed" in response.json()["errors"][0]
    review = Review.objects.get(pk=world.review.pk)
    assert (review.status, review.total, review.overall_feedback) == (
        ReviewStatus.COMPLETED,
        Decimal("14"),
        "Final words.",
    )


def test_a_draft_never_changes_a_released_review(world, grace, alice):
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(9), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="Final words.",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    response = as_user(grace).post(draft_url(world.review), draft(world))
    assert response.status_code == 409
    assert "released" in response.json()["errors"][0]
    assert GradeRelease.objects.filter(assignment=world.assignment).exists()
    assert Review.objects.get(pk=world.review.pk).total == Decimal("14")


def test_an_invalid_score_saves_nothing_and_says_why(world, grace):
    response = as_user(grace).post(
        draft_url(world.review), draft(world, **{f"score_{world.correctness.pk}": "12"})
    )
    assert response.status_code == 400
    assert "Points for Correctness" in response.json()["errors"][0]
    review = Review.objects.get(pk=world.review.pk)
    assert (review.status, review.overall_feedback) == (ReviewStatus.TODO, "")


def test_only_the_reviews_grader_and_its_instructors_save_drafts(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    review = a.review_o
    before = Review.objects.get(pk=review.pk).overall_feedback
    data = {"overall_feedback": "Intruder draft"}
    for user in (
        b.instructor,  # another course's instructor
        a.removed_grader,  # graded here once, removed from the course since
        a.student,
        a.classmate,
        b.grader,
    ):
        assert as_user(user).post(draft_url(review), data).status_code in (403, 404), user
    assert Review.objects.get(pk=review.pk).overall_feedback == before
    # The grader of group P was removed from the course: their own review is closed too.
    assert as_user(a.removed_grader).post(draft_url(a.review_p), data).status_code in (403, 404)
    for user in (a.grader, a.instructor):
        assert as_user(user).post(draft_url(review), data).json()["saved"] is True


def test_a_get_of_the_draft_address_goes_to_the_review(world, grace):
    response = as_user(grace).get(draft_url(world.review))
    assert response.status_code == 302
    assert response["Location"] == reverse("grading:review", kwargs={"pk": world.review.pk})


def test_a_level_picked_without_the_script_scores_its_points(world, grace):
    good = world.correctness.levels.get(label="Good")
    url = reverse("grading:review", kwargs={"pk": world.review.pk})
    response = as_user(grace).post(
        url,
        {
            f"score_{world.correctness.pk}": "",
            f"level_{world.correctness.pk}": str(good.pk),
            f"score_{world.style.pk}": "4",
            "overall_feedback": "",
            "save": "1",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get(pk=world.review.pk)
    assert review.scores.get(criterion=world.correctness).points == Decimal("7")
    assert review.total == Decimal("11")
    # The page checks the level the score holds.
    page = as_user(grace).get(url).content.decode()
    assert f'id="level_{good.pk}" value="{good.pk}"' in page
    assert page.split(f'id="level_{good.pk}"')[1].split(">")[0].endswith(" checked")
    # Without the script that radio cannot be unchecked: points emptied on purpose, with
    # the level still checked, clear the score (probe 114: the level's points came back).
    cleared = {
        f"score_{world.correctness.pk}": "",
        f"level_{world.correctness.pk}": str(good.pk),
        f"score_{world.style.pk}": "4",
        "overall_feedback": "",
        "save": "1",
    }
    assert as_user(grace).post(url, cleared).status_code == 302
    review = Review.objects.get(pk=world.review.pk)
    assert review.scores.get(criterion=world.correctness).points is None
    # Checked again with the points empty, it is a level picked: it scores.
    assert as_user(grace).post(url, cleared).status_code == 302
    assert review.scores.get(criterion=world.correctness).points == Decimal("7")


@pytest.mark.parametrize("level", ["²", "9" * 5000, "-1", "1.5", "abc"])
def test_a_level_that_is_no_id_is_refused_on_the_form_and_the_autosave(world, grace, level):
    """ "²" and 5,000 digits passed isdigit() and failed int(): a 500 on both. Then
    (probe 26) such a level was dropped and the page said "Draft saved": it is refused,
    and nothing is saved."""
    data = {
        f"score_{world.correctness.pk}": "",
        f"level_{world.correctness.pk}": level,
        f"score_{world.style.pk}": "4",
        "overall_feedback": "",
    }
    client = as_user(grace)
    page = reverse("grading:review", kwargs={"pk": world.review.pk})
    response = client.post(page, {**data, "save": "1"})
    assert response.status_code == 400
    assert "Choose one of the levels shown for Correctness." in response.content.decode()
    draft = client.post(reverse("grading:review_draft", kwargs={"pk": world.review.pk}), data)
    assert draft.status_code == 400, draft.content
    assert "Choose one of the levels shown for Correctness." in draft.content.decode()
    review = Review.objects.get(pk=world.review.pk)
    assert not review.scores.exists() and review.total == Decimal("0")


# Line comments ------------------------------------------------------------------


def comment_url(world) -> str:
    return reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})


def test_a_comment_past_the_end_of_the_file_is_refused_and_kept(world, grace):
    lines = len(CODE.splitlines())
    response = as_user(grace).post(
        comment_url(world), {"path": "app.py", "line": "900", "text": "Typed with care"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"has {lines} lines: there is no line 900" in page
    assert "Typed with care" in page  # what was typed is in the form again
    assert 'value="900"' in page
    assert not LineComment.objects.exists()


def test_a_comment_on_a_file_not_in_the_submission_is_refused(world, grace):
    response = as_user(grace).post(
        comment_url(world), {"path": "secret.py", "line": "1", "text": "Typed with care"}
    )
    assert "“secret.py” is not in the submitted archive." in response.content.decode()
    assert not LineComment.objects.exists()


def test_a_comment_on_the_last_line_is_added(world, grace):
    lines = len(CODE.splitlines())
    response = as_user(grace).post(
        comment_url(world), {"path": "app.py", "line": str(lines), "text": "Last line"}
    )
    assert response.status_code == 302
    assert LineComment.objects.get().line == lines


def test_markdown_comments_are_sanitised(world, grace, bob):
    attack = (
        "Use **f-strings** `here`.\n\n<script>alert('x')</script>"
        '<img src="x" onerror="alert(1)"> [link](javascript:alert(2))'
    )
    comment = services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=1, text=attack
    )
    assert "<strong>f-strings</strong>" in comment.text_html
    assert "<code>here</code>" in comment.text_html
    for bad in ("<script", "alert('x')", "onerror", "javascript:"):
        assert bad not in comment.text_html
    page = as_user(grace).get(
        reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py"
    )
    text = page.content.decode()
    assert "<strong>f-strings</strong>" in text
    # The text as typed is only in the edit form, escaped: no attribute, no element.
    assert 'onerror="' not in text and "<script>alert" not in text


def test_headings_in_feedback_are_bold_lines_not_headings_of_the_page(world, grace):
    """Probe 37: "# Note" in a line comment was an <h1> amid the review page (its outline
    broken, axe's heading-order), and two such comments shared one id."""
    for line in (1, 2):
        services.line_comment_add(
            review=world.review, by=grace, path="app.py", line=line, text="# Note\n\nRename it."
        )
    scores = {world.style.pk: (Decimal("3"), "## Style\n\nTidy.")}
    services.review_draft_save(
        review=world.review, by=grace, scores=scores, overall_feedback="# Overall\n\nGood."
    )
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback_html == "<p><strong>Overall</strong></p>\n<p>Good.</p>"
    assert LineComment.objects.first().text_html.startswith("<p><strong>Note</strong></p>")
    page = as_user(grace).get(
        reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py"
    )
    text = page.content.decode()
    assert "<h1" not in text.split("</h1>", 1)[1]  # the page's own title only
    assert 'id="md-note"' not in text


def test_a_grader_who_may_only_read_a_review_gets_json_the_page_can_show(db):
    """Reviews open to every grader (graders_see_all): another grader reads them and
    the draft address answers the page's script in JSON, refusing."""
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from grading.models import Rubric
    from lessons.tests.factories import EnrollmentFactory

    a = build_tenant("Apple")
    Rubric.objects.filter(assignment=a.grading).update(graders_see_all=True)
    colleague = UserFactory()
    EnrollmentFactory(user=colleague, course=a.course, role=Role.GRADER)
    before = Review.objects.get(pk=a.review_o.pk).overall_feedback
    response = as_user(colleague).post(draft_url(a.review_o), {"overall_feedback": "Mine now"})
    assert response.status_code == 403
    assert response.json() == {
        "saved": False,
        "errors": [
            "You do not grade this review (any more): it is another grader's; you may read "
            "it, not change it. Nothing was saved."
        ],
        "gone": True,  # the script stops saving drafts
    }
    assert Review.objects.get(pk=a.review_o.pk).overall_feedback == before


def test_a_grader_who_may_only_read_a_review_is_told_so_when_saving_or_commenting(db):
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from grading.models import Rubric
    from lessons.tests.factories import EnrollmentFactory

    a = build_tenant("Apple")
    Rubric.objects.filter(assignment=a.grading).update(graders_see_all=True)
    colleague = UserFactory()
    EnrollmentFactory(user=colleague, course=a.course, role=Role.GRADER)
    client = as_user(colleague)
    review_url = reverse("grading:review", kwargs={"pk": a.review_o.pk})
    comments = list(LineComment.objects.filter(review=a.review_o))
    saved = client.post(review_url, {"overall_feedback": "Mine now", "save": "1"})
    commented = client.post(
        reverse("grading:line_comment_create", kwargs={"pk": a.review_o.pk}),
        {"path": "app.py", "line": "1", "text": "Mine too"},
    )
    for response, typed in ((saved, "Mine now"), (commented, "Mine too")):
        assert response.status_code == 403
        page = html.unescape(response.content.decode())
        assert "it is another grader's; you may read it, not change it" in page
        assert "handed to another grader or deleted" not in page
        assert typed in page  # shown back to copy
    assert list(LineComment.objects.filter(review=a.review_o)) == comments
    # Their own course's grader, whose review it is, is not told that.
    own = as_user(a.grader).post(review_url, {"overall_feedback": "Fine", "save": "1"})
    assert own.status_code == 302


def test_the_file_tree_marks_the_files_with_line_comments_for_grader_and_students(
    world, grace, bob, alice
):
    for line in (1, 2):
        services.line_comment_add(
            review=world.review, by=grace, path="app.py", line=line, text=f"Note {line}"
        )
    badge = '<span class="badge text-bg-warning">2<span class="visually-hidden"> line comments'
    page = as_user(grace).get(reverse("grading:review", kwargs={"pk": world.review.pk}))
    tree = page.content.decode().split('id="file-tree"')[1].split("</ul>")[0]
    assert badge in tree.split("README.md")[0].split("app.py</a>")[1]  # beside app.py...
    assert tree.count("badge") == 1  # ...and no other file
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    feedback = as_user(bob).get(reverse("grading:feedback", args=[world.review.submission_id]))
    tree = feedback.content.decode().split('id="file-tree"')[1].split("</ul>")[0]
    assert badge in tree and tree.count("badge") == 1


def test_files_of_the_same_name_are_told_apart_and_the_list_can_be_skipped(world, grace):
    """Probe 37: two links read "views.py, link"; 1,907 files were 1,907 tab stops."""
    add_version(world, {"proj/app1/views.py": "a = 1\n", "proj/app2/views.py": "b = 2\n"})
    Review.objects.filter(pk=world.review.pk).update(submission=world.group.submissions.last())
    page = as_user(grace).get(reverse("grading:review", kwargs={"pk": world.review.pk}))
    html_text = page.content.decode()
    tree = html_text.split('id="file-tree"')[1].split("</ul>")[0]
    assert 'views.py<span class="visually-hidden"> in proj/app1/</span></a>' in tree
    assert 'views.py<span class="visually-hidden"> in proj/app2/</span></a>' in tree
    skip = html_text.index('href="#file-viewer">Skip the list of files</a>')
    assert skip < html_text.index('id="file-tree"') < html_text.index('id="file-viewer"')


def test_an_empty_file_offers_no_line_to_comment_on(world, grace):
    add_version(world, {"app.py": CODE, "empty.py": ""})
    page = as_user(grace).get(
        reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=empty.py"
    )
    html = page.content.decode()
    assert "This file is empty: comment on it in the overall feedback." in html
    assert 'id="line-comment-form"' not in html
    response = as_user(grace).post(
        comment_url(world),
        {"path": "empty.py", "line": "1", "text": "Why empty?", "shown_version": "2"},
    )
    assert "“empty.py” is empty: comment on it in the overall feedback instead." in (
        response.content.decode()
    )
    assert not LineComment.objects.exists()


def edit_url(comment) -> str:
    return reverse("grading:line_comment_edit", kwargs={"pk": comment.pk})


def test_an_edit_of_a_comment_removed_meanwhile_comes_back_to_add_again(world, grace, alice):
    """Probe 37: "Page not found", the edited text lost."""
    from access.tests.matrix import form_data

    comment = services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=2, text="Typo: recieve"
    )
    client = as_user(grace)
    page = client.get(reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py")
    edit, url = form_data(page.content.decode(), f"edit-form-{comment.pk}"), edit_url(comment)
    services.line_comment_delete(comment=comment, by=alice)  # the instructor, meanwhile
    response = client.post(url, {**edit, "text": ["Typo: *receive*"]})
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Your change was not saved: that comment was removed meanwhile." in text
    form = form_data(response.content.decode(), "line-comment-form")
    assert (form["path"], form["line"], form["text"]) == (["app.py"], ["2"], ["Typo: *receive*"])
    # Another course's grader (or anyone else) posting the same learns nothing.
    outsider = build_tenant("other").grader
    assert as_user(outsider).post(url, edit).status_code == 404


def test_a_grader_fixes_a_line_comment_in_place(world, grace, alice, bob):
    comment = services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=2, text="Typo: recieve"
    )
    client = as_user(grace)
    response = client.post(edit_url(comment), {"text": "Typo: *receive*"}, follow=True)
    page = response.content.decode()
    assert "Comment on line 2 updated." in page
    assert "<em>receive</em>" in page and "recieve" not in page
    comment.refresh_from_db()
    assert (comment.text, comment.line, comment.author) == ("Typo: *receive*", 2, grace)
    assert comment.history.first().history_user == grace  # the change is on record
    # Empty, or too long: refused, the page back with what was typed, nothing changed.
    for typed, why in (("   ", "Write the comment, or remove it instead."),
                       ("x" * 5_001, "5000 characters")):  # fmt: skip
        response = client.post(edit_url(comment), {"text": typed})
        assert response.status_code == 400
        html = response.content.decode()
        assert "was not changed" in html and why in html
        if typed.strip():
            assert typed in html  # kept in the open form
    comment.refresh_from_db()
    assert comment.text == "Typo: *receive*"
    # An instructor's comment is named for staff; the students read it as the review's.
    services.line_comment_add(
        review=world.review, by=alice, path="app.py", line=3, text="From the teacher."
    )
    staff = as_user(grace).get(
        reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py"
    )
    assert staff.content.decode().count('class="small text-body-secondary comment-author"') == 1
    assert f"by {alice}" in staff.content.decode()
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    feedback = as_user(bob).get(
        reverse("grading:feedback", args=[world.review.submission_id]) + "?path=app.py"
    )
    html = feedback.content.decode()
    assert "From the teacher." in html and "comment-author" not in html
    assert 'action="' + edit_url(comment) not in html
    # Released: no more edits, even by its author.
    response = client.post(edit_url(comment), {"text": "Changed after release"})
    assert "have been released" in response.content.decode()
    comment.refresh_from_db()
    assert comment.text == "Typo: *receive*"


def test_only_the_reviews_grader_or_its_instructors_edit_its_comments(world, grace):
    comment = services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=2, text="Mine"
    )
    other_course = build_tenant("Other")
    outsider = as_user(other_course.instructor).post(edit_url(comment), {"text": "Theirs"})
    assert outsider.status_code == 404
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from lessons.tests.factories import EnrollmentFactory

    colleague = UserFactory()
    EnrollmentFactory(user=colleague, course=world.course, role=Role.GRADER)
    assert as_user(colleague).post(edit_url(comment), {"text": "Theirs"}).status_code == 404
    comment.refresh_from_db()
    assert comment.text == "Mine"


def _page_form(client, world) -> dict[str, str]:
    """The review form as the page sends it, each field's one value."""
    from access.tests.matrix import form_data

    page = client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).content.decode()
    data = {name: values[0] for name, values in form_data(page, "rubric-form").items()}
    assert "shown_marks" in data
    return data


@pytest.mark.parametrize("autosave", [True, False])
def test_two_people_on_one_review_keep_each_others_changes(world, grace, alice, autosave):
    """Probe 37: a grader's comment saved, then the instructor's older page saved twice
    ("Save draft again", as told): the grader's comment was blanked, and the page said
    "Nothing is lost". Each field changed on one page only now keeps that page's change."""
    graders, instructors = as_user(grace), as_user(alice)
    grader_form, instructor_form = _page_form(graders, world), _page_form(instructors, world)
    correctness, style = world.correctness.pk, world.style.pk
    grader_form[f"comment_{correctness}"] = "Handles the empty blog."
    grader_form[f"score_{correctness}"] = "7"
    assert graders.post(draft_url(world.review), grader_form).json()["saved"] is True

    instructor_form[f"comment_{style}"] = "Names could be clearer."
    page_url = reverse("grading:review", kwargs={"pk": world.review.pk})
    if autosave:
        answer = instructors.post(draft_url(world.review), instructor_form)
        assert answer.status_code == 200
        answer = answer.json()
        assert answer["saved"] is True
        # The page is told the other change, to show it (its next draft keeps it).
        assert answer["merged"] == {
            f"score_{correctness}": "7.00",
            f"comment_{correctness}": "Handles the empty blog.",
        }
        assert "Grace Grader changed this review at" in answer["note"]
        assert answer["shown"][f"comment_{style}"] == "Names could be clearer."
    else:
        response = instructors.post(page_url, {**instructor_form, "save": "1"}, follow=True)
        page = html.unescape(response.content.decode())
        assert "Draft saved. Meanwhile Grace Grader changed this review at" in page
        assert "(Points for Correctness and Comment on Correctness): that change is kept" in page
    scores = {s.criterion_id: (s.points, s.comment) for s in world.review.scores.all()}
    assert scores == {
        correctness: (Decimal("7"), "Handles the empty blog."),
        style: (None, "Names could be clearer."),
    }


def test_a_change_to_a_criterion_added_since_the_page_loaded_is_not_said_shown(world, grace, alice):
    """Probe 114: the note said "kept with yours, and shown here" for a criterion the
    grader's page, opened before it was added, has no field for. A field not sent is now
    kept as saved (RubricForm's keep_unsent), so nothing is taken from the other change."""
    from grading.models import Criterion

    graders = as_user(grace)
    grader_form = _page_form(graders, world)
    added = Criterion.objects.create(
        rubric=world.correctness.rubric, title="Added later", max_points=10, order=9
    )
    # The page's first autosave after it: its answer names the new criterion's fields,
    # which the page keeps as "shown" (static/js/grading.js), without a field for them.
    grader_form[f"comment_{world.correctness.pk}"] = "Mine."
    first = graders.post(draft_url(world.review), grader_form).json()
    assert f"score_{added.pk}" in first["shown"]
    grader_form.update(version=first["version"], shown_marks=json.dumps(first["shown"]))
    instructor_form = _page_form(as_user(alice), world)
    instructor_form[f"score_{added.pk}"] = "7"
    assert as_user(alice).post(draft_url(world.review), instructor_form).json()["saved"]
    grader_form[f"comment_{world.correctness.pk}"] = "Mine, longer."
    answer = graders.post(draft_url(world.review), grader_form).json()
    assert answer["saved"] is True
    # Its field not on this page, its value is kept as saved, and not said "shown here".
    assert "shown here" not in answer.get("note", "")
    assert world.review.scores.get(criterion=added).points == Decimal(7)


def test_a_review_without_criteria_says_why_it_is_not_completed(world, grace):
    """Probe 114: "Complete review" said the page's own warning a second time."""
    from grading.models import Criterion

    Criterion.objects.filter(rubric__assignment=world.assignment).delete()
    page_url = reverse("grading:review", kwargs={"pk": world.review.pk})
    answer = as_user(grace).post(page_url, {"overall_feedback": "Good.", "complete": "1"})
    text = html.unescape(answer.content.decode())
    assert "This assignment has no rubric criteria yet." in text  # the page's warning
    assert "Not completed: a review is completed against the rubric's criteria." in text
    assert text.count("no rubric criteria yet") == 1


def test_the_same_field_changed_on_two_pages_saves_nothing_until_asked(world, grace, alice):
    graders, instructors = as_user(grace), as_user(alice)
    grader_form, instructor_form = _page_form(graders, world), _page_form(instructors, world)
    correctness, style = world.correctness.pk, world.style.pk
    grader_form.update({f"comment_{correctness}": "Mine.", "overall_feedback": "Grader's."})
    graders.post(draft_url(world.review), grader_form)
    instructor_form.update({f"comment_{correctness}": "Theirs.", f"comment_{style}": "Tidy."})

    autosave = instructors.post(draft_url(world.review), instructor_form)
    assert autosave.status_code == 409
    assert autosave.json()["errors"] == [
        f"Grace Grader changed this review at {_at(world)}, and changed Comment on "
        "Correctness too. Press “Save draft” to see both."
    ]
    page_url = reverse("grading:review", kwargs={"pk": world.review.pk})
    response = instructors.post(page_url, {**instructor_form, "save": "1"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Nothing was saved: Grace Grader changed this review at" in page
    # With the other person's value, to choose between the two (probe 95).
    assert "and changed Comment on Correctness (now “Mine.”) too. Below is what you typed" in page
    assert world.review.scores.get(criterion_id=correctness).comment == "Mine."
    # The page it came back on: the typed clash, the grader's other change, the version now.
    shown = {name: values[0] for name, values in _form_of(page).items()}
    assert shown[f"comment_{correctness}"] == "Theirs."
    assert shown["overall_feedback"] == "Grader's."
    assert shown[f"comment_{style}"] == "Tidy."
    instructors.post(page_url, {**shown, "save": "1"})  # sent again, knowingly
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback == "Grader's."
    assert review.scores.get(criterion_id=correctness).comment == "Theirs."


def _at(world) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(Review.objects.get(pk=world.review.pk).updated_at):%H:%M}"


def _form_of(page: str) -> dict[str, list[str]]:
    from access.tests.matrix import form_data

    return form_data(page, "rubric-form")


def test_texts_built_to_be_slow_share_one_budget_a_view(world, grace):
    """Probe 40: criteria's descriptions are Markdown converted when the page is built,
    each with its own second: 18 built to be slow held a worker past its timeout on every
    view of the review. The page now gives them one budget together."""
    import time

    from grading.models import Criterion

    for order in range(5):
        Criterion.objects.create(
            rubric=world.rubric,
            order=10 + order,
            title=f"Slow {order}",
            max_points=1,
            description="[" * (20_000 + order),
        )
    client = as_user(grace)
    start = time.monotonic()
    page = client.get(reverse("grading:review", kwargs={"pk": world.review.pk}))
    took = time.monotonic() - start
    assert page.status_code == 200
    assert html.unescape(page.content.decode()).count("too tangled to be formatted in time") == 5
    assert took < 4, took  # each alone may take 1.6 s: five of them, 8 s


def test_a_clash_names_the_value_saved_meanwhile(world):
    """Probe 95: the second editor was refused without the other person's value."""
    from grading.forms import RubricForm
    from grading.selectors import rubric_criteria

    form = RubricForm({}, criteria=rubric_criteria(world.assignment.pk), scores=())
    style = world.style.pk
    form.saved = {f"score_{style}": "4.00", f"comment_{style}": "", "overall_feedback": "x" * 99}
    said = form.labels_with_saved([f"score_{style}", f"comment_{style}", "overall_feedback"])
    assert said == (
        "Points for Style (now 4), Comment on Style (now empty) and Overall feedback "
        f"(now “{'x' * 59}…”)"
    )


def test_points_of_spaces_only_are_left_empty_as_an_empty_field(world):
    """Probe 95: "  " was refused with "Enter points as a number" where "" saved as blank."""
    from grading.forms import RubricForm
    from grading.selectors import rubric_criteria

    style = world.style.pk
    for typed in ("", "   ", "\t"):
        form = RubricForm(
            {f"score_{style}": typed, "overall_feedback": ""},
            criteria=rubric_criteria(world.assignment.pk),
            scores=(),
        )
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data[f"score_{style}"] is None
