"""The assignment hub: who gets in, what it counts, reallocation and release."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import GradeRelease, Review
from lessons.models import Course, Enrollment
from projects.tests.factories import GroupFactory, GroupMembershipFactory

from .factories import add_group, complete_review, enroll, grading_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, grace):
    return grading_world(alice=alice, bob=bob, grace=grace)


def hub(world):
    return reverse("grading:assignment_hub", args=[world.assignment.pk])


def reassign(world):
    return reverse("grading:hub_reassign", args=[world.assignment.pk])


def other_course_grader():
    course_b = Course.objects.create(title="Other", slug="other", is_published=True)
    return enroll(UserFactory(username="heidi"), course_b, Role.GRADER)


def test_the_instructor_of_the_course_gets_in(client, world, alice):
    client.force_login(alice)
    response = client.get(hub(world))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Blog engine" in page and "grace" in page.lower()
    assert 'id="grading-progress"' in page
    # The course named with its run: two runs share a title (probe 106).
    world.course.term = "2025-2026"
    world.course.save()
    page = client.get(hub(world)).content.decode()
    assert f">{world.course.title} (2025-2026)</a></li>" in page


@pytest.mark.parametrize("who", ["other_instructor", "grader", "student", "removed_grader"])
def test_everyone_else_is_refused(client, world, grace, bob, who):
    if who == "other_instructor":
        course_b = Course.objects.create(title="Other", slug="other", is_published=True)
        user = enroll(UserFactory(username="ivan"), course_b, Role.INSTRUCTOR)
    elif who == "grader":
        user = grace
    elif who == "student":
        user = bob
    else:
        user = enroll(UserFactory(username="gone"), world.course, Role.GRADER)
        Enrollment.objects.filter(user=user).delete()
    client.force_login(user)
    assert client.get(hub(world)).status_code in (403, 404)
    response = client.post(reassign(world), {"group": world.group.pk, "grader": grace.pk})
    assert response.status_code in (403, 404)


def test_counts_and_progress(client, world, alice, bob):
    GroupFactory(assignment=world.assignment, name="Sleepers")
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    assert 'id="count-submitted">1<' in page
    assert 'id="count-not-submitted">1<' in page
    assert 'id="count-graded">0<' in page
    assert "0 of 1 submitted group graded (0%)" in page


def test_reallocation_offers_only_the_course_graders(client, world, alice, grace):
    heidi = other_course_grader()
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    form = page[page.index('id="reassign-form"') :]
    assert f'value="{grace.pk}"' in form
    assert f'value="{heidi.pk}"' not in form
    # Each group says who grades it now (probe 101).
    assert f'<option value="{world.group.pk}">Team Rocket (graded by Grace Grader)</option>' in form


def test_reallocation_refuses_a_forged_grader_of_another_course(client, world, alice, grace):
    heidi = other_course_grader()
    client.force_login(alice)
    response = client.post(reassign(world), {"group": world.group.pk, "grader": heidi.pk})
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["That person is not a grader of this course: choose one from the list."]
    assert Review.objects.get(group=world.group).grader == grace


def test_reallocation_with_nothing_chosen_says_what_is_missing(client, world, alice, grace):
    client.force_login(alice)
    response = client.post(reassign(world), {"group": "", "grader": ""})
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Choose the group to reassign. Choose the grader who takes it over."]
    assert Review.objects.get(group=world.group).grader == grace


def test_reallocation_hands_the_review_over(client, world, alice):
    gina = enroll(UserFactory(username="gina"), world.course, Role.GRADER)
    client.force_login(alice)
    client.post(reassign(world), {"group": world.group.pk, "grader": gina.pk})
    assert Review.objects.get(group=world.group).grader == gina


def test_release_warns_about_groups_that_never_submitted(client, world, alice):
    sleepers = GroupFactory(assignment=world.assignment, name="Sleepers")
    GroupMembershipFactory(group=sleepers)
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal(8), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="",
        complete=True,
    )
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    warning = page[page.index('id="never-submitted"') :]
    assert "1 group never submitted" in warning and "Sleepers" in warning

    release = reverse("grading:release_grades", args=[world.assignment.pk])
    response = client.post(release, {"confirm": "on", "from": "hub"})
    assert response.status_code == 200  # the form again: the warning is not confirmed
    assert "Tick this box" in response.content.decode()
    assert not GradeRelease.objects.exists()

    response = client.post(release, {"confirm": "on", "confirm_unsubmitted": "on", "from": "hub"})
    assert response["Location"] == hub(world)
    assert GradeRelease.objects.filter(assignment=world.assignment).exists()


def test_a_release_before_the_deadline_says_it_ends_the_project_early(client, world, alice):
    """Released 14 days early, the project closed with nothing said: a student still
    without a group could no longer form one or submit."""
    from datetime import timedelta

    from django.utils import timezone

    complete_review(world)
    world.assignment.due_at = timezone.now() + timedelta(days=14)
    world.assignment.save(update_fields=["due_at"])
    enroll(UserFactory(username="erin"), world.course)  # no group yet
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    assert "has not passed: releasing now ends the project early, and 1 student" in page
    assert "without a group can no longer form one or submit" in page

    release = reverse("grading:release_grades", args=[world.assignment.pk])
    response = client.post(release, {"confirm": "on", "from": "hub"})
    assert response.status_code == 200
    assert "Tick this box to release before the deadline has passed." in response.content.decode()
    assert not GradeRelease.objects.exists()

    response = client.post(release, {"confirm": "on", "confirm_early": "on", "from": "hub"})
    assert response["Location"] == hub(world)
    assert GradeRelease.objects.filter(assignment=world.assignment).exists()


@pytest.mark.parametrize("groups", [3, 30])
def test_the_hub_runs_a_constant_number_of_queries(
    client, world, alice, grace, groups, django_assert_max_num_queries
):
    gina = enroll(UserFactory(username="gina"), world.course, Role.GRADER)
    for index in range(groups):
        student = enroll(UserFactory(), world.course)
        group, _submission = add_group(world.assignment, [student], name=f"Team {index:02}")
        if index % 2:
            review = services.grader_assign(group=group, grader=(grace, gina)[index % 4 // 2])
            scores = {world.correctness.pk: (Decimal("7"), ""), world.style.pk: (Decimal(3), "")}
            services.review_save(
                review=review, by=review.grader, scores=scores, overall_feedback="", complete=True
            )
    for index in range(groups // 3):
        GroupFactory(assignment=world.assignment, name=f"Empty {index:02}")
    client.force_login(alice)
    # 17: one of them lists the reviews whose grader left the course (hub.stranded_reviews),
    # one the loads of reviewers who are not graders (hub.other_reviewer_loads), two
    # compare the graders' marks (hub.grader_consistency), one finds the groups whose
    # hand-in assigning graders would close (services.groups_closed_by_grading).
    with django_assert_max_num_queries(17):
        response = client.get(hub(world))
    assert response.status_code == 200
    # With 30 groups both graders completed reviews: their marks are compared.
    assert ('id="grader-consistency"' in response.content.decode()) == (groups > 3)


def test_a_review_whose_grader_left_the_course_is_flagged(client, world, alice, grace):
    """grace holds a draft; the instructor removes her from the course. The allocation
    table lists the course's graders only: the review is flagged, until reassigned."""
    henry = enroll(UserFactory(username="henry"), world.course, Role.GRADER)
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.style.pk: (Decimal(3), "")},
        overall_feedback="Half done.",
    )
    client.force_login(alice)
    assert 'id="stranded-reviews"' not in client.get(hub(world)).content.decode()
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    # Grading another course does not make her a grader of this one.
    other = Course.objects.create(title="Other", slug="other", is_published=True)
    enroll(grace, other, Role.GRADER)
    page = client.get(hub(world)).content.decode()
    assert 'id="stranded-reviews"' in page
    flagged = page.split('id="stranded-reviews"')[1].split("</div>")[0]
    assert "Team Rocket" in flagged and "Grace Grader" in flagged
    assert "grader removed from the course" in flagged
    assert "Give each group to another grader below" in flagged  # henry is there
    loads = page.split('id="grader-loads"')[1].split("</table>")[0]
    assert 'Grace Grader <span class="small text-body-secondary">(no longer grades' in loads
    client.post(reassign(world), {"group": world.group.pk, "grader": henry.pk})
    assert Review.objects.get(pk=world.review.pk).grader == henry
    assert 'id="stranded-reviews"' not in client.get(hub(world)).content.decode()


