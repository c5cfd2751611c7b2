"""The policy's two ways of asking (rows and one object) agree, and access follows the
enrollment at once."""

from __future__ import annotations

import itertools

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from access import policy
from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading.tasks import send_grades_released_email
from lessons.models import Enrollment

from .tenants import build_tenant

pytestmark = pytest.mark.django_db

ACTIONS = (policy.VIEW, policy.CHANGE, policy.GRADE, policy.TEACH)


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def people(a, b):
    superuser = UserFactory(username="root", is_superuser=True)
    inactive = UserFactory(username="gone", is_active=False)
    Enrollment.objects.create(user=inactive, course=a.course, role=Role.INSTRUCTOR)
    return [
        a.student, a.classmate, a.grader, a.instructor, a.removed_grader, a.removed_student,
        b.student, b.instructor, superuser, inactive,
    ]  # fmt: skip


def objects(a):
    return [
        a.course, a.module, a.lesson, a.attachment, a.enrollment, a.released, a.grading,
        a.group_r, a.group_o, a.submission_r, a.submission_o, a.rubric, a.criterion,
        a.review_r, a.review_o, a.review_p, a.comment_o, a.score_r, a.regrade, a.rating,
        a.override, a.release,
    ]  # fmt: skip


def test_one_object_and_the_list_of_rows_give_the_same_answer(world):
    """can() reads loaded fields where it can; it must agree with scope() everywhere."""
    a, b = world
    for user, obj, action in itertools.product(people(a, b), objects(a), ACTIONS):
        model = type(obj)
        listed = policy.scope(user, action, model.objects).filter(pk=obj.pk).exists()
        fresh = model.objects.get(pk=obj.pk)  # nothing loaded: asks the database
        assert policy.can(user, action, obj) == listed, (user, obj, action)
        assert policy.can(user, action, fresh) == listed, (user, obj, action)


def test_reviews_open_to_every_grader_agree_one_by_one_and_listed(world, django_assert_num_queries):
    """A rubric that opens its reviews to all graders of the course (a subquery in the
    rule): still the same answers for one review and for the list, for everyone."""
    from grading.models import Review, Rubric

    a, b = world
    someone_elses = Review.objects.get(pk=a.review_p.pk)  # the removed grader's
    assert not policy.can(a.grader, policy.VIEW, someone_elses)
    Rubric.objects.filter(assignment__course=a.course).update(graders_see_all=True)
    for user, action in itertools.product(people(a, b), ACTIONS):
        for review in (a.review_r, a.review_o, a.review_p):
            listed = policy.scope(user, action, Review.objects).filter(pk=review.pk).exists()
            loaded = Review.objects.select_related("grader", "group__assignment__course").get(
                pk=review.pk
            )
            assert policy.can(user, action, loaded) == listed, (user, review, action)
            assert policy.can(user, action, Review.objects.get(pk=review.pk)) == listed
    assert policy.can(a.grader, policy.VIEW, Review.objects.get(pk=a.review_p.pk))
    assert not policy.can(a.grader, policy.GRADE, Review.objects.get(pk=a.review_p.pk))
    assert not policy.can(b.instructor, policy.VIEW, Review.objects.get(pk=a.review_p.pk))
    # The assigned grader needs no query: the loaded grader decides the OR.
    review = Review.objects.select_related("grader", "group__assignment").get(pk=a.review_r.pk)
    policy.enrollments(a.grader)
    with django_assert_num_queries(0):
        assert policy.can(a.grader, policy.GRADE, review)


def test_rows_read_already_get_the_answers_of_get_or_refuse(world):
    """first_or_refuse, for a prepared query's rows: the same object, 403 or 404 as
    get_or_refuse gives for every person and action on a course's objects."""
    a, b = world
    for user, obj, action in itertools.product(people(a, b), objects(a), ACTIONS):
        model = type(obj)
        rows = list(model.objects.filter(pk=obj.pk))
        try:
            expected = policy.get_or_refuse(user, action, model.objects, pk=obj.pk)
        except (PermissionDenied, Http404) as refusal:
            with pytest.raises(type(refusal)):
                policy.first_or_refuse(user, action, rows)
        else:
            assert policy.first_or_refuse(user, action, rows) == expected
    with pytest.raises(Http404):
        policy.first_or_refuse(a.instructor, policy.VIEW, [])


def test_an_inactive_account_may_do_nothing(world):
    a, b = world
    inactive = people(a, b)[-1]
    assert not any(policy.can(inactive, action, a.course) for action in ACTIONS)
    assert not policy.uses_back_office(inactive)


def test_removing_a_grader_ends_their_access_on_the_next_request(client, world):
    a, _ = world
    client.force_login(a.grader)
    review = reverse("grading:review", args=[a.review_o.pk])
    assert client.get(review).status_code == 200
    Enrollment.objects.filter(user=a.grader, course=a.course).delete()
    assert client.get(review).status_code == 404
    assert client.get(reverse("grading:grader_queue")).status_code == 403


def test_demoting_a_grader_to_student_ends_grading_at_once(client, world):
    a, _ = world
    client.force_login(a.grader)
    review = reverse("grading:review", args=[a.review_o.pk])
    Enrollment.objects.filter(user=a.grader, course=a.course).update(role=Role.STUDENT)
    # A student of the course now: another group's review is not theirs to see.
    assert client.get(review).status_code == 404
    response = client.post(review, {"overall_feedback": "Too late"})
    assert response.status_code == 404
    assert client.get(reverse("grading:grader_queue")).status_code == 403
    a.review_o.refresh_from_db()
    assert a.review_o.overall_feedback == ""


def test_removing_a_student_ends_their_feedback_and_downloads(client, world):
    a, _ = world
    client.force_login(a.student)
    feedback = reverse("grading:feedback", args=[a.submission_r.pk])
    download = reverse("projects:submission_download", args=[a.submission_o.pk])
    assert client.get(feedback).status_code == 200
    assert client.get(download).status_code == 200
    Enrollment.objects.filter(user=a.student, course=a.course).delete()
    assert client.get(feedback).status_code == 404
    assert client.get(download).status_code == 404


def test_the_release_email_is_not_sent_to_someone_removed_since(world, settings):
    a, _ = world
    sent = send_grades_released_email.call(user_id=a.student.pk, review_id=a.review_r.pk)
    assert sent == 1 and mail.outbox[-1].to == [a.student.email]
    removed = send_grades_released_email.call(user_id=a.removed_student.pk, review_id=a.review_r.pk)
    assert removed == 0 and len(mail.outbox) == 1
