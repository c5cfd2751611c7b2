"""A line comment may name the rubric criterion it explains: the student reads which
part of the mark a line concerns (PRODUCT.md: line comments tied to the rubric; probe 79:
a grader typed "-2 Functionality" in the text, which nothing tied to the score)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from access.tests.tenants import build_tenant
from api.tests.conftest import token_client
from grading import services
from grading.models import LineComment

from .factories import complete_review

pytestmark = pytest.mark.django_db


def test_a_comment_tied_to_a_criterion_is_shown_with_it_to_grader_and_student(
    client, world, alice, bob
):
    grader = world.review.grader
    client.force_login(grader)
    review = reverse("grading:review", kwargs={"pk": world.review.pk}) + "?path=app.py"
    form = client.get(review).content.decode()
    assert 'id="id_criterion"' in form and "Criterion it explains (optional)" in form
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    client.post(
        url,
        {
            "path": "app.py",
            "line": "1",
            "text": "No check here.",
            "criterion": world.correctness.pk,
        },
    )
    client.post(url, {"path": "app.py", "line": "2", "text": "Fine.", "criterion": ""})
    tied, free = LineComment.objects.order_by("line")
    assert (tied.criterion, free.criterion) == (world.correctness, None)
    assert 'comment-criterion">Correctness<' in client.get(review).content.decode()
    # The instructor reads it in the back office too, beside the comment, without editing it.
    client.force_login(alice)
    admin_page = client.get(reverse("admin:grading_review_change", args=[world.review.pk]))
    row = admin_page.content.decode().split("No check here.", 1)[1].split("</tr>", 1)[0]
    assert "Correctness" in row
    assert 'name="line_comments-0-text"' not in admin_page.content.decode()

    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    feedback = client.get(reverse("grading:feedback", args=[world.submission.pk]) + "?path=app.py")
    listed = feedback.content.decode()
    assert listed.count('comment-criterion">Correctness<') == 2  # the list and the code


def test_a_criterion_of_another_project_or_none_at_all_is_refused_in_words(client, world):
    other = build_tenant("Apple")
    client.force_login(world.review.grader)
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    for bad in (other.criterion.pk, "999999", "abc", "-1"):
        page = client.post(url, {"path": "app.py", "line": "1", "text": "Hm.", "criterion": bad})
        assert page.status_code == 400, bad
        assert "Choose one of the rubric's criteria, or none." in unescape(page.content.decode())
        assert "Hm." in page.content.decode()  # the text typed comes back
    assert not LineComment.objects.filter(review=world.review).exists()


def test_the_api_takes_and_gives_the_criterion():
    a, b = build_tenant("Apple"), build_tenant("Banana")
    api = token_client(a.grader)
    url = f"/api/v1/reviews/{a.review_o.pk}/comments/"
    criterion = a.review_o.group.assignment.rubric.criteria.first()
    made = api.post(
        url,
        {"path": "app.py", "line": 1, "text": "Why?", "criterion": criterion.pk},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["criterion"] == criterion.pk
    refused = api.post(
        url,
        {"path": "app.py", "line": 1, "text": "Why?", "criterion": b.criterion.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "Choose one of the rubric's criteria, or none." in refused.content.decode()