def test_a_completed_review_of_a_removed_grader_is_not_flagged(client, world, alice, grace):
    complete_review(world)
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    assert 'id="stranded-reviews"' not in page
    # ...and stays in the allocation table, done (probe 95: the row went, while the counts
    # above it still held her review).
    loads = page.split('id="grader-loads"')[1].split("</table>")[0]
    assert re.search(
        r"Grace Grader <span[^>]*>\(no longer grades this course\)</span></td><td>1</td><td>1</td>",
        loads,
    )


def test_with_no_grader_left_the_hub_says_to_enroll_one(client, world, alice, grace):
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    flagged = page.split('id="stranded-reviews"')[1].split("</div>")[0]
    assert "No grader is left: enroll one with the grader role" in flagged
    assert "another grader below" not in flagged and 'id="reassign-form"' not in page
    assert 'id="no-graders"' in page and "/admin/lessons/enrollment/" in page


def test_the_release_waits_for_named_groups_and_completed_reviews_keep_their_graders(
    client, world, alice, grace
):
    """Probe 88: the hub offered the release (and its alarming confirm) while saying it
    would be refused, named no ungraded group, and offered completed reviews to reassign."""
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    waits = page[page.index('id="release-waits"') :]
    assert "1 submitted group still without a completed review" in waits
    assert "<li>Team Rocket</li>" in waits
    assert re.search(r'id="hub-release-btn" disabled aria-describedby="release-waits"', page)
    form = page[page.index('id="reassign-form"') :]
    assert f'value="{world.group.pk}"' in form  # unfinished: can change graders

    complete_review(world)
    page = client.get(hub(world)).content.decode()
    assert 'id="release-waits"' not in page
    assert re.search(r'id="hub-release-btn">', page)
    form = page[page.index('id="reassign-form"') :]
    assert f'value="{world.group.pk}"' not in form
    gina = enroll(UserFactory(username="gina"), world.course, Role.GRADER)
    response = client.post(reassign(world), {"group": world.group.pk, "grader": gina.pk})
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [
        "Choose a group of this assignment that submitted and whose review is not completed "
        "(a completed review keeps its grader)."
    ]
    assert Review.objects.get(group=world.group).grader == grace

    # Released, the marks page offers no round robin any more.
    services.grades_release(assignment=world.assignment, by=alice, base_url="http://testserver")
    marks = reverse("grading:assignment_grading", args=[world.assignment.pk])
    assert 'id="assign-graders"' not in client.get(marks).content.decode()


def test_an_instructor_holding_reviews_keeps_a_row_in_the_allocation(client, world, alice, grace):
    """Probe 100: a grader made co-instructor held reviews the counts held, and the table
    showed nobody."""
    complete_review(world)
    Enrollment.objects.filter(user=grace, course=world.course).update(role=Role.INSTRUCTOR)
    client.force_login(alice)
    page = client.get(hub(world)).content.decode()
    loads = page.split('id="grader-loads"')[1].split("</table>")[0]
    assert re.search(
        r"Grace Grader <span[^>]*>\(instructor\)</span></td><td>1</td><td>1</td>", loads
    )
