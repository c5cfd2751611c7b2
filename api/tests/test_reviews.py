"""Scoring a review through the API: what a grader's script is told when it is refused."""

from __future__ import annotations

import pytest

from access.tests.tenants import build_tenant
from grading.models import Criterion

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def apple():
    return build_tenant("Apple")


def test_more_scores_than_the_cap_are_refused_before_any_is_read(apple):
    """40,000 scores took 42 s (a quadratic search for repeats); the list is bounded."""
    grader = token_client(apple.grader)
    url = f"/api/v1/reviews/{apple.review_o.pk}/"
    criterion = Criterion.objects.get(rubric__assignment=apple.grading)
    many = [{"criterion": criterion.pk, "points": "1"}] * 1_000
    response = grader.patch(url, {"scores": many}, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]["scores"]
    assert errors == {"non_field_errors": ["At most 200 scores in one request."]}
    # Under the cap, a criterion scored twice is still refused.
    twice = [{"criterion": criterion.pk, "points": "1"}] * 2
    response = grader.patch(url, {"scores": twice}, content_type="application/json")
    assert response.status_code == 400
    assert "scored more than once" in response.json()["errors"]["scores"][0]


def test_a_score_out_of_range_is_reported_at_the_index_sent(apple):
    """The site form's field names (score_<id>) meant nothing to a client."""
    correctness, style = Criterion.objects.filter(rubric__assignment=apple.released).order_by(
        "order"
    )
    scores = [
        {"criterion": correctness.pk, "points": "6"},
        {"criterion": style.pk, "points": "9", "comment": "x" * 100_000},
    ]
    response = token_client(apple.grader).patch(
        f"/api/v1/reviews/{apple.review_r.pk}/",
        {"scores": scores, "overall_feedback": "x" * 100_000},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors["scores"][0] == {}
    assert errors["scores"][1]["points"] == ["Give 0 to 5 points for Apple style."]
    assert "comment" in errors["scores"][1]
    assert "overall_feedback" in errors
    assert not any(name.startswith(("score_", "comment_")) for name in errors)


def test_a_review_reads_its_feedback_rendered_as_the_site_shows_it(apple):
    """Line comments had text_html; the overall feedback and the criteria's comments came
    as raw Markdown only, for a client to render (and sanitise) itself."""
    from coursesite.jinja2 import markdown
    from grading.models import CriterionScore, Review

    grader = token_client(apple.grader)
    url = f"/api/v1/reviews/{apple.review_o.pk}/"
    criterion = Criterion.objects.get(rubric__assignment=apple.grading)
    comment = "Routes:\n\n- **list** works\n- detail <script>alert(1)</script>"
    response = grader.patch(
        url,
        {
            "scores": [{"criterion": criterion.pk, "points": "6", "comment": comment}],
            "overall_feedback": "Good *work*.\n\n<img src=x onerror=alert(1)>",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    for body in (response.json(), grader.get(url).json()):
        assert body["overall_feedback"].startswith("Good *work*.")
        assert "<em>work</em>" in body["overall_feedback_html"]
        assert "onerror" not in body["overall_feedback_html"]
        (score,) = body["scores"]
        assert score["comment"] == comment
        assert "<li><strong>list</strong> works</li>" in score["comment_html"]
        assert "<script>" not in score["comment_html"]
    # The same HTML as the feedback page renders (coursesite/jinja2.py's markdown filter).
    assert score["comment_html"] == str(markdown(comment))
    review = Review.objects.get(pk=apple.review_o.pk)
    assert body["overall_feedback_html"] == review.overall_feedback_html
    # A score without a comment has an empty one; another course's grader reads nothing.
    CriterionScore.objects.filter(review=review).update(comment="")
    assert grader.get(url).json()["scores"][0]["comment_html"] == ""
    intruder = token_client(build_tenant("Banana").grader)
    assert intruder.get(url).status_code == 404


def test_an_item_the_serializer_refuses_is_reported_at_its_place_in_a_list(apple):
    """The serializer's errors came as {"1": {...}}, the rubric's as [{}, {...}]: one
    shape now, the documented one."""
    criterion = Criterion.objects.get(rubric__assignment=apple.grading)
    response = token_client(apple.grader).patch(
        f"/api/v1/reviews/{apple.review_o.pk}/",
        {"scores": [{"criterion": criterion.pk, "points": "1"}, {"criterion": "x"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["scores"] == [
        {},
        {"criterion": ["A valid integer is required."], "points": ["This field is required."]},
    ]


def test_a_misspelled_field_is_refused_by_name_and_nothing_is_written(apple):
    """Unknown body fields were ignored: "overal_feedback" answered 200 with nothing of
    it kept, and a script took it for saved (query parameters were already refused)."""
    from grading.models import Review
    from lessons.models import Course

    correctness = Criterion.objects.filter(rubric__assignment=apple.released).order_by("order")[0]
    url = f"/api/v1/reviews/{apple.review_r.pk}/"
    before = Review.objects.get(pk=apple.review_r.pk).overall_feedback
    grader = token_client(apple.grader)
    response = grader.patch(
        url,
        {"overal_feedback": "Kept?", "scores": [{"criterion": correctness.pk, "point": "3"}]},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors["overal_feedback"][0].startswith("This request has no such field; it takes")
    assert "overall_feedback" in errors["overal_feedback"][0]
    response = grader.patch(
        url,
        {"scores": [{"criterion": correctness.pk, "point": "3"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]["scores"][0]) == ["point"]
    assert Review.objects.get(pk=apple.review_r.pk).overall_feedback == before

    teacher = token_client(apple.instructor)
    course_url = f"/api/v1/courses/{apple.course.pk}/"
    response = teacher.patch(course_url, {"titel": "Renamed"}, content_type="application/json")
    assert response.status_code == 400
    assert "titel" in response.json()["errors"]
    assert Course.objects.get(pk=apple.course.pk).title == "Apple course"
    # Fields the answer shows but a write does not take are refused the same way.
    response = teacher.patch(course_url, {"id": 1}, content_type="application/json")
    assert response.status_code == 400 and "id" in response.json()["errors"]
    # A number where text goes is not its Python spelling ("inf" for 1e999).
    response = teacher.patch(course_url, '{"title": 1e999}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["title"] == ["Send text here, as a JSON string, not a number."]
    response = teacher.patch(course_url, {"title": "Renamed"}, content_type="application/json")
    assert response.status_code == 200
    assert Course.objects.get(pk=apple.course.pk).title == "Renamed"


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("1e-400", "Give a number, such as 7 or 7.5."),  # plain digits only, as the schema
        ("1.123456789", "Give at most 2 decimals, such as 7.25."),
        ("-1", "Give a value of at least 0."),
        ("abc", "Give a number, such as 7 or 7.5."),
    ],
)
def test_a_score_the_api_refuses_is_told_in_the_site_s_words(apple, points, message):
    """Probe 26: "1e-400" was told "Ensure that there are no more than 6 digits in total."
    and -1 "Ensure this value is greater than or equal to 0." (DRF's own wording)."""
    criterion = Criterion.objects.get(rubric__assignment=apple.grading)
    response = token_client(apple.grader).patch(
        f"/api/v1/reviews/{apple.review_o.pk}/",
        {"scores": [{"criterion": criterion.pk, "points": points}]},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["scores"][0]["points"] == [message]
    assert not apple.review_o.scores.exists()


def test_a_patch_naming_a_version_saved_over_since_is_refused_not_lost(apple):
    """A grader and an instructor PATCHing at the same moment both got 200 with their own
    values, and one was silently lost; with If-Match the second is refused (412)."""
    from grading.models import Review

    url = f"/api/v1/reviews/{apple.review_o.pk}/"
    grader, teacher = token_client(apple.grader), token_client(apple.instructor)
    read = grader.get(url)
    etag = read["ETag"]
    assert etag == teacher.get(url)["ETag"]
    saved = teacher.patch(
        url, {"overall_feedback": "Instructor's"}, "application/json", HTTP_IF_MATCH=etag
    )
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != etag
    refused = grader.patch(
        url, {"overall_feedback": "Grader's"}, "application/json", HTTP_IF_MATCH=etag
    )
    assert refused.status_code == 412, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert f"changed by {apple.instructor}" in refused.json()["detail"]
    assert Review.objects.get(pk=apple.review_o.pk).overall_feedback == "Instructor's"
    # Read again, the grader's change goes through; without If-Match, as before.
    again = grader.patch(
        url, {"overall_feedback": "Grader's"}, "application/json", HTTP_IF_MATCH=saved["ETag"]
    )
    assert again.status_code == 200
    assert grader.patch(url, {"overall_feedback": "Last"}, "application/json").status_code == 200
    assert grader.get(url).json()["overall_feedback"] == "Last"


def test_a_patch_that_changes_nothing_writes_nothing(apple):
    """Probe F3: {} or the values already there moved updated_at (and so the ETag)."""
    from grading.models import Review
    from lessons.models import Course, Lesson

    review_url = f"/api/v1/reviews/{apple.review_o.pk}/"
    grader = token_client(apple.grader)
    grader.patch(review_url, {"overall_feedback": "Kept"}, "application/json")
    criterion = Criterion.objects.get(rubric__assignment=apple.grading)
    grader.patch(
        review_url, {"scores": [{"criterion": criterion.pk, "points": "4"}]}, "application/json"
    )
    teacher = token_client(apple.instructor)
    course_url = f"/api/v1/courses/{apple.course.pk}/"
    lesson_url = f"/api/v1/lessons/{apple.lesson.pk}/"
    # Saved once through the API, as typed text is (trimmed, as the site's form does).
    teacher.patch(lesson_url, {"body": apple.lesson.body}, "application/json")
    lesson = Lesson.objects.get(pk=apple.lesson.pk)
    before = (
        Review.objects.get(pk=apple.review_o.pk).updated_at,
        Course.objects.get(pk=apple.course.pk).updated_at,
        Lesson.objects.get(pk=apple.lesson.pk).updated_at,
    )
    etag = grader.get(review_url)["ETag"]
    for body in (
        {},
        {"overall_feedback": "Kept"},
        {"scores": [{"criterion": criterion.pk, "points": "4.00"}], "complete": False},
    ):
        response = grader.patch(review_url, body, "application/json")
        assert response.status_code == 200, response.content
        assert response["ETag"] == etag
    for url, body in (
        (course_url, {}),
        (course_url, {"title": apple.course.title}),
        (lesson_url, {}),
        (lesson_url, {"title": lesson.title, "body": lesson.body}),
    ):
        assert teacher.patch(url, body, "application/json").status_code == 200
    after = (
        Review.objects.get(pk=apple.review_o.pk).updated_at,
        Course.objects.get(pk=apple.course.pk).updated_at,
        Lesson.objects.get(pk=apple.lesson.pk).updated_at,
    )
    assert after == before
    # A change still writes.
    assert teacher.patch(course_url, {"title": "New"}, "application/json").status_code == 200
    assert Course.objects.get(pk=apple.course.pk).updated_at > before[1]


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        '""x',
        "1796660208810886",
        "'1'",
        '""',
        'W/"1"',
        "*, garbage",
        '*, "1"',
        ",",
        '"1" "2"',  # no comma between them
    ],
)
def test_an_if_match_that_is_no_etag_is_told_so_not_said_changed(apple, header):
    """Probe 110: a malformed If-Match (the ETag without its quotes) was answered 412,
    "This review was changed by you (another request)", though no one had changed it."""
    url = f"/api/v1/reviews/{apple.review_o.pk}/"
    grader = token_client(apple.grader)
    response = grader.patch(
        url, {"overall_feedback": "Mine"}, "application/json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]["If-Match"]
    assert "in double quotes" in errors[0] and "changed" not in errors[0]
    assert "* alone" in errors[0]
    assert grader.get(url).json()["overall_feedback"] != "Mine"
    # The ETag as the header gives it, in a list and with spaces, still goes through.
    etag = grader.get(url)["ETag"]
    answer = grader.patch(
        url, {"overall_feedback": "Mine"}, "application/json", HTTP_IF_MATCH=f'"x", {etag} ,'
    )
    assert answer.status_code == 200, answer.content
    # A quoted "*" and a comma inside quotes are tags too (RFC 9110), beside the ETag
    # (probe 116: a 400 though the list held it).
    for listed in ('{}, "*"', '"a,b", {}'):
        listed = listed.format(answer["ETag"])
        again = grader.patch(
            url, {"overall_feedback": "Again"}, "application/json", HTTP_IF_MATCH=listed
        )
        assert again.status_code == 200, (listed, again.content)
        answer = again


def test_an_if_match_naming_no_version_it_had_is_not_said_changed(apple):
    """Probe 116: "abc" (never an ETag of this review) was answered "changed by you since
    you read it"; an ETag from before the last save still is."""
    url = f"/api/v1/reviews/{apple.review_o.pk}/"
    grader = token_client(apple.grader)
    old = grader.get(url)["ETag"]
    grader.patch(url, {"overall_feedback": "Saved"}, "application/json")
    now = grader.get(url)["ETag"]
    # "²" and "¹¹" are digits to str.isdigit, not to int(); 5,000 digits pass no int():
    # both were a 500 (probe 120).
    for made_up in (
        '"abc"',
        '"99999999999999999999"',
        '"*"',
        '"a,b"',
        '"²"',
        '"¹¹"',
        f'"{"1" * 5000}"',
        '"0"',  # before the review was made (probe 122: "changed since you read it")
        f'"{int(old.strip(chr(34))) + 1}"',  # between two versions, never one (probe 127)
        '"\xa0"',  # obs-text, a tag as RFC 9110 has it (probe 122: a 400)
    ):
        response = grader.patch(
            url, {"overall_feedback": "Mine"}, "application/json", HTTP_IF_MATCH=made_up
        )
        assert response.status_code == 412
        detail = response.json()["detail"]
        assert detail.startswith("If-Match names no version this review has had")
        assert now in detail and "changed" not in detail
    stale = grader.patch(url, {"overall_feedback": "Mine"}, "application/json", HTTP_IF_MATCH=old)
    assert stale.status_code == 412
    assert "changed by you (another request)" in stale.json()["detail"]
    assert grader.get(url).json()["overall_feedback"] == "Saved"


def test_a_comment_sent_again_is_the_same_one_and_another_criterion_is_another(apple):
    """Probe 110: the same words on the same line for a second criterion answered 201 with
    the first comment, the criterion dropped; a retry is the same comment, answered 200."""
    from grading.models import LineComment

    url = f"/api/v1/reviews/{apple.review_o.pk}/comments/"
    grader = token_client(apple.grader)
    testing = Criterion.objects.get(rubric__assignment=apple.grading)
    style = Criterion.objects.create(rubric=testing.rubric, title="Style", max_points=5, order=2)
    sent = {"path": "app.py", "line": 1, "text": "Missing tests", "criterion": testing.pk}
    first = grader.post(url, sent, "application/json")
    assert first.status_code == 201, first.content
    again = grader.post(url, sent, "application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = grader.post(url, {**sent, "criterion": style.pk}, "application/json")
    assert other.status_code == 201, other.content
    assert other.json()["id"] != first.json()["id"] and other.json()["criterion"] == style.pk
    made = LineComment.objects.filter(review=apple.review_o, text="Missing tests")
    assert sorted(made.values_list("criterion_id", flat=True)) == sorted([testing.pk, style.pk])
