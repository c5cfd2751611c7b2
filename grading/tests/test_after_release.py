"""Versions that arrive after the release under "accept and notify": nobody grades them,
so the course's instructors (and the group's grader, if it has one) are told, and the
hub and the queue show them as "submitted after release, not graded"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.gradebook import assignment_marks
from grading.hub import hub_counts
from grading.models import MarkOverride, Review
from lessons.models import Course, Enrollment
from projects.models import LateVersionRule
from projects.services import group_create, group_join, group_leave, submission_create
from projects.tests.factories import GroupFactory, GroupMembershipFactory, make_zip

from .factories import complete_review, enroll, grading_world

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
SITE = "https://courses.example.edu"


def upload(readme: str = "") -> SimpleUploadedFile:
    data = make_zip({"README.md": readme}) if readme else make_zip()
    return SimpleUploadedFile("late.zip", data, content_type="application/zip")


@pytest.fixture
def released(world, alice, grace, settings):
    """The world under "accept and notify", graded by grace and released by alice, with
    a group, Sleepers (pia), that never submitted; and bea, who teaches another course."""
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = SITE
    world.assignment.late_version_rule = LateVersionRule.ACCEPT_AND_NOTIFY
    world.assignment.save(update_fields=["late_version_rule"])
    review = services.grader_assign(group=world.group, grader=grace, by=alice)
    services.review_save(
        review=review,
        by=grace,
        scores={world.correctness.pk: (Decimal(8), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="Good.",
        complete=True,
    )
    world.pia = enroll(UserFactory(username="pia"), world.course)
    world.sleepers = GroupFactory(assignment=world.assignment, name="Sleepers")
    GroupMembershipFactory(group=world.sleepers, student=world.pia)
    services.grades_release(assignment=world.assignment, by=alice)
    other = Course.objects.create(title="Databases", slug="databases", is_published=True)
    world.bea = enroll(UserFactory(username="bea"), other, Role.INSTRUCTOR)
    return world


def late_submission(world, capture):
    world.sleepers.refresh_from_db()
    with capture(execute=True):
        return submission_create(group=world.sleepers, student=world.pia, archive=upload())


def staff_emails(outbox) -> list:
    """The emails to the grading side: each student's receipt of a version aside."""
    return [message for message in outbox if " handed in" not in message.subject]


def test_the_instructors_are_emailed_when_a_group_that_never_submitted_submits(
    released, alice, grace, bob, mailoutbox, django_capture_on_commit_callbacks
):
    co_teacher = enroll(UserFactory(username="carol"), released.course, Role.INSTRUCTOR)
    submission = late_submission(released, django_capture_on_commit_callbacks)

    assert submission.version == 1  # accepted: the rule says so
    # Every instructor of the course, nobody else: not the grader (the group has none),
    # not its students, not bea who teaches another course.
    told = staff_emails(mailoutbox)
    assert sorted(m.to[0] for m in told) == sorted([alice.email, co_teacher.email])
    message = told[0]
    assert message.subject == "Submitted after release, not graded: Sleepers, Blog engine"
    assert "after its grades were released" in message.body
    assert "not graded" in message.body
    hub = SITE + reverse("grading:assignment_hub", args=[released.assignment.pk])
    assert hub in message.body  # absolute, from SITE_URL: the worker has no request


