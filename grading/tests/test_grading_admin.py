"""The grading back office: rubric inlines, the round-robin action, the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Criterion, Review, ReviewStatus
from lessons.models import Course

from .factories import (
    CriterionFactory,
    add_group,
    complete_review,
    enroll,
    grading_world,
    past_assignment,
)

pytestmark = pytest.mark.django_db


def test_instructors_edit_the_rubric_with_criteria_inline(client, world, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:grading_rubric_change", args=[world.rubric.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Correctness" in html and "criteria-TOTAL_FORMS" in html
    response = client.get(reverse("admin:grading_criterion_change", args=[world.correctness.pk]))
    assert "Excellent" in response.content.decode()  # levels inline on the criterion


def test_round_robin_admin_action(client, world, alice):
    add_group(world.assignment, [UserFactory()], name="Fresh")
    client.force_login(alice)
    response = client.post(
        reverse("admin:grading_rubric_changelist"),
        {"action": "assign_round_robin", "_selected_action": [world.rubric.pk]},
        follow=True,
    )
    assert "1 submission(s) assigned" in response.content.decode()
    assert Review.objects.count() == 2


def test_manual_assignment_in_the_admin_checks_the_grader(client, world, alice, charlie):
    group, _ = add_group(world.assignment, [UserFactory()], name="Manual")
    client.force_login(alice)
    url = reverse("admin:grading_review_add")
    # Each group named with its project: two projects' "Manual" read alike (probe 37).
    page = client.get(url).content.decode()
    assert f'<option value="{group.pk}">Manual — Blog engine (Python for Web)</option>' in page
    # Only groups that can get a review are offered: not one that has one (probe 82).
    groups = page.split('name="group"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{world.group.pk}">' not in groups
    taken = client.post(url, {"group": world.group.pk, "grader": world.review.grader.pk})
    assert "has handed in a version and has no review yet" in unescape(taken.content.decode())
    assert Review.objects.filter(group=world.group).count() == 1
    response = client.post(url, {"group": group.pk, "grader": charlie.pk})
    assert "not a grader or instructor" in response.content.decode()
    response = client.post(url, {"group": group.pk, "grader": world.review.grader.pk})
    assert response.status_code == 302
    assert Review.objects.get(group=group).submission.group == group


def test_score_changes_are_in_the_history(client, world, alice, grace):
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(5), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="",
    )
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(9), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="",
        complete=True,
    )
    client.force_login(alice)
    response = client.get(reverse("admin:grading_review_history", args=[world.review.pk]))
    assert response.status_code == 200
    assert "completed" in response.content.decode()
    score = world.review.scores.get(criterion=world.correctness)
    history = list(score.history.order_by("history_date"))
    assert [h.points for h in history] == [5, 9]
    assert {h.history_user for h in history} == {grace}
    assert world.review.history.latest().history_user == grace
    response = client.get(reverse("admin:grading_criterionscore_history", args=[score.pk]))
    assert response.status_code == 200


def test_graders_and_students_stay_out_of_the_admin(client, world, grace, bob):
    for user in (grace, bob):
        client.force_login(user)
        response = client.get(reverse("admin:grading_review_changelist"))
        assert response.status_code == 302


def test_an_unfinished_review_changes_grader_in_the_admin(client, world, alice):
    from accounts.models import Role
    from accounts.tests.factories import GraderFactory

    from .factories import enroll

    gina = enroll(GraderFactory(username="gina"), world.course, Role.GRADER)
    client.force_login(alice)
    url = reverse("admin:grading_review_change", args=[world.review.pk])
    response = client.post(
        url,
        {
            "grader": gina.pk,
            **{
                f"{prefix}-{key}": value
                for prefix in ("scores", "line_comments")
                for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.review.refresh_from_db()
    assert world.review.grader == gina


def add_teamwork_after_completion(client, world, alice):
    """Complete the world's review, then add a criterion as ALICE in the back office;
    return the rubric page's address, the data posted and the page answered."""
    complete_review(world)
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    data.update({"criteria-2-title": ["Teamwork"], "criteria-2-max_points": ["10"]})
    data.update({"criteria-2-order": ["3"], "_continue": ["1"]})
    return url, data, client.post(url, data, follow=True)


