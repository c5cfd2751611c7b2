"""Students are told when their deadline moves (probe 101: a deadline moved in the back
office, or a group's extension, reached nobody: students read it only by chance).

Through the back office, as the instructor does it, with the tasks run as the worker
runs them, and the emails as they leave.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from access.tests.matrix import form_data
from accounts.models import Role
from accounts.tests.test_email_retries import unreachable_mail_server  # noqa: F401 - fixture
from coursesite.dates import local_text
from coursesite.emails import RETRY_MINUTES
from lessons.tests.factories import CourseFactory
from projects.models import Extension
from projects.services import group_create, group_join
from projects.tasks import send_deadline_changed_email
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

from .test_admin_projects import inline_data

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
SITE = "https://courses.example.edu"


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = SITE


@pytest.fixture
def instructor_client(client, teacher):
    client.force_login(teacher)
    return client


def _move_deadline(client, assignment, when, capture):
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(client.get(path).content.decode(), "projectassignment_form")
    local = when.astimezone()
    data.update({"due_at_0": [local.strftime("%Y-%m-%d")], "due_at_1": [local.strftime("%H:%M")]})
    with capture(execute=True):
        response = client.post(path, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return messages_of(response)


def messages_of(response) -> list[str]:
    """The messages the instructor reads after RESPONSE."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def _extension_form(group, when, **extra) -> dict:
    local = when.astimezone()
    return inline_data(
        group,
        **{
            "extension-TOTAL_FORMS": 1,
            "extension-0-group": group.pk,
            "extension-0-due_at_0": local.strftime("%Y-%m-%d"),
            "extension-0-due_at_1": local.strftime("%H:%M"),
            "extension-0-reason": "Illness",
            **extra,
        },
    )


