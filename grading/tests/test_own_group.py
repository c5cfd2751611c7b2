"""Nobody grades their own group: a member made an instructor of the course (a student
promoted to teaching assistant) keeps their group, and their marks stand on it. Made
an instructor, they answered their own regrade requests and set their own mark to 100
(probe 117); another instructor does that, and a stranger to the course reads nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access import policy
from access.policy import OWN_GROUP
from accounts.models import Role
from accounts.tests.factories import InstructorFactory
from api.tests.conftest import token_client
from grading import services
from grading.gradebook import assignment_marks
from grading.models import MarkOverride, RegradeRequest, RegradeStatus
from lessons.models import Course, Enrollment

from .factories import complete_review, enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoted(world, alice, bob, grace):
    """The world graded by grace and released; bob asked for a regrade of Style, then
    was made an instructor of the course (his group, Team Rocket, stays his)."""
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    world.regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Tidy enough for 5."
    )
    Enrollment.objects.filter(user=bob, course=world.course).update(role=Role.INSTRUCTOR)
    policy.forget(bob)  # as a request would read him: an instructor now
    return world


def test_a_promoted_member_reads_but_does_not_answer_his_groups_regrade(
    client, promoted, alice, bob
):
    page = reverse("grading:regrade_answer", args=[promoted.regrade.pk])
    answer = {"decision": "accept", "new_points": "5", "response": "Mine, accepted."}
    client.force_login(bob)
    shown = client.get(page)
    assert shown.status_code == 200
    text = shown.content.decode()
    assert 'id="not-yours"' in text and "nobody grades their own group" in text
    assert 'id="regrade-answer-form"' not in text
    refused = client.post(page, answer)
    assert refused.status_code == 403
    assert "nobody grades their own group" in refused.content.decode()
    assert RegradeRequest.objects.get(pk=promoted.regrade.pk).status == RegradeStatus.OPEN
    # The course's other instructor answers it.
    client.force_login(alice)
    assert 'id="regrade-answer-form"' in client.get(page).content.decode()
    assert client.post(page, answer).status_code == 302
    assert RegradeRequest.objects.get(pk=promoted.regrade.pk).status == RegradeStatus.ACCEPTED


def test_a_promoted_member_does_not_change_his_groups_review(client, promoted, bob, alice):
    promoted.assignment.grade_release.delete()  # a review still open to change
    promoted.assignment.grades_released_at = None
    promoted.assignment.save(update_fields=["grades_released_at"])
    page = reverse("grading:review", args=[promoted.review.pk])
    client.force_login(bob)
    text = client.get(page).content.decode()
    assert 'id="read-only-note"' in text and "nobody grades their own group" in text
    draft = client.post(
        reverse("grading:review_draft", args=[promoted.review.pk]),
        {f"score_{promoted.correctness.pk}": "10", "overall_feedback": "Perfect."},
        HTTP_ACCEPT="application/json",
    )
    assert draft.status_code == 403
    assert draft.json()["errors"] == [OWN_GROUP]
    assert promoted.review.scores.get(criterion=promoted.correctness).points == Decimal(8)
    with pytest.raises(ValidationError) as refused:
        services.review_save(
            review=promoted.review,
            by=bob,
            scores={promoted.correctness.pk: (Decimal(10), "")},
            overall_feedback="Perfect.",
            complete=True,
        )
    assert "Nothing was saved" in " ".join(refused.value.messages)
    client.force_login(alice)
    assert 'id="read-only-note"' not in client.get(page).content.decode()


def test_nobody_sets_their_own_or_a_teammates_mark(client, promoted, alice, bob):
    dave = promoted.dave
    for student in (bob, dave):
        with pytest.raises(ValidationError) as refused:
            services.mark_override(
                assignment=promoted.assignment,
                student=student,
                mark=Decimal(100),
                reason="Mine.",
                by=bob,
            )
        assert refused.value.messages == [OWN_GROUP]
    assert not MarkOverride.objects.exists()
    # Through the API, as probe 117 did.
    api = token_client(bob)
    answer = api.post(
        f"/api/v1/assignments/{promoted.assignment.pk}/overrides/",
        {"student": bob.pk, "mark": "100", "reason": "Mine.", "replaces": "none"},
        content_type="application/json",
    )
    assert answer.status_code == 403 and OWN_GROUP in answer.content.decode()
    regrade = api.post(
        f"/api/v1/regrades/{promoted.regrade.pk}/answer/",
        {"decision": "accept", "new_points": "5", "response": "Mine."},
        content_type="application/json",
    )
    assert regrade.status_code == 403 and OWN_GROUP in regrade.content.decode()
    assert assignment_marks([promoted.assignment.pk]).get(promoted.assignment.pk, bob.pk).mark == (
        Decimal("80.00")
    )
    # The other instructor sets it, and bob may not clear it.
    override = services.mark_override(
        assignment=promoted.assignment, student=bob, mark=Decimal(90), reason="Ill.", by=alice
    )
    with pytest.raises(ValidationError):
        services.mark_override_clear(assignment=promoted.assignment, student=bob, by=bob)
    deleted = api.delete(f"/api/v1/overrides/{override.pk}/")
    assert deleted.status_code == 403 and OWN_GROUP in deleted.content.decode()
    assert MarkOverride.objects.filter(pk=override.pk).exists()


def test_an_instructor_of_another_course_reads_nothing_of_it(client, promoted):
    other = Course.objects.create(title="Databases", slug="databases", is_published=True)
    dora = enroll(InstructorFactory(username="dora"), other, Role.INSTRUCTOR)
    client.force_login(dora)
    page = reverse("grading:regrade_answer", args=[promoted.regrade.pk])
    assert client.get(page).status_code == 404
    answer = {"decision": "accept", "new_points": "5", "response": "Intruder."}
    assert client.post(page, answer).status_code == 404
    assert RegradeRequest.objects.get(pk=promoted.regrade.pk).status == RegradeStatus.OPEN


def test_the_assignment_page_offers_no_override_of_his_groups_marks(client, promoted, bob):
    page = reverse("grading:assignment_grading", args=[promoted.assignment.pk])
    client.force_login(bob)
    html = client.get(page).content.decode()
    assert html.count("Your own group: another instructor (or the site's administrators)") == 2
    assert f'name="student" value="{bob.pk}"' not in html
    refused = client.post(
        reverse("grading:override_mark", args=[promoted.assignment.pk]),
        {"student": bob.pk, "mark": "100", "reason": "Mine.", "seen": "none"},
        follow=True,
    )
    text = refused.content.decode()
    assert "nobody grades their own group" in text and "back in the form" not in text
    assert not MarkOverride.objects.exists()


def test_his_groups_requests_wait_for_the_others_not_for_him(
    client, promoted, alice, bob, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 119: the member made an instructor was told "1 regrade request waits for an
    answer" (his own group's), emailed to answer it once its grader left, and told "Only
    the group and its grader write" in his own group's thread."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(bob)
    assert (
        'id="regrades-waiting"' not in client.get(reverse("grading:grader_queue")).content.decode()
    )
    listing = client.get(reverse("grading:regrade_list")).content.decode()
    assert "Its grader or another instructor (or the site's administrators) answers it" in listing
    assert "regrade request waits" not in client.get(reverse("lessons:dashboard")).content.decode()
    with pytest.raises(ValidationError) as refused:
        services.regrade_message_add(regrade=promoted.regrade, by=bob, text="Mine is right.")
    assert refused.value.messages == [OWN_GROUP]
    client.force_login(alice)
    assert 'id="regrades-waiting"' in client.get(reverse("grading:grader_queue")).content.decode()
    assert "regrade request waits" in client.get(reverse("lessons:dashboard")).content.decode()
    # An instructor's question: the group's answer reaches her as well as the grader.
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_message_add(regrade=promoted.regrade, by=alice, text="Which file?")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_message_add(
            regrade=promoted.regrade, by=promoted.dave, text="style.py, line 3."
        )
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [promoted.review.grader.email, alice.email]
    )
    # Its grader gone, the instructors are told; not bob, a member.
    Enrollment.objects.filter(user=promoted.review.grader, course=promoted.course).delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_message_add(
            regrade=promoted.regrade, by=promoted.dave, text="And test_style.py."
        )
    assert [m.to for m in mailoutbox] == [[alice.email]]


def test_a_promoted_member_does_not_run_his_groups_tests_again(client, promoted, alice, bob):
    """Probe 121: his group's review page offered "Run the tests again", whose results
    may pre-fill its marks; another instructor of the course runs them."""
    rerun = reverse("autograding:rerun_submission", args=[promoted.submission.pk])
    assert not policy.can(bob, policy.GRADE, promoted.submission)
    assert policy.refusal(bob, policy.GRADE, promoted.submission) == OWN_GROUP
    client.force_login(bob)
    refused = client.post(rerun)
    assert refused.status_code == 403
    assert "nobody grades their own group" in refused.content.decode()
    client.force_login(alice)
    assert client.post(rerun).status_code == 302
    assert policy.can(alice, policy.GRADE, promoted.submission)