def test_a_criterion_added_after_a_review_was_completed_reopens_it_until_scored(
    client, world, alice, grace
):
    # A new criterion counted as 0 in a completed review lowered its mark in silence,
    # and the grades could be released so.
    url, data, response = add_teamwork_after_completion(client, world, alice)
    assert "1 completed review(s) give no score for the new criterion" in response.content.decode()
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT and world.review.completed_at is None
    assert world.review.history.latest().history_user == alice

    with pytest.raises(ValidationError, match="no completed review"):
        services.grades_release(assignment=world.assignment, by=alice)
    teamwork = world.rubric.criteria.get(title="Teamwork")
    scores = {world.correctness.pk: (Decimal(8), ""), world.style.pk: (Decimal(4), "")}
    scores[teamwork.pk] = (Decimal(6), "")
    services.review_save(
        review=world.review, by=grace, scores=scores, overall_feedback="", complete=True
    )
    services.grades_release(assignment=world.assignment, by=alice)

    # The instructor of another course reaches neither the page nor the reviews.
    other = Course.objects.create(title="Other course", slug="other", is_published=True)
    client.force_login(enroll(UserFactory(), other, Role.INSTRUCTOR))
    data.update({"criteria-TOTAL_FORMS": ["4"], "criteria-3-title": ["Sneaked in"]})
    data.update({"criteria-3-max_points": ["10"], "criteria-3-order": ["4"]})
    assert client.post(url, data).status_code == 404
    assert world.rubric.criteria.count() == 3


def test_removing_a_criterion_added_by_mistake_says_the_reviews_await_completing(
    client, world, alice
):
    url, _data, _response = add_teamwork_after_completion(client, world, alice)
    data = form_data(client.get(url).content.decode(), "rubric_form")
    data.update({"criteria-2-DELETE": ["on"], "_continue": ["1"]})
    page = client.post(url, data, follow=True).content.decode()
    assert not world.rubric.criteria.filter(title="Teamwork").exists()
    assert (
        "1 review(s) are drafts that score every criterion (those reopened when a criterion "
        "was added stay open): the grades can be released once their graders complete them."
    ) in page
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    # Saved again with nothing removed, the page says nothing of them.
    data = form_data(client.get(url).content.decode(), "rubric_form")
    data["_continue"] = ["1"]
    assert (
        "drafts that score every criterion"
        not in client.post(url, data, follow=True).content.decode()
    )


def test_the_release_refuses_a_completed_review_missing_a_criterions_score(world, alice, grace):
    complete_review(world)
    CriterionFactory(rubric=world.rubric, order=3, title="Written around the back office")
    with pytest.raises(ValidationError, match="give no score for a criterion") as refused:
        services.grades_release(assignment=world.assignment, by=alice)
    assert "Team Rocket" in str(refused.value)


def test_peer_evaluation_settings_are_read_only_after_the_release(client, alice, bob, grace):
    # Each student's mark is the group's times their peer factor: turning peer
    # evaluation off, or changing its cap, after the release changed released marks.
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    page = client.get(url).content.decode()
    data = form_data(page, "rubric_form")
    assert "peer_evaluation" not in data and "peer_factor_cap" not in data
    data.update({"peer_factor_cap": ["1.05"], "regrade_window_days": ["9"]})
    assert client.post(url, data).status_code == 302
    world.rubric.refresh_from_db()
    assert world.rubric.peer_evaluation is True and world.rubric.peer_factor_cap != Decimal("1.05")
    assert world.rubric.regrade_window_days == 9  # what does not make marks still changes


