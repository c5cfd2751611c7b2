"""An instructor changes things in the back office mid-term (probe 124): what students
and graders then see, and what the instructor is told. A student made a grader (or an
instructor) of their course keeps their groups (their teammates' marks stand on them)
and their released feedback (it became a 404, their row left the gradebook, and nothing
was said); a student put in a graded group takes its mark, said; a level a review chose,
deleted, is said.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from access import policy
from accounts.models import Role
from accounts.tests.factories import InstructorFactory, UserFactory
from grading import services
from grading.models import ReviewStatus
from lessons.models import Course, Enrollment

from .factories import complete_review, enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(world, alice, grace):
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice)
    return world


def set_role(client, enrollment, role) -> list[str]:
    url = reverse("admin:lessons_enrollment_change", args=[enrollment.pk])
    response = client.post(url, {"role": role})
    assert response.status_code == 302, response.content
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_student_made_a_grader_reads_their_feedback_and_the_instructor_is_told(
    client, released, alice, bob, grace
):
    feedback = reverse("grading:feedback", args=[released.submission.pk])
    enrollment = Enrollment.objects.get(user=bob, course=released.course)
    client.force_login(alice)
    said = set_role(client, enrollment, Role.GRADER)
    assert any(
        note.startswith(f"{bob} stays a member of Team Rocket ({released.assignment.title})")
        and "nobody grades their own group" in note
        and "leave the gradebook" in note
        and "They still read their released feedback." in note
        for note in said
    ), said
    policy.forget(bob)

    client.force_login(bob)
    listed = unescape(client.get(reverse("grading:feedback_list")).content.decode())
    assert released.assignment.title in listed and feedback in listed
    assert client.get(feedback).status_code == 200
    # The API lists the mark too (probe 127: none).
    from api.tests.conftest import token_client

    marks = token_client(bob).get("/api/v1/me/marks/").json()["results"]
    assert [mark["title"] for mark in marks] == [released.assignment.title]
    # Graders who are not members still do not open the group's feedback page; nor
    # does the instructor of another course.
    client.force_login(grace)
    assert client.get(feedback).status_code == 404
    other = Course.objects.create(title="Databases", slug="databases", is_published=True)
    dora = enroll(InstructorFactory(username="dora"), other, Role.INSTRUCTOR)
    client.force_login(dora)
    assert client.get(feedback).status_code == 404
    # A member removed from the course reads nothing.
    enrollment.delete()
    policy.forget(bob)
    client.force_login(bob)
    assert client.get(feedback).status_code == 404


def test_a_grader_made_a_student_leaves_their_unfinished_reviews_said(client, world, alice, grace):
    services.grader_assign(group=world.group, grader=grace, by=alice)
    enrollment = Enrollment.objects.get(user=grace, course=world.course)
    client.force_login(alice)
    said = set_role(client, enrollment, Role.STUDENT)
    assert f"{grace} has 1 unfinished review here: as a student they no longer grade" in (
        " ".join(said)
    )
    # A role change with nothing to say says nothing more than the save.
    loner = enroll(UserFactory(username="loner"), world.course)
    quiet = set_role(client, Enrollment.objects.get(user=loner, course=world.course), Role.GRADER)
    assert not any("stays a member" in note for note in quiet)


def test_a_student_put_in_a_graded_group_takes_its_mark_and_the_instructor_is_told(
    client, world, alice, grace
):
    """Probe 124: moved into a group whose review was completed, a student took its mark
    at once, for work handed in before they joined, and only the move was said."""
    from projects.tests.test_admin_projects import inline_data

    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world)
    newcomer = enroll(UserFactory(username="newcomer", email="new@example.org"), world.course)
    client.force_login(alice)
    url = reverse("admin:projects_group_change", args=[world.group.pk])
    response = client.post(
        url, inline_data(world.group, **{"memberships-2-0-student": newcomer.pk}), follow=True
    )
    page = unescape(response.content.decode())
    assert (
        f"{newcomer} now takes the mark of “Team Rocket”'s completed review (of version "
        f"{world.submission.version}, handed in before they joined)."
    ) in page
    # A group still being graded: nothing to say (its review counts them when done).
    world.review.status = ReviewStatus.DRAFT
    world.review.save(update_fields=["status"])
    later = enroll(UserFactory(username="later", email="later@example.org"), world.course)
    again = client.post(
        url, inline_data(world.group, **{"memberships-2-0-student": later.pk}), follow=True
    )
    assert "now takes the mark" not in again.content.decode()


def test_deleting_a_level_a_review_chose_says_the_score_stays_without_one(
    client, world, alice, grace
):
    """Probe 124: a level a draft had chosen was deleted with "changed successfully"
    alone; the grader's page then highlighted no level, unexplained."""
    from access.tests.matrix import form_data

    # Its levels: Excellent 10, Good 7, Needs work 3.
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world, correctness="7")
    client.force_login(alice)
    url = reverse("admin:grading_criterion_change", args=[world.correctness.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    good = next(key for key, value in data.items() if key.endswith("-label") and value == ["Good"])
    data[good.replace("-label", "-DELETE")] = ["on"]
    page = unescape(client.post(url, data, follow=True).content.decode())
    assert (
        f"1 review of “{world.correctness.title}” scores the points of a level just deleted "
        "or changed: 7 (no level now). The scores stay as they are"
    ) in page
    assert not world.correctness.levels.filter(label="Good").exists()
    # Saved again with its levels untouched, or a level renamed: nothing more to say
    # (probe 127: any edit named every score no level gives, typed ones too).
    data = form_data(client.get(url).content.decode(), "criterion_form")
    assert "a level just deleted" not in client.post(url, data, follow=True).content.decode()
    data = form_data(client.get(url).content.decode(), "criterion_form")
    top = next(
        key for key, value in data.items() if key.endswith("-label") and value == ["Excellent"]
    )
    data[top] = ["Outstanding"]
    renamed = client.post(url, data, follow=True).content.decode()
    assert "a level just deleted" not in renamed
    assert world.correctness.levels.filter(label="Outstanding").exists()
    # Two levels' points swapped: the score now reads as the other level, said (probe 128).
    complete_review(world, correctness="3")
    data = form_data(client.get(url).content.decode(), "criterion_form")
    points = {data[key][0]: key for key in data if key.endswith("-points")}
    data[points["10.00"]], data[points["3.00"]] = ["3"], ["10"]
    swapped = unescape(client.post(url, data, follow=True).content.decode())
    assert "scores the points of a level just deleted or changed: 3 (now “Outstanding”)" in (
        swapped
    )
    # Deleted and written again as it was, in one save: not news (probe 129).
    data = form_data(client.get(url).content.decode(), "criterion_form")
    three = next(key for key in data if key.endswith("-points") and data[key] == ["3.00"])
    label = data[three.replace("-points", "-label")][0]
    data[three.replace("-points", "-DELETE")] = ["on"]
    extra = int(data["levels-TOTAL_FORMS"][0])
    data["levels-TOTAL_FORMS"] = [str(extra + 1)]
    data.update(
        {f"levels-{extra}-label": [label], f"levels-{extra}-points": ["3"]},
    )
    data[f"levels-{extra}-description"] = [""]
    again = unescape(client.post(url, data, follow=True).content.decode())
    assert "a level just deleted" not in again and "was changed successfully" in again


def test_a_member_made_a_grader_reads_no_review_of_their_group_before_the_release(
    client, world, alice, bob, grace
):
    """Probe 127: with the rubric opening reviews to every grader, a student made a
    grader read their own group's feedback and marks while it was graded."""
    from api.tests.conftest import token_client

    world.rubric.graders_see_all = True
    world.rubric.save(update_fields=["graders_see_all"])
    services.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    complete_review(world)
    Enrollment.objects.filter(user=bob, course=world.course).update(role=Role.GRADER)
    policy.forget(bob)
    page = reverse("grading:review", args=[world.review.pk])
    client.force_login(bob)
    assert client.get(page).status_code == 404
    assert token_client(bob).get(f"/api/v1/reviews/{world.review.pk}/").status_code == 404
    # Another grader of the course reads it, as the rubric says.
    other = enroll(
        UserFactory(username="gina", email="gina@example.org"), world.course, Role.GRADER
    )
    client.force_login(other)
    assert client.get(page).status_code == 200
    # Released, it is his group's feedback: read.
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    assert client.get(reverse("grading:feedback", args=[world.submission.pk])).status_code == 200


def test_a_member_made_a_grader_does_not_find_their_groups_review_in_their_queue(
    client, released, alice, bob, grace
):
    """Probe 128: after the release, their group's review was listed "Done" among the
    reviews of their grading queue; its grader still finds it there."""
    Enrollment.objects.filter(user=bob, course=released.course).update(role=Role.GRADER)
    policy.forget(bob)
    queue = reverse("grading:grader_queue")
    client.force_login(bob)
    assert (
        reverse("grading:review", args=[released.review.pk])
        not in client.get(queue).content.decode()
    )
    client.force_login(grace)
    assert (
        reverse("grading:review", args=[released.review.pk]) in client.get(queue).content.decode()
    )