def test_a_graded_groups_version_after_release_is_emailed_to_its_instructors_and_grader(
    released, alice, grace, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Only an instructor can still change a released mark (an override): told first."""
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(group=released.group, student=bob, archive=upload())  # version 2

    by_email = {m.to[0]: m for m in staff_emails(mailoutbox)}
    assert sorted(by_email) == sorted([alice.email, grace.email])  # not bea, not students
    # The students have their receipt of the version, nothing about the grading.
    receipts = [m.to[0] for m in mailoutbox if m not in by_email.values()]
    assert bob.email in receipts and alice.email not in receipts
    review = Review.objects.get(group=released.group)
    hub = SITE + reverse("grading:assignment_hub", args=[released.assignment.pk])
    assert hub in by_email[alice.email].body
    assert SITE + reverse("grading:review", args=[review.pk]) in by_email[grace.email].body
    for message in by_email.values():
        assert "submitted version 2" in message.body
        assert "released mark stays on version 1, and this version is not graded" in message.body
        assert "changes the mark by hand (an override)" in message.body
        assert "Nobody had graded" not in message.body


def test_a_group_sending_version_after_version_emails_staff_a_few_times_an_hour(
    released, alice, grace, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 55: five quick versions after the release were five emails to each of the
    instructor and the grader; nothing limited them."""
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            submission_create(
                group=released.group, student=bob, archive=upload(f"# version {number}\n")
            )
    sent = sorted(message.to[0] for message in staff_emails(mailoutbox))
    assert sent == sorted([alice.email] * 3 + [grace.email] * 3)


def test_nobody_is_emailed_before_the_release_or_under_the_default_rule(
    world, alice, bob, grace, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Before the release the group's work is still graded like any other: nothing to tell."""
    settings.TASKS = IMMEDIATE
    world.assignment.late_version_rule = LateVersionRule.ACCEPT_AND_NOTIFY
    world.assignment.save(update_fields=["late_version_rule"])
    pia = enroll(UserFactory(username="pia"), world.course)
    sleepers = GroupFactory(assignment=world.assignment, name="Sleepers")
    GroupMembershipFactory(group=sleepers, student=pia)
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(group=sleepers, student=pia, archive=upload())
    assert staff_emails(mailoutbox) == []


def test_the_hub_counts_and_lists_versions_after_release(
    released, alice, bob, client, django_capture_on_commit_callbacks
):
    hub = reverse("grading:assignment_hub", args=[released.assignment.pk])
    client.force_login(alice)
    assert "submitted after release" not in client.get(hub).content.decode()

    late_submission(released, django_capture_on_commit_callbacks)
    # The graded group sends a version too: also after release, also not graded.
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(group=released.group, student=bob, archive=upload())

    page = client.get(hub).content.decode()
    assert "2 groups submitted after release, not graded." in page
    assert "Sleepers: version 1" in page
    assert "never graded" in page
    assert "Team Rocket: version 2" in page
    assert "graded version 1" in page
    counts = hub_counts(
        released.assignment, released_at=released.assignment.grade_release.released_at
    )
    assert [(late.group, late.version, late.graded_version) for late in counts.after_release] == [
        ("Sleepers", 1, None),
        ("Team Rocket", 2, 1),
    ]


def test_instructor_b_of_another_course_is_not_told_and_cannot_see_it(
    released, client, mailoutbox, django_capture_on_commit_callbacks
):
    late_submission(released, django_capture_on_commit_callbacks)
    assert all(m.to != [released.bea.email] for m in mailoutbox)
    client.force_login(released.bea)
    hub = reverse("grading:assignment_hub", args=[released.assignment.pk])
    assert client.get(hub).status_code == 404
    queue = client.get(reverse("grading:grader_queue")).content.decode()
    assert "Sleepers" not in queue


def test_the_queue_shows_the_version_as_submitted_after_release(
    released, grace, bob, client, django_capture_on_commit_callbacks
):
    client.force_login(grace)
    queue = reverse("grading:grader_queue")

    def rocket_row() -> str:
        page = client.get(queue).content.decode()
        return page[page.index("Team Rocket") :].split("</tr>")[0]

    assert "submitted after release" not in rocket_row()  # nothing sent since grading
    late_submission(released, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(group=released.group, student=bob, archive=upload())
    row = rocket_row()
    assert "submitted after release, not graded" in row
    assert "new version 2 since grading" in row
    # Sleepers has no grader: nobody can be given a review once grades are released.
    assert "Sleepers" not in client.get(queue).content.decode()


def test_no_review_is_assigned_after_the_release_and_the_hub_says_why(
    released, alice, grace, client, django_capture_on_commit_callbacks
):
    late_submission(released, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="Grades for this project are released"):
        services.graders_assign_round_robin(assignment=released.assignment, by=alice)
    with pytest.raises(ValidationError, match="Grades for this project are released"):
        services.grader_assign(group=released.sleepers, grader=grace, by=alice)

    client.force_login(alice)
    hub = reverse("grading:assignment_hub", args=[released.assignment.pk])
    html = client.get(hub).content.decode()
    assert 'id="allocation-closed"' in html and 'id="reassign-form"' not in html
    response = client.post(
        reverse("grading:assign_graders", args=[released.assignment.pk]), follow=True
    )
    assert "Grades for this project are released" in response.content.decode()
    assert not Review.objects.filter(group=released.sleepers).exists()


def test_after_the_release_students_no_longer_form_join_or_leave_groups(released, client):
    """Nobody would grade a group formed after the release, and a member leaving would
    take their mark away: the groups are final, whatever the project's rule, even
    when the grades were released before the deadline."""
    released.assignment.due_at = timezone.now() + timedelta(days=7)
    released.assignment.save(update_fields=["due_at"])
    newcomer = enroll(UserFactory(username="newt"), released.course)
    final = "The grades of this project are released, so its groups no longer change."
    attempts = {
        "create": lambda: group_create(
            assignment=released.assignment, student=newcomer, name="Late"
        ),
        "join": lambda: group_join(
            assignment=released.assignment, student=newcomer, join_code=released.sleepers.join_code
        ),
        "leave": lambda: group_leave(assignment=released.assignment, student=released.pia),
    }
    for attempt in attempts.values():
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages[0].startswith(final)
    assert list(released.sleepers.memberships.values_list("student__username", flat=True)) == [
        "pia"
    ]
    client.force_login(newcomer)  # the page says so in words, and changes nothing
    url = reverse("projects:group_create", args=[released.course.slug, released.assignment.slug])
    page = client.post(url, {"name": "Late"}, follow=True)
    assert final in page.content.decode()
    assert not released.assignment.groups.filter(name="Late").exists()
    # The project page offers no forms that would be refused, nor the leave button to
    # a member whose group never handed anything in; the to-do asks for no group.
    page = client.get(released.assignment.get_absolute_url()).content.decode()
    assert final in page
    assert 'id="create-group-btn"' not in page and 'id="join-group-btn"' not in page
    assert "No group yet" not in client.get(reverse("lessons:dashboard")).content.decode()
    client.force_login(released.pia)
    page = client.get(released.assignment.get_absolute_url()).content.decode()
    assert 'id="leave-group-btn"' not in page


def test_after_the_release_a_group_that_never_submitted_takes_no_version_unless_notified(
    released,
):
    """Under "accept and notify" its work is taken and the teachers told (above); under
    the rules that lock, the release locks it even before the deadline."""
    released.assignment.late_version_rule = LateVersionRule.LOCK_AT_DEADLINE
    released.assignment.due_at = released.assignment.due_at + timedelta(days=30)
    released.assignment.save(update_fields=["late_version_rule", "due_at"])
    released.sleepers.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        submission_create(group=released.sleepers, student=released.pia, archive=upload())
    assert refused.value.messages == [
        "The grades of this project are released, so it takes no new versions."
    ]
    assert not released.sleepers.submissions.exists()


def test_a_released_project_no_longer_reads_as_open_to_a_group_whose_extension_runs_on(
    released, bob, client, django_capture_on_commit_callbacks
):
    """An extension that outlasts the release: the group's pages say the grades are out
    and link them, not "due in 6 days" with a form whose version would count."""
    from projects.models import Extension

    Extension.objects.create(group=released.group, due_at=timezone.now() + timedelta(days=6))
    client.force_login(bob)
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Blog engine" not in dashboard.split('id="upcoming-deadlines"')[1].split("</section>")[0]
    mine = client.get(reverse("projects:mine")).content.decode()
    assert "Grades released" in mine and "due in" not in mine
    page = client.get(released.assignment.get_absolute_url()).content.decode()
    feedback = reverse("grading:feedback", args=[released.submission.pk])
    assert f'href="{feedback}"' in page.split('id="grades-released"')[1].split("</p>")[0]
    assert "a new version is kept and your instructors are told, but it is not graded" in page
    url = reverse("projects:submit", args=[released.course.slug, released.assignment.slug])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"archive": upload()}, follow=True).content.decode()
    assert (
        "The grades of this project are released: version 2 is kept but not graded; your "
        "instructors have been told it exists."
    ) in answer
    assert "your grader has been told" not in answer


def test_before_the_release_an_extension_still_counts_down(world, bob, client):
    from projects.models import Extension

    Extension.objects.create(group=world.group, due_at=timezone.now() + timedelta(days=6))
    client.force_login(bob)
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Blog engine" in dashboard.split('id="upcoming-deadlines"')[1].split("</section>")[0]
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    assert "due in 5\xa0days, 23\xa0hours" in page
    assert 'id="grades-released"' not in page


def test_a_released_project_stays_published_in_the_back_office(released, client, alice):
    """Unpublished after its release, a project's marks went from the students' API and
    feedback list but stayed on their feedback pages (probe 65): it stays published, as
    what its marks are computed from stays as released."""
    from access.tests.matrix import form_data

    assignment = released.assignment
    client.force_login(alice)
    url = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    page = client.get(url).content.decode()
    assert 'name="is_published"' not in page
    data = form_data(page, "projectassignment_form")
    data.pop("is_published", None)
    response = client.post(url, {**data, "_continue": ["1"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment.refresh_from_db()
    assert assignment.is_published


def test_a_mark_changed_after_the_release_is_told_to_its_student(
    released, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """An override set or cleared after the release changed the student's mark on their
    pages without a word (probe 65). Each change is emailed, without the mark."""
    before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_override(
            assignment=released.assignment,
            student=bob,
            mark=Decimal("91.5"),
            reason="Oral exam.",
            by=alice,
        )
    told = mailoutbox[before:]
    assert [m.to for m in told] == [[bob.email]]
    assert told[0].subject == f"Your mark changed: {released.assignment.title}"
    assert f"{SITE}/grading/feedback/{released.review.submission_id}/" in told[0].body
    assert "91.5" not in told[0].body and "Oral exam" not in told[0].body
    [override] = MarkOverride.objects.filter(assignment=released.assignment, student=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_override_delete(override=override, by=alice)
    assert [m.to for m in mailoutbox[before:]] == [[bob.email], [bob.email]]


def test_an_accepted_regrade_tells_each_member_whose_mark_moved(
    released, alice, bob, grace, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 88: an accepted regrade changed every member's released mark without a word,
    where an override emails its student. Dave's mark is set by hand: it did not move."""
    services.mark_override(
        assignment=released.assignment,
        student=released.dave,
        mark=Decimal(60),
        reason="x",
        by=alice,
    )
    review = Review.objects.get(group=released.group)
    regrade = services.regrade_request_create(
        review=review, criterion=released.style, student=bob, reason="Style was fine."
    )
    before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_answer(
            regrade=regrade, by=grace, accept=True, response="Agreed.", new_points=Decimal(5)
        )
    told = mailoutbox[before:]
    assert [m.to for m in told] == [[bob.email]]
    assert told[0].subject == f"Your mark changed: {released.assignment.title}"
    assert 'A regrade request of your group about "Style" was accepted' in told[0].body
    # Straight to the group's feedback, where the answer is (probe 118: to the list).
    assert f"{SITE}/grading/feedback/{review.submission_id}/\n" in told[0].body

    # A declined one changes no mark: its asker is told it was answered, with the link
    # to read why (probe 101: an accepted one was emailed, a declined one not).
    other = services.regrade_request_create(
        review=review, criterion=released.correctness, student=bob, reason="More points."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_answer(regrade=other, by=grace, accept=False, response="No.")
    [declined] = mailoutbox[before + 1 :]
    assert declined.to == [bob.email]
    assert declined.subject == (
        f"Regrade request answered: Correctness ({released.assignment.title})"
    )
    assert f"{SITE}/grading/feedback/{review.submission_id}/" in declined.body
    assert "No." not in declined.body  # the reason is read on the site


def test_an_accepted_regrade_does_not_tell_a_member_whose_capped_mark_stayed(
    alice, bob, grace, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """Probe 91: bob's peer factor caps his mark at 100 % before and after the regrade;
    he was told his mark changed while his feedback showed the same 100."""
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = SITE
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    dave = world.dave
    complete_review(world, correctness="10", style="4")  # 14 / 15 = 93.33 %
    for rater in (bob, dave):  # bob 1.2 (capped), dave 0.5
        services.peer_ratings_submit(
            group=world.group, rater=rater, ratings={bob.pk: (3, ""), dave.pk: (1, "")}
        )
    services.grades_release(assignment=world.assignment, by=alice)
    regrade = services.regrade_request_create(
        review=Review.objects.get(group=world.group),
        criterion=world.style,
        student=bob,
        reason="Style was fine.",
    )
    before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_answer(
            regrade=regrade, by=grace, accept=True, response="Agreed.", new_points=Decimal(5)
        )
    marks = assignment_marks([world.assignment.pk])
    assert marks.get(world.assignment.pk, bob.pk).mark == 100  # 112 before, 120 now
    assert marks.get(world.assignment.pk, dave.pk).mark == 50  # 46.67 before
    assert [m.to for m in mailoutbox[before:]] == [[dave.email]]


def test_a_regrade_request_is_emailed_to_its_grader_or_if_gone_to_the_instructors(
    released, alice, bob, grace, client, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 95: nobody was told of a new request; one whose grader had left the course
    waited, as plain "Open", in a list nobody opened."""
    review = Review.objects.get(group=released.group)
    with django_capture_on_commit_callbacks(execute=True):
        style = services.regrade_request_create(
            review=review, criterion=released.style, student=bob, reason="Style was fine."
        )
    [told] = mailoutbox
    assert told.to == [grace.email]
    assert told.subject == f"Regrade request from Team Rocket: Style ({released.assignment.title})"
    assert f"{SITE}/grading/regrades/{style.pk}/" in told.body
    assert "yours to answer" not in told.body and "Style was fine" not in told.body

    # Grace removed from the course: the course's instructors hear of the next one, and
    # bea, who teaches another course, does not.
    Enrollment.objects.filter(user=grace, course=released.course).delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_request_create(
            review=review, criterion=released.correctness, student=bob, reason="It worked."
        )
    assert [m.to for m in mailoutbox[1:]] == [[alice.email]]
    assert "Its grader no longer grades this course, so it is yours to answer." in (
        mailoutbox[1].body
    )
    client.force_login(alice)
    listed = client.get(reverse("grading:regrade_list")).content.decode()
    assert listed.count("Its grader has left the course: answer it yourself") == 2
    # Enrolled again but deactivated: neither answers, and both say so (probe 97).
    enroll(grace, released.course, Role.GRADER)
    listed = client.get(reverse("grading:regrade_list")).content.decode()
    assert "Its grader has left the course" not in listed
    type(grace).objects.filter(pk=grace.pk).update(is_active=False)
    listed = client.get(reverse("grading:regrade_list")).content.decode()
    assert listed.count("Its grader has left the course: answer it yourself") == 2


def test_a_mark_changed_after_the_run_was_closed_is_still_told(
    released, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 91: once the course was unpublished at the end of its run, the email went
    nowhere, while the student's feedback page showed the new mark."""
    Course.objects.filter(pk=released.course.pk).update(is_published=False)
    before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_override(
            assignment=released.assignment, student=bob, mark=Decimal(80), reason="x", by=alice
        )
    assert [m.to for m in mailoutbox[before:]] == [[bob.email]]


def test_an_override_before_the_release_is_not_emailed(
    world, alice, bob, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.mark_override(
            assignment=world.assignment, student=bob, mark=Decimal("50"), reason="Ill.", by=alice
        )
    assert callbacks == []
    assert mailoutbox == []