def test_a_criterions_points_are_in_the_history(client, world, alice, grace):
    """Raising a maximum before the release changes completed reviews' marks (75% to
    62.5% here): the rubric's and the criterion's history say who did it and when."""
    complete_review(world, correctness="8", style="4")  # 12 of 15
    client.force_login(alice)
    url = reverse("admin:grading_criterion_change", args=[world.style.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    response = client.post(url, {**data, "max_points": "7"})
    assert response.status_code == 302
    record = world.style.history.latest()
    assert (record.max_points, record.history_user) == (Decimal("7"), alice)
    page = client.get(reverse("admin:grading_criterion_history", args=[world.style.pk]))
    assert page.status_code == 200
    # The rubric's history, where criteria are edited inline, lists the change with who.
    page = client.get(reverse("admin:grading_rubric_history", args=[world.rubric.pk]))
    text = page.content.decode()
    assert "Criterion “Style”" in text and "maximum points: 5 → 7" in text
    assert "Alice Instructor" in text.split('id="parts-history"')[1]
    # A level's points too, on the criterion's history page.
    level = world.correctness.levels.get(label="Good")
    level.points = Decimal("6")
    level._history_user = alice
    level.save()
    page = client.get(reverse("admin:grading_criterion_history", args=[world.correctness.pk]))
    assert "Level “Good” of “Correctness”" in page.content.decode()
    assert "points: 7 → 6" in page.content.decode()


def test_another_courses_instructor_reads_no_criterion_history(client, world, alice):
    other = Course.objects.create(title="Other", slug="other", is_published=True)
    ivan = enroll(UserFactory(username="ivan"), other, Role.INSTRUCTOR)
    client.force_login(ivan)
    for url in (
        reverse("admin:grading_criterion_history", args=[world.style.pk]),
        reverse("admin:grading_rubric_history", args=[world.rubric.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "Style" not in response.content.decode()


def test_a_criterion_changed_on_the_rubric_page_is_its_history_not_the_rubrics(
    client, world, alice
):
    """The rubric's page saved the rubric too: a "Changed" row with nothing in it."""
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    index = next(
        name.split("-")[1]
        for name, values in data.items()
        if name.endswith("-id") and values == [str(world.style.pk)]
    )
    rubric_rows = world.rubric.history.count()
    response = client.post(url, {**data, f"criteria-{index}-max_points": "6"})
    assert response.status_code == 302
    assert world.rubric.history.count() == rubric_rows
    assert world.style.history.latest().history_user == alice
    assert world.style.history.latest().max_points == Decimal("6")


def _criterion_row(data: dict, criterion) -> str:
    return next(
        name.split("-")[1]
        for name, values in data.items()
        if name.startswith("criteria-") and name.endswith("-id") and values == [str(criterion.pk)]
    )


def test_a_scored_criterion_stays_and_a_criterion_deleted_in_another_tab_is_said(
    client, world, alice
):
    complete_review(world)
    spare = CriterionFactory(rubric=world.rubric, order=3, title="Spare", max_points=1)
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    response = client.post(
        url, {**data, f"criteria-{_criterion_row(data, world.style)}-DELETE": "on"}
    )
    assert response.status_code == 200
    assert "Criterion “Style” holds graders&#x27; work (scores in 1 review(s)" in (
        response.content.decode()
    )
    assert world.rubric.criteria.filter(pk=world.style.pk).exists()
    # Deleted in another tab, then another criterion edited in this one.
    spare.delete()
    row = _criterion_row(data, world.correctness)
    response = client.post(url, {**data, f"criteria-{row}-title": "Works as asked"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This row was changed or deleted elsewhere, perhaps in another tab" in page
    assert 'value="Works as asked"' in page


def test_only_active_people_are_offered_as_graders_by_name_and_username(client, world, alice):
    from accounts.tests.factories import GraderFactory

    gone = enroll(
        GraderFactory(username="ingrid", display_name="Ingrid Gone"), world.course, Role.INSTRUCTOR
    )
    gone.is_active = False
    gone.save()
    client.force_login(alice)
    url = reverse("admin:grading_review_change", args=[world.review.pk])
    page = client.get(url).content.decode()
    assert "Grace Grader (grace)" in page and "Ingrid Gone" not in page
    empty = {
        f"{p}-{k}": 0 for p in ("scores", "line_comments") for k in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = client.post(url, {"grader": gone.pk, **empty})
    assert "Ingrid Gone (ingrid)&#x27;s account is deactivated" in response.content.decode()
    world.review.refresh_from_db()
    assert world.review.grader != gone


def test_the_history_is_read_only_and_names_no_none(client, world, alice):
    """The pages offered "Revert", then answered 403; who and why showed "None"."""
    client.force_login(alice)
    record = world.review.history.latest()
    assert record.history_user is None  # created by the test's setup, by nobody known
    page = client.get(reverse("admin:grading_review_history", args=[world.review.pk]))
    text = page.content.decode()
    assert "revert" not in text.lower() and "None" not in text
    assert "—" in text
    version = reverse(
        "admin:grading_review_simple_history", args=[world.review.pk, record.history_id]
    )
    assert "Revert" not in client.get(version).content.decode()


def test_a_reviews_history_reads_with_a_former_grader_s_account_deleted(
    client, world, alice, grace, django_user_model
):
    """Probe 107: a review once assigned to an account deleted since (its reviews given
    to another first) made its history pages a server error: each version is named by
    its grader then."""
    gus = enroll(UserFactory(username="gus"), world.course, Role.GRADER)
    world.review.grader = gus
    world.review.save()
    world.review.grader = grace
    world.review.save()
    django_user_model.objects.filter(pk=gus.pk).delete()
    client.force_login(alice)
    page = client.get(reverse("admin:grading_review_history", args=[world.review.pk]))
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "by a deleted account" in text
    assert f"a deleted user (id {gus.pk})" in text
    for record in world.review.history.all():
        version = reverse(
            "admin:grading_review_simple_history", args=[world.review.pk, record.history_id]
        )
        assert client.get(version).status_code == 200


def test_a_review_whose_grader_left_the_course_says_so(client, world, alice, grace):
    """Its grader field read "- Select an option -" and saving said "This field is required"."""
    from lessons.models import Enrollment
    from lessons.services import enrollment_delete

    other = enroll(
        UserFactory(username="gus", display_name="Gus Grader"), world.course, Role.GRADER
    )
    client.force_login(alice)
    url = reverse("admin:grading_review_change", args=[world.review.pk])
    assert "no longer grades this course" not in client.get(url).content.decode()
    enrollment_delete(Enrollment.objects.get(user=grace, course=world.course))
    page = client.get(url).content.decode()
    assert f"{grace}, this review&#x27;s grader, no longer grades this course" in page
    data = form_data(page, "review_form")
    response = client.post(url, {**data, "grader": other.pk}, follow=True)
    assert response.status_code == 200
    assert Review.objects.get(pk=world.review.pk).grader == other
    assert "no longer grades this course" not in client.get(url).content.decode()


def test_two_criteria_of_one_title_are_refused(client, world, alice):
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    # The second criterion (Style) renamed like the first, in other capitals and spaces.
    titles = {k: v for k, v in data.items() if k.startswith("criteria-") and k.endswith("-title")}
    style = next(name for name, value in titles.items() if value == ["Style"])
    response = client.post(url, {**data, style: [" correctness "]})
    assert response.status_code == 200
    assert "Another criterion of this rubric is called “Correctness”" in (response.content.decode())
    assert sorted(world.rubric.criteria.values_list("title", flat=True)) == ["Correctness", "Style"]


def test_a_criterion_on_its_own_page_takes_no_title_of_another(client, world, alice):
    """The rubric page's list refused two of one title; the criterion's own page did not."""
    client.force_login(alice)
    url = reverse("admin:grading_criterion_change", args=[world.style.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    response = client.post(url, {**data, "title": ["CORRECTNESS  "]})
    assert response.status_code == 200
    assert "Another criterion of this rubric is called “Correctness”" in response.content.decode()
    # Its own title, in other capitals, is no clash with itself.
    response = client.post(url, {**data, "title": ["STYLE"]})
    assert response.status_code == 302
    world.style.refresh_from_db()
    assert world.style.title == "STYLE"


def test_a_reviews_page_reads_its_line_comments_authors_at_once(
    client, world, alice, grace, django_assert_max_num_queries
):
    """Probe 38: 23 queries with 4 line comments, 69 with 50 (each author read alone)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import GraderFactory
    from lessons.models import Enrollment

    from .factories import enroll

    url = reverse("admin:grading_review_change", args=[world.review.pk])
    client.force_login(alice)
    services.line_comment_add(review=world.review, by=grace, path="app.py", line=1, text="a")
    client.get(url)  # the caches of the first view (content types, permissions) filled
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(2, 7):
        author = enroll(GraderFactory(), world.course, Role.GRADER)
        services.grader_assign(group=world.group, grader=author, by=alice)
        services.line_comment_add(
            review=world.review, by=author, path="app.py", line=number % 3 + 1, text=f"n{number}"
        )
    assert Enrollment.objects.filter(role=Role.GRADER).count() >= 6
    with django_assert_max_num_queries(len(one)):
        assert client.get(url).status_code == 200


def test_a_reviews_history_reads_a_constant_number_of_queries(
    client, world, alice, django_assert_max_num_queries
):
    """Probe 38: 14 queries with 2 records, 60 with 25 (each record named with its group
    and grader read one by one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import GraderFactory

    from .factories import enroll

    url = reverse("admin:grading_review_history", args=[world.review.pk])
    client.force_login(alice)
    client.get(url)  # the caches of the first view (content types, permissions) filled
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    graders = [enroll(GraderFactory(), world.course, Role.GRADER) for _ in range(6)]
    for grader in graders:  # each record names another grader
        world.review.grader = grader
        world.review.save()
    assert world.review.history.count() >= 7
    with django_assert_max_num_queries(len(one)):
        page = client.get(url).content.decode()
    # Each record is still named by the grader it had then.
    for grader in graders:
        assert f"Review of {world.group} by {grader}" in page


def test_the_rubric_page_shows_each_criterions_levels_and_where_to_edit_them(
    client, world, alice, django_assert_max_num_queries
):
    """Probe 44: levels are edited on each criterion's page, which the rubric page never
    mentioned: a first instructor took the rubric for one without levels."""
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    client.force_login(alice)
    page = client.get(url).content.decode()
    levels = " · ".join(
        f"{level.label} ({level.points.normalize():f})" for level in world.correctness.levels.all()
    )
    assert levels and levels in page
    edit = reverse("admin:grading_criterion_change", args=[world.correctness.pk])
    assert f'<a href="{edit}">Edit levels</a>' in page
    world.style.levels.all().delete()
    style = reverse("admin:grading_criterion_change", args=[world.style.pk])
    page = client.get(url).content.decode()
    assert f'None yet. <a href="{style}">Add levels</a>' in page
    assert "Save the rubric, then add levels here." in page  # the empty row added
    # The levels of every criterion come in one query.
    with django_assert_max_num_queries(40) as counted:
        client.get(url)
    for _ in range(3):
        CriterionFactory(rubric=world.rubric)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        client.get(url)


def test_criteria_added_on_the_rubric_page_go_after_the_others_in_order(client, world, alice):
    """Probe 44: two criteria added on the rubric page were both saved at order 0."""
    from access.tests.matrix import form_data

    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    client.force_login(alice)
    data = form_data(client.get(url).content.decode(), "rubric_form")
    total = int(data["criteria-TOTAL_FORMS"][0])
    for index, title in ((total - 1, "Tests"), (total, "Documentation")):
        for name, value in (("title", title), ("max_points", "5"), ("order", "0")):
            data[f"criteria-{index}-{name}"] = [value]
        data[f"criteria-{index}-rubric"] = [str(world.rubric.pk)]
    data["criteria-TOTAL_FORMS"] = [str(total + 1)]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    orders = dict(world.rubric.criteria.values_list("title", "order"))
    last = max(order for title, order in orders.items() if title not in ("Tests", "Documentation"))
    assert (orders["Tests"], orders["Documentation"]) == (last + 1, last + 2)
    # Criteria are found by title in their list.
    page = client.get(reverse("admin:grading_criterion_changelist") + "?q=Documentation")
    assert "Documentation" in page.content.decode()
    assert world.correctness.title not in page.content.decode()


def test_a_new_maximum_says_which_completed_marks_it_changed(client, world, alice):
    """Probe 47: raising a criterion's maximum before the release lowered every completed
    mark with "changed successfully" alone; a review giving 3 of 3 then read 3 of 4."""
    complete_review(world, correctness="8", style="4")
    client.force_login(alice)
    url = reverse("admin:grading_criterion_change", args=[world.style.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    page = client.post(url, {**data, "max_points": "7"}, follow=True).content.decode()
    assert (
        "“Style” is now out of 7 points (it was 5): the marks of the 1 completed review(s) "
        "that score it changed with it, and they stay completed."
    ) in page
    # Edited on the rubric's page, the same.
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == [str(world.correctness.pk)]
    )
    data.update({f"criteria-{index}-max_points": ["12"], "_continue": ["1"]})
    page = client.post(url, data, follow=True).content.decode()
    assert "“Correctness” is now out of 12 points (it was 10)" in page
    assert "“Style” is now out of" not in page  # unchanged this time
    # Nothing completed scores a criterion: nothing to say.
    Review.objects.update(status=ReviewStatus.DRAFT)
    url = reverse("admin:grading_criterion_change", args=[world.style.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    page = client.post(url, {**data, "max_points": "8"}, follow=True).content.decode()
    assert "is now out of" not in page


def test_saving_a_released_rubric_unchanged_says_no_maximum_changed(client, world, alice):
    """After the release the criteria are shown read-only; saving the page (for a setting
    still open) warned that every criterion was "now out of 5 points (it was 5)" and
    that the completed marks changed with it (probe 64)."""
    from access.tests.matrix import form_data
    from grading import services

    complete_review(world, correctness="8", style="4")
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(alice)
    url = reverse("admin:grading_rubric_change", args=[world.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    response = client.post(url, {**data, "_continue": ["1"]}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "is now out of" not in page
    assert "changed successfully" in page
    assert dict(world.rubric.criteria.values_list("title", "max_points")) == {
        world.correctness.title: world.correctness.max_points,
        world.style.title: world.style.max_points,
    }


def test_a_criterions_description_is_bounded_in_the_back_office(client, world, alice):
    """A description has no limit: 80 KB of backtick runs held every review page of the
    project for a minute (probe 63). Markdown stops at its budget now, and the text is
    refused past 5,000 characters, said in words, with nothing saved."""
    from access.tests.matrix import form_data

    client.force_login(alice)
    url = reverse("admin:grading_criterion_change", args=[world.style.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    before = world.style.description
    response = client.post(url, {**data, "description": "``a`" * 1251})
    assert response.status_code == 200
    assert "Ensure this value has at most 5000 characters (it has 5004)." in (
        response.content.decode()
    )
    world.style.refresh_from_db()
    assert world.style.description == before


def test_a_deadline_moved_before_graded_work_says_whose_late_penalty_changed(
    admin_client, world, alice, grace
):
    """Probe 73: a deadline moved three weeks earlier by a typo halved two completed
    marks, and the page said only "changed successfully"."""
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world)
    assignment = world.assignment
    assignment.late_policy = "penalty"
    assignment.save()
    original_due = assignment.due_at
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    earlier = (world.submission.submitted_at - timedelta(days=3)).astimezone()
    data.update(
        {"due_at_0": [earlier.strftime("%Y-%m-%d")], "due_at_1": [earlier.strftime("%H:%M:%S")]}
    )
    data["opens_at_0"] = [(earlier - timedelta(days=30)).strftime("%Y-%m-%d")]
    page = admin_client.post(path, data, follow=True).content.decode()
    assignment.refresh_from_db()
    penalty = assignment.late_penalty_percent(assignment.days_late(world.submission.submitted_at))
    assert penalty > 0
    assert (
        f"The late penalty of 1 graded group changed with it (Team Rocket: 0 % → "
        f"{penalty.normalize():f} %)" in page
    )
    # Set back: said again, and the mark is as it was.
    data.update(form_data(admin_client.get(path).content.decode(), "projectassignment_form"))
    later = original_due.astimezone()
    data.update(
        {"due_at_0": [later.strftime("%Y-%m-%d")], "due_at_1": [later.strftime("%H:%M:%S")]}
    )
    page = admin_client.post(path, data, follow=True).content.decode()
    assert "(Team Rocket: " in page and "→ 0 %)" in page
    # Nothing said when no graded group's penalty moves (the title alone).
    data.update(form_data(admin_client.get(path).content.decode(), "projectassignment_form"))
    data["title"] = ["Blog engine, final"]
    page = admin_client.post(path, data, follow=True).content.decode()
    assert "late penalty of" not in page


def test_removing_people_says_whose_released_marks_hide_and_which_reviews_strand(
    client, world, alice, bob, grace
):
    """Probe 73: removing students after the release hid their marks and feedback under
    "Enrollments: 6"; removing a grader did not say their draft review had nobody left
    to finish it."""
    from lessons.models import Enrollment

    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    other_group, other_version = add_group(
        past_assignment(world.course, title="Second", slug="second"),
        [enroll(UserFactory(username="zed"), world.course)],
        name="Zeds",
    )
    Review.objects.create(group=other_group, submission=other_version, grader=grace)
    client.force_login(alice)
    enrollments = Enrollment.objects.filter(course=world.course)
    bob_row = enrollments.get(user=bob)
    page = client.get(reverse("admin:lessons_enrollment_delete", args=[bob_row.pk]))
    text = page.content.decode()
    assert "Bob Student has released marks and feedback here" in text
    assert "enrolling them again gives everything back" in text
    grace_row = enrollments.get(user=grace)
    page = client.get(reverse("admin:lessons_enrollment_delete", args=[grace_row.pk]))
    assert "Grace Grader has 1 unfinished review here" in page.content.decode()
    # The bulk action's page says it too, of everyone selected.
    page = client.post(
        reverse("admin:lessons_enrollment_changelist"),
        {"action": "delete_selected", "_selected_action": [bob_row.pk, grace_row.pk]},
    )
    text = page.content.decode()
    assert "Bob Student has released marks" in text and "Grace Grader has 1 unfinished" in text


def test_levels_that_cannot_give_full_marks_are_said_and_the_rubric_shows_its_total(
    client, world, alice
):
    """Probe 83: levels of 3 and 6 for a criterion of 10 saved without a word, and the
    rubric's total showed nowhere on its page."""
    client.force_login(alice)
    top = max(level.points for level in world.correctness.levels.all())
    url = reverse("admin:grading_criterion_change", args=[world.correctness.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    top = int(top)  # the levels' points, whole in this rubric
    raised = top + 5
    said = unescape(
        client.post(url, {**data, "max_points": str(raised)}, follow=True).content.decode()
    )
    assert (
        f"“Correctness” is worth {raised} points, but its highest level gives {top}: "
        "a grader choosing levels cannot give it full marks."
    ) in said
    said = unescape(
        client.post(url, {**data, "max_points": str(top)}, follow=True).content.decode()
    )
    assert "cannot give it full marks" not in said

    rubric = client.get(reverse("admin:grading_rubric_change", args=[world.rubric.pk]))
    total = sum(c.max_points for c in world.rubric.criteria.all())
    row = unescape(rubric.content.decode()).split("Total points", 1)[1][:300]
    assert f">{int(total)}<" in row.replace(" ", "").replace("\n", "")


def test_a_released_criterions_delete_address_says_why_not_and_deletes_nothing(
    client, world, alice, charlie
):
    """Probe 83: Django's bare "403 Forbidden, ask an administrator" after the release,
    where the criterion's page says why it is locked."""
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(alice)
    url = reverse("admin:grading_criterion_delete", args=[world.style.pk])
    for response in (client.get(url), client.post(url, {"post": "yes"})):
        assert response.status_code == 403
        page = unescape(response.content.decode())
        assert page.count("The grades of this project are released") == 1
    assert Criterion.objects.filter(pk=world.style.pk).exists()
    # Another course's instructor is told nothing of it.
    from access.tests.tenants import build_tenant

    other = build_tenant("Banana")
    client.force_login(other.instructor)
    assert client.get(url).status_code in (302, 404)
    assert "released" not in unescape(client.get(url, follow=True).content.decode())


def test_add_review_offers_no_group_of_a_released_project(client, world, alice):
    """Probe 85: a group of a released project was offered, then refused once sent."""
    from django.utils import timezone

    from projects.models import ProjectAssignment

    group, _ = add_group(world.assignment, [UserFactory()], name="Latecomers")
    client.force_login(alice)
    url = reverse("admin:grading_review_add")
    assert f'<option value="{group.pk}">Latecomers' in client.get(url).content.decode()
    ProjectAssignment.objects.filter(pk=world.assignment.pk).update(
        grades_released_at=timezone.now()
    )
    groups = client.get(url).content.decode().split('name="group"', 1)[1].split("</select>")[0]
    assert "Latecomers" not in groups


def test_the_history_of_rows_deleted_with_an_account_reads(client, world, alice, bob, grace):
    """Probe 108: a mark override (or a peer rating) goes with its student's account, and
    its history, named by that account, was a server error for the instructor."""
    from django.contrib.auth import get_user_model

    from grading.models import MarkOverride

    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    override = services.mark_override(
        assignment=world.assignment,
        student=world.dave,
        mark=Decimal(90),
        reason="Illness",
        by=alice,
    )
    pk = override.pk
    get_user_model().objects.filter(pk=world.dave.pk).delete()
    assert not MarkOverride.objects.filter(pk=pk).exists()
    client.force_login(alice)
    page = client.get(reverse("admin:grading_markoverride_history", args=[pk]))
    assert page.status_code == 200
    assert f"mark override #{pk}" in unescape(page.content.decode())
    record = MarkOverride.history.filter(id=pk).latest()
    version = reverse("admin:grading_markoverride_simple_history", args=[pk, record.history_id])
    assert client.get(version).status_code == 404  # said, never a server error