def test_a_moved_deadline_is_emailed_to_the_students_it_moves_for(
    instructor_client,
    assignment,
    student,
    classmate,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    course = assignment.course
    owls = group_create(assignment=assignment, student=student, name="Owls")
    # Carol's group has an extension ending after both deadlines: hers does not move.
    carol = enroll(course, username="carol")
    larks = group_create(assignment=assignment, student=carol, name="Larks")
    Extension.objects.create(group=larks, due_at=assignment.due_at + timedelta(days=30))
    enroll(course, username="gary", role=Role.GRADER)
    enroll(CourseFactory(slug="other"), username="olga")  # a student of another course
    gone = enroll(course, username="gone", is_active=False)
    later = (assignment.due_at + timedelta(days=7)).replace(second=0, microsecond=0)

    said = _move_deadline(instructor_client, assignment, later, django_capture_on_commit_callbacks)

    assert f"2 students are emailed the new deadline ({local_text(later)})." in said
    told = {tuple(message.to): message for message in mailoutbox}
    assert set(told) == {(student.email,), (classmate.email,)}
    assert carol.email and gone.email  # they had addresses, and were left out
    email = told[(student.email,)]
    assert email.subject == "New deadline: Web app"
    assert f"it is now {local_text(later)}" in email.body
    assert f"{SITE}/projects/courses/pyweb/webapp/" in email.body
    html = email.alternatives[0][0]
    assert f"<strong>{local_text(later)}</strong>" in html
    assert owls.pk  # bob's group has no extension: the project's deadline is his


def test_a_draft_s_or_a_released_project_s_deadline_is_emailed_to_nobody(
    instructor_client, course, student, mailoutbox, django_capture_on_commit_callbacks
):
    draft = ProjectAssignmentFactory(course=course, slug="draft", is_published=False)
    said = _move_deadline(
        instructor_client,
        draft,
        draft.due_at + timedelta(days=2),
        django_capture_on_commit_callbacks,
    )
    assert not any("emailed" in message for message in said)
    assert mailoutbox == []


def test_a_draft_published_in_the_save_that_sets_its_deadline_emails_nobody(
    instructor_client, course, student, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 105: publishing a draft and setting its deadline in one save told its
    students "the deadline changed" of a project they had never seen."""
    draft = ProjectAssignmentFactory(course=course, slug="draft", is_published=False)
    path = reverse("admin:projects_projectassignment_change", args=[draft.pk])
    data = form_data(instructor_client.get(path).content.decode(), "projectassignment_form")
    local = (draft.due_at + timedelta(days=2)).astimezone()
    data.update(
        {
            "due_at_0": [local.strftime("%Y-%m-%d")],
            "due_at_1": [local.strftime("%H:%M")],
            "is_published": ["on"],
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(path, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    said = messages_of(response)
    assert not any("emailed" in message for message in said)
    assert mailoutbox == []


def test_the_count_said_is_the_emails_that_go(
    instructor_client,
    assignment,
    student,
    classmate,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """Probe 105: "4 students are emailed" of a closed course, where none went; an
    extension's count took in a member whose account is closed."""
    owls = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=owls.join_code)
    classmate.is_active = False
    classmate.save()
    later = (assignment.due_at + timedelta(days=3)).replace(second=0, microsecond=0)
    path = reverse("admin:projects_group_change", args=[owls.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(path, _extension_form(owls, later))
    said = messages_of(response)
    assert f"1 member of “Owls” is emailed the group's deadline ({local_text(later)})." in said
    assert [message.to for message in mailoutbox] == [[student.email]]

    course = assignment.course
    course.is_published = False
    course.save()
    instructor_client.get(path)  # the messages read
    said = _move_deadline(
        instructor_client,
        assignment,
        later + timedelta(days=1),
        django_capture_on_commit_callbacks,
    )
    assert not any("emailed" in message for message in said)
    assert len(mailoutbox) == 1


def test_a_student_who_left_before_the_email_went_hears_nothing(
    assignment, student, classmate, mailoutbox
):
    classmate.enrollments.all().delete()  # removed between the change and the email
    sent = send_deadline_changed_email.call(
        assignment_id=assignment.pk, user_ids=[student.pk, classmate.pk]
    )
    assert sent == 1
    assert [message.to for message in mailoutbox] == [[student.email]]


def test_an_extension_granted_changed_and_removed_is_emailed_to_the_group(
    instructor_client,
    assignment,
    student,
    classmate,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    owls = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=owls.join_code)
    outsider = enroll(assignment.course, username="carol")
    path = reverse("admin:projects_group_change", args=[owls.pk])
    later = (assignment.due_at + timedelta(days=3)).replace(second=0, microsecond=0)

    def save(**extra) -> list[str]:
        """Save the group's page; return the messages the instructor reads after it."""
        with django_capture_on_commit_callbacks(execute=True):
            response = instructor_client.post(path, _extension_form(owls, later, **extra))
        assert response.status_code == 302
        return messages_of(response)

    said = save()
    assert f"2 members of “Owls” are emailed the group's deadline ({local_text(later)})." in said
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [student.email, classmate.email]
    )
    assert outsider.email not in {message.to[0] for message in mailoutbox}
    email = mailoutbox[0]
    assert email.subject == "Your group's deadline: Web app"
    assert 'Your group "Owls" has an extension' in email.body
    assert f"its deadline is now {local_text(later)}" in email.body
    assert f"The project's own deadline is {local_text(assignment.due_at)}" in email.body
    assert "Illness" not in email.body  # the reason may concern one member alone
    instructor_client.get(path)  # the messages read

    # The reason corrected: no deadline moved, nobody is emailed again.
    extension = Extension.objects.get(group=owls)
    kept = {"extension-INITIAL_FORMS": 1, "extension-0-id": extension.pk}
    said = save(**kept, **{"extension-0-reason": "Illness (note seen)"})
    assert len(mailoutbox) == 2
    assert not any("emailed" in message for message in said)
    instructor_client.get(path)

    # Removed: the group's deadline is the project's again, and its members hear it.
    said = save(**kept, **{"extension-0-DELETE": "on"})
    assert not Extension.objects.filter(group=owls).exists()
    removed = mailoutbox[2:]
    assert sorted(message.to[0] for message in removed) == sorted([student.email, classmate.email])
    assert removed[0].subject == "New deadline: Web app"
    assert f"it is now {local_text(assignment.due_at)}" in removed[0].body
    project_deadline = local_text(assignment.due_at)
    assert f"2 members of “Owls” are emailed the group's deadline ({project_deadline})." in said


@pytest.mark.usefixtures("unreachable_mail_server")
def test_a_mail_server_down_tries_the_deadline_notice_again(assignment, student, classmate):
    """Only the notices the mail server refused are queued again, for later."""
    before = timezone.now()
    ids = [student.pk, classmate.pk]
    assert send_deadline_changed_email.call(assignment_id=assignment.pk, user_ids=ids) == 0
    [retry] = default_task_backend.results
    assert retry.kwargs == {"assignment_id": assignment.pk, "user_ids": ids, "attempt": 2}
    assert retry.task.run_after >= before + timedelta(minutes=RETRY_MINUTES[0])
