from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.tests.matrix import form_data
from accounts.models import Role
from coursesite.dates import local_text
from lessons.tests.factories import CourseFactory
from projects.models import (
    Extension,
    Group,
    GroupMembership,
    LateVersionRule,
    MembershipEvent,
    ProjectAssignment,
)
from projects.services import group_create, group_join, submission_create
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll, zip_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, teacher):
    client.force_login(teacher)
    return client


@pytest.fixture
def owls(assignment, student):
    group = group_create(assignment=assignment, student=student, name="Owls")
    submission_create(group=group, student=student, archive=zip_upload())
    return group


def inline_data(group, **extra) -> dict:
    """Return the POST data of the group change form with no change, plus EXTRA."""
    members = list(group.memberships.all())
    data = {
        "assignment": group.assignment_id,
        "name": group.name,
        "memberships-TOTAL_FORMS": len(members),
        "memberships-INITIAL_FORMS": len(members),
        "memberships-2-TOTAL_FORMS": 1,
        "memberships-2-INITIAL_FORMS": 0,
        "memberships-2-0-student": "",
        "extension-TOTAL_FORMS": 0,
        "extension-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    for index, membership in enumerate(members):
        data[f"memberships-{index}-id"] = membership.pk
        data[f"memberships-{index}-group"] = group.pk
    data.update(extra)
    return data


def test_the_changelists_and_forms_render(admin_client, owls, assignment):
    for name in (
        "projectassignment_changelist",
        "projectassignment_add",
        "group_changelist",
        "group_add",
        "submission_changelist",
    ):
        assert admin_client.get(reverse(f"admin:projects_{name}")).status_code == 200, name
    page = admin_client.get(reverse("admin:projects_group_change", args=[owls.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Membership history" in html and "Deadline extension" in html
    submission = owls.submissions.get()
    page = admin_client.get(reverse("admin:projects_submission_changelist"))
    assert submission.get_download_url() in page.content.decode()
    assert admin_client.get(submission.get_download_url()).status_code == 200


def test_instructors_only_see_their_courses(client, alice, owls):
    other_course = CourseFactory()
    enroll(other_course, alice, role=Role.INSTRUCTOR)
    client.force_login(alice)
    page = client.get(reverse("admin:projects_group_changelist")).content.decode()
    assert "Owls" not in page
    assert client.get(reverse("admin:projects_group_change", args=[owls.pk])).status_code == 404


def test_the_brief_is_rendered_on_save(admin_client, course):
    assignment = ProjectAssignmentFactory(course=course, brief="**Bold**<script>x()</script>")
    # A tag named in a sentence shows as typed, never as markup (lessons/rendering.py).
    assert assignment.brief_html == "<p><strong>Bold</strong>&lt;script&gt;x()&lt;/script&gt;</p>"


def test_auto_form_action(admin_client, assignment, course):
    students = [enroll(course) for _ in range(5)]
    response = admin_client.post(
        reverse("admin:projects_projectassignment_changelist"),
        {"action": "auto_form_groups", "_selected_action": [assignment.pk]},
        follow=True,
    )
    assert "placed 5 student(s), 2 new group(s)" in response.content.decode()
    assert GroupMembership.objects.filter(student__in=students).count() == 5
    assert sorted(g.memberships.count() for g in Group.objects.all()) == [2, 3]


def test_adding_a_student_from_another_group_moves_them(admin_client, owls, classmate, teacher):
    larks = group_create(assignment=owls.assignment, student=classmate, name="Larks")
    other = enroll(owls.assignment.course)
    group_create(assignment=owls.assignment, student=other, name="Wrens")
    response = admin_client.post(
        reverse("admin:projects_group_change", args=[larks.pk]),
        inline_data(larks, **{"memberships-2-0-student": other.pk}),
        follow=True,
    )
    assert response.status_code == 200
    assert "moved from “Wrens” to “Larks”" in response.content.decode()
    assert GroupMembership.objects.get(student=other).group == larks
    assert MembershipEvent.objects.filter(student=other, action="removed", actor=teacher).exists()
    assert MembershipEvent.objects.filter(student=other, action="added", group=larks).exists()


def test_a_name_taken_in_other_capitals_is_refused_as_students_are(admin_client, owls, classmate):
    """Probe 90: the back office renamed a group "owls" beside "Owls"."""
    larks = group_create(assignment=owls.assignment, student=classmate, name="Larks")
    data = {**inline_data(larks), "name": "owls"}
    response = admin_client.post(reverse("admin:projects_group_change", args=[larks.pk]), data)
    assert response.status_code == 200
    assert "Another group of this project already has this name" in response.content.decode()
    assert Group.objects.get(pk=larks.pk).name == "Larks"
    for look_alike in ("owls ", "Owls\u00a0", "  OWLS"):  # spaces as students' (probe 93)
        data = {**inline_data(larks), "name": look_alike}
        response = admin_client.post(reverse("admin:projects_group_change", args=[larks.pk]), data)
        assert "Another group of this project already has this name" in response.content.decode()
    data = {**inline_data(larks), "name": "LARKS"}  # its own name in other capitals: fine
    response = admin_client.post(reverse("admin:projects_group_change", args=[larks.pk]), data)
    assert response.status_code == 302
    assert Group.objects.get(pk=larks.pk).name == "LARKS"


def test_adding_refuses_outsiders_and_full_groups(admin_client, owls, charlie, course):
    path = reverse("admin:projects_group_change", args=[owls.pk])
    response = admin_client.post(path, inline_data(owls, **{"memberships-2-0-student": charlie.pk}))
    assert "Choose a person enrolled in a course you teach." in response.content.decode()
    assert not GroupMembership.objects.filter(student=charlie).exists()
    owls.assignment.max_group_size = 1
    owls.assignment.save()
    newcomer = enroll(course)
    response = admin_client.post(
        path, inline_data(owls, **{"memberships-2-0-student": newcomer.pk})
    )
    assert "at most 1 members" in response.content.decode()
    assert not GroupMembership.objects.filter(student=newcomer).exists()


def test_removing_a_member_keeps_the_history(admin_client, owls, student):
    path = reverse("admin:projects_group_change", args=[owls.pk])
    response = admin_client.post(path, inline_data(owls, **{"memberships-0-DELETE": "on"}))
    assert response.status_code == 302
    assert not owls.memberships.exists()
    assert MembershipEvent.objects.filter(student=student, action="removed").exists()


def test_the_groups_history_forgets_an_anonymised_members_name(
    admin_client, owls, course, django_user_model
):
    """Added and then removed in the back office, a student later anonymised is named by
    the pseudonym in the group's history, not as they were (probe 115)."""
    from accounts.services import account_anonymise

    path = reverse("admin:projects_group_change", args=[owls.pk])
    newcomer = enroll(course)
    newcomer.display_name = "Nia Newcomer"
    newcomer.save()
    added = admin_client.post(path, inline_data(owls, **{"memberships-2-0-student": newcomer.pk}))
    assert added.status_code == 302
    index = list(owls.memberships.values_list("student", flat=True)).index(newcomer.pk)
    removed = admin_client.post(path, inline_data(owls, **{f"memberships-{index}-DELETE": "on"}))
    assert removed.status_code == 302
    history = reverse("admin:projects_group_history", args=[owls.pk])
    assert admin_client.get(history).content.decode().count("Nia Newcomer in Owls") == 2

    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    account_anonymise(person=newcomer, by=superuser)

    text = admin_client.get(history).content.decode()
    assert "Nia Newcomer" not in text
    assert text.count(f"Former member {newcomer.pk} in Owls") == 2


def test_granting_an_extension(admin_client, owls, teacher):
    path = reverse("admin:projects_group_change", args=[owls.pk])
    too_early = owls.assignment.due_at - timedelta(days=1)
    later = owls.assignment.due_at + timedelta(days=3)

    def post(when):
        local = when.astimezone()
        return admin_client.post(
            path,
            inline_data(
                owls,
                **{
                    "extension-TOTAL_FORMS": 1,
                    "extension-0-due_at_0": local.strftime("%Y-%m-%d"),
                    "extension-0-due_at_1": local.strftime("%H:%M:%S"),
                    "extension-0-reason": "Illness",
                    "extension-0-group": owls.pk,
                },
            ),
        )

    assert "must end after the project" in post(too_early).content.decode()
    response = post(later)
    assert response.status_code == 302
    assert not any("stays closed" in str(m) for m in get_messages(response.wsgi_request))
    extension = Extension.objects.get(group=owls)
    assert extension.granted_by == teacher and extension.reason == "Illness"
    assert abs((extension.due_at - later).total_seconds()) < 1

    # Its grading started under "lock when grading starts": saved, and said to reopen
    # nothing (probe 101: saved unsaid while the student read a countdown).
    Group.objects.filter(pk=owls.pk).update(
        grading_started_at=timezone.now(), graded_submission=owls.submissions.get()
    )
    Extension.objects.filter(group=owls).delete()
    response = post(later + timedelta(days=1))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        "is saved, but its hand-in stays closed: its grading has started" in m for m in said
    ), said
    # Under "lock at the deadline", an extension already ended says that (probe 102: "the
    # grades are released").
    Group.objects.filter(pk=owls.pk).update(grading_started_at=None, graded_submission=None)
    ProjectAssignment.objects.filter(pk=owls.assignment_id).update(
        late_version_rule=LateVersionRule.LOCK_AT_DEADLINE,
        opens_at=timezone.now() - timedelta(days=20),
        due_at=timezone.now() - timedelta(days=9),
    )
    owls.assignment.refresh_from_db()
    Extension.objects.filter(group=owls).delete()
    response = post(timezone.now() - timedelta(days=1))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("stays closed: the extension has already ended" in m for m in said), said
    Group.objects.filter(pk=owls.pk).update(
        grading_started_at=timezone.now(), graded_submission=owls.submissions.get()
    )
    ProjectAssignment.objects.filter(pk=owls.assignment_id).update(
        late_version_rule=LateVersionRule.LOCK_WHEN_GRADING,
        due_at=timezone.now() + timedelta(days=9),
    )
    # Its students read no countdown to a hand-in that is closed.
    from django.test import Client

    member = Client()
    member.force_login(owls.memberships.first().student)
    page = member.get(owls.assignment.get_absolute_url()).content.decode()
    assert re.search(r"due in [^<]*: no more versions", page.replace("\xa0", " "))


def test_submissions_cannot_be_edited_or_deleted(admin_client, owls):
    submission = owls.submissions.get()
    change = admin_client.get(reverse("admin:projects_submission_change", args=[submission.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    delete = reverse("admin:projects_submission_delete", args=[submission.pk])
    assert admin_client.get(delete).status_code == 403


def test_csv_export_of_status_per_group(admin_client, owls, assignment, course, classmate):
    larks = group_create(assignment=assignment, student=classmate, name="=cmd|' /C calc'!A0")
    Extension.objects.create(group=larks, due_at=assignment.due_at + timedelta(days=2))
    loner = enroll(course, username="zed", display_name="Zed Alone")
    response = admin_client.post(
        reverse("admin:projects_projectassignment_changelist"),
        {"action": "export_status_csv", "_selected_action": [assignment.pk]},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    by_group = {row["Group"]: row for row in rows}
    owls_row = by_group["Owls"]
    assert owls_row["Versions"] == "1" and owls_row["Latest version"] == "1"
    assert owls_row["Late"] == "no" and owls_row["SHA-256"] == owls.submissions.get().sha256
    assert owls_row["Members"] == str(owls.memberships.get().student)
    injected = by_group["'=cmd|' /C calc'!A0"]
    assert injected["Extended"] == "yes" and injected["Versions"] == "0"
    assert by_group["(no group)"]["Members"] == str(loner)


def test_status_csv_names_the_zone_and_the_penalty_of_the_version_graded(
    admin_client, owls, assignment, student
):
    from projects.models import LatePolicy, Submission

    assignment.late_policy = LatePolicy.PENALTY
    assignment.late_penalty_per_day = 10
    assignment.save()
    graded = owls.submissions.get()
    late = submission_create(
        group=owls, student=student, archive=zip_upload(files={"app.py": "print(2)\n"})
    )
    # Version 1 on time and graded; version 2 a day late, after grading started.
    Submission.objects.filter(pk=graded.pk).update(
        submitted_at=assignment.due_at - timedelta(hours=1)
    )
    submitted_at = assignment.due_at + timedelta(hours=2)
    Submission.objects.filter(pk=late.pk).update(submitted_at=submitted_at, is_late=True)
    Group.objects.filter(pk=owls.pk).update(graded_submission=graded)
    response = admin_client.post(
        reverse("admin:projects_projectassignment_changelist"),
        {"action": "export_status_csv", "_selected_action": [assignment.pk]},
    )
    rows = csv.DictReader(io.StringIO(response.content.decode().removeprefix("\ufeff")))
    row = next(row for row in rows if row["Group"] == "Owls")
    assert (row["Latest version"], row["Late"], row["Days late"]) == ("2", "yes", "1")
    assert row["Penalty %"] == "10.00"
    assert (row["Graded version"], row["Graded version's penalty %"]) == ("1", "0.00")
    # Times carry the zone's name, as on the pages.
    for column, time in (("Deadline", assignment.due_at), ("Submitted at", submitted_at)):
        local = timezone.localtime(time)
        assert row[column] == f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}" and local.tzname()


def test_submissions_filter_by_typing_part_of_a_group_name(admin_client, owls, assignment, course):
    other = enroll(course)
    foxes = group_create(assignment=assignment, student=other, name="Foxes")
    submission_create(group=foxes, student=other, archive=zip_upload())
    url = reverse("admin:projects_submission_changelist")
    response = admin_client.get(url, {"group_name": "ox", "is_late__exact": "0"})
    listed = {s.group.name for s in response.context["cl"].result_list}
    assert listed == {"Foxes"}
    html = response.content.decode()
    # The box keeps the other active filter when it is submitted again.
    assert 'name="is_late__exact" value="0"' in html
    assert 'name="group_name" value="ox"' in html


def test_group_list_shows_members_size_and_latest_version(admin_client, owls, assignment, course):
    dana = enroll(course, username="dana", display_name="Dana Classmate")
    group_join(assignment=assignment, student=dana, join_code=owls.join_code)
    submission_create(group=owls, student=dana, archive=zip_upload())
    eve = enroll(course, username="eve", display_name="Eve Loner")
    hermits = group_create(assignment=assignment, student=eve, name="Hermits")
    submission_create(group=hermits, student=eve, archive=zip_upload())
    Group.objects.create(assignment=assignment, name="Empty")
    url = reverse("admin:projects_group_changelist")

    response = admin_client.get(url)
    rows = {g.name: (g.member_total, g.latest) for g in response.context["cl"].result_list}
    assert rows == {"Owls": (2, 2), "Hermits": (1, 1), "Empty": (0, None)}
    html = response.content.decode()
    assert "Bob Student, Dana Classmate" in html  # in the order they joined
    assert "v2" in html
    # The size and latest-version columns (4th and 7th) still sort.
    by_size = admin_client.get(url, {"o": "-4"}).context["cl"].result_list
    assert [g.name for g in by_size] == ["Owls", "Hermits", "Empty"]
    by_version = admin_client.get(url, {"o": "7"}).context["cl"].result_list
    # Where a group without a version sorts (first or last) depends on the database.
    assert [g.name for g in by_version if g.latest] == ["Hermits", "Owls"]


def test_a_version_is_late_or_on_time_against_the_groups_deadline_as_it_is_now(
    admin_client, owls, student
):
    # A version handed in after the deadline stayed "Late" once an extension covered
    # it (its penalty was already 0), and the API's is_late with it.
    assignment = owls.assignment
    version = owls.submissions.get()
    version.submitted_at = assignment.due_at + timedelta(hours=5)
    version.is_late = True
    version.save()
    path = reverse("admin:projects_group_change", args=[owls.pk])
    local = (assignment.due_at + timedelta(days=2)).astimezone()
    extension = {
        "extension-TOTAL_FORMS": 1,
        "extension-0-due_at_0": local.strftime("%Y-%m-%d"),
        "extension-0-due_at_1": local.strftime("%H:%M:%S"),
        "extension-0-group": owls.pk,
    }
    assert admin_client.post(path, inline_data(owls, **extension)).status_code == 302
    version.refresh_from_db()
    assert version.is_late is False
    student_client = Client()
    student_client.force_login(student)
    page = student_client.get(assignment.get_absolute_url()).content.decode()
    assert "On time" in page and "Late</span>" not in page

    granted = Extension.objects.get(group=owls)
    withdrawn = {**extension, "extension-INITIAL_FORMS": 1, "extension-0-id": granted.pk}
    withdrawn["extension-0-DELETE"] = "on"
    assert admin_client.post(path, inline_data(owls, **withdrawn)).status_code == 302
    version.refresh_from_db()
    assert version.is_late is True

    # The project's deadline moved past the version, in the back office.
    project_path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(project_path).content.decode(), "projectassignment_form")
    later = (assignment.due_at + timedelta(days=1)).astimezone()
    data.update(
        {"due_at_0": [later.strftime("%Y-%m-%d")], "due_at_1": [later.strftime("%H:%M:%S")]}
    )
    assert admin_client.post(project_path, data).status_code == 302
    version.refresh_from_db()
    assert version.is_late is False


def test_renaming_a_group_to_a_taken_name_says_so_and_keeps_the_form(
    admin_client, owls, assignment, classmate
):
    # The project is read-only on a group's change page, so Django left (project, name)
    # out of its checks: the database refused the save, reported as someone else's
    # edit, and the typed name was lost.
    group_create(assignment=assignment, student=classmate, name="Hawks")
    path = reverse("admin:projects_group_change", args=[owls.pk])
    response = admin_client.post(path, inline_data(owls, name="Hawks"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "already has this name" in page and "at the same moment" not in page
    assert 'value="Hawks"' in page
    owls.refresh_from_db()
    assert owls.name == "Owls"
    assert admin_client.post(path, inline_data(owls, name="Barn owls")).status_code == 302


def test_a_move_that_leaves_a_group_smaller_than_asked_says_so(admin_client, owls, classmate):
    assignment = owls.assignment
    assignment.min_group_size = 2
    assignment.save()
    group_join(assignment=assignment, student=classmate, join_code=owls.join_code)
    other = enroll(assignment.course)
    wrens = group_create(assignment=assignment, student=other, name="Wrens")
    response = admin_client.post(
        reverse("admin:projects_group_change", args=[wrens.pk]),
        inline_data(wrens, **{"memberships-2-0-student": classmate.pk}),
        follow=True,
    )
    page = response.content.decode()
    assert "moved from “Owls” to “Wrens”" in page
    assert "“Owls” now has 1 member(s), fewer than the 2 this project asks for" in page


def test_the_project_form_shows_each_cross_field_error_by_its_field(admin_client, assignment):
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    data["min_group_size"], data["max_group_size"] = ["4"], ["2"]
    data["due_at_0"], data["due_at_1"] = data["opens_at_0"], data["opens_at_1"]
    response = admin_client.post(path, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["min_group_size"] == [
        "The minimum group size cannot be above the maximum (2)."
    ]
    assert form.errors["due_at"] == ["The deadline must be after the opening time."]
    assert not form.non_field_errors()  # each message once, by its field


def test_the_maximum_group_size_cannot_go_under_a_groups_size(admin_client, owls, classmate):
    """Lowered to 1 under Owls' two members, students read "Owls (2 of at most 1)" (probe 36)."""
    assignment = owls.assignment
    group_join(assignment=assignment, student=classmate, join_code=owls.join_code)
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    data["min_group_size"], data["max_group_size"], data["title"] = ["1"], ["1"], ["Renamed"]
    response = admin_client.post(path, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["max_group_size"] == [
        "Some groups have more members than 1: “Owls” (2). Move students out of them first "
        "(the group's “Add or move students”), or keep the maximum at 3."
    ]
    assignment.refresh_from_db()
    assert (assignment.max_group_size, assignment.title) == (3, "Web app")
    # Kept above its groups, or raised, the size saves.
    data["max_group_size"] = ["2"]
    assert admin_client.post(path, data).status_code == 302
    assignment.refresh_from_db()
    assert (assignment.max_group_size, assignment.title) == (2, "Renamed")


def test_adding_a_member_again_is_refused_on_its_row(admin_client, owls, student):
    """It said "changed successfully" and logged a false "added" in the history."""
    events = MembershipEvent.objects.count()
    path = reverse("admin:projects_group_change", args=[owls.pk])
    response = admin_client.post(path, inline_data(owls, **{"memberships-2-0-student": student.pk}))
    assert response.status_code == 200
    assert "Already a member of this group." in response.content.decode()
    assert MembershipEvent.objects.count() == events


def test_the_group_list_names_the_deadlines_zone(admin_client, owls):

    html = admin_client.get(reverse("admin:projects_group_changelist")).content.decode()
    assert local_text(owls.deadline()) in html


def test_a_deadline_moved_past_an_extension_warns_and_leaves_the_group_page_saveable(
    admin_client, owls
):
    assignment = owls.assignment
    granted = Extension.objects.create(group=owls, due_at=assignment.due_at + timedelta(days=1))
    project_path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(project_path).content.decode(), "projectassignment_form")
    later = (assignment.due_at + timedelta(days=3)).astimezone()
    data.update(
        {"due_at_0": [later.strftime("%Y-%m-%d")], "due_at_1": [later.strftime("%H:%M:%S")]}
    )
    page = admin_client.post(project_path, data, follow=True).content.decode()
    assert "The new deadline is later than the extension of 1 group (Owls)" in page

    # The group's page saves with the old extension untouched (it no longer applies)...
    path = reverse("admin:projects_group_change", args=[owls.pk])
    kept = granted.due_at.astimezone()
    extension = {
        "extension-TOTAL_FORMS": 1,
        "extension-INITIAL_FORMS": 1,
        "extension-0-id": granted.pk,
        "extension-0-group": owls.pk,
        "extension-0-due_at_0": kept.strftime("%Y-%m-%d"),
        "extension-0-due_at_1": kept.strftime("%H:%M:%S"),
    }
    saved = admin_client.post(path, inline_data(owls, name="Barn owls", **extension))
    assert saved.status_code == 302
    owls.refresh_from_db()
    assert owls.name == "Barn owls"
    # ...but an extension changed to end before the deadline is still refused.
    earlier = (granted.due_at + timedelta(hours=1)).astimezone()
    extension["extension-0-due_at_1"] = earlier.strftime("%H:%M:%S")
    extension["extension-0-due_at_0"] = earlier.strftime("%Y-%m-%d")
    refused = admin_client.post(path, inline_data(owls, **extension))
    assert refused.status_code == 200
    assert "An extension must end after the project&#x27;s deadline." in refused.content.decode()


def test_a_group_size_past_any_class_is_refused_in_words(admin_client, assignment):
    """Past the database's range the form said "at most 9223372036854775807"."""
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    before = assignment.max_group_size
    data["max_group_size"] = ["99999999999999999999"]
    response = admin_client.post(path, data)
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["max_group_size"]
    assert "100" in message and "9223372036854775807" not in message
    assignment.refresh_from_db()
    assert assignment.max_group_size == before


@pytest.mark.parametrize(
    ("field", "low", "high"), [("max_upload_mb", 1, 500), ("min_group_size", 1, 100)]
)
def test_a_number_field_states_one_range_in_the_page_and_in_its_messages(
    admin_client, assignment, field, low, high
):
    """The form said "at least 0" for -1 (and the browser offered 0), then "at least 1"
    for 0: the bounds are the model's, in the input and in every message."""
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    page = admin_client.get(path).content.decode()
    tag = page[page.index(f'name="{field}"') :]
    tag = tag[: tag.index(">")]
    assert f'min="{low}"' in tag and f'max="{high}"' in tag
    data = form_data(page, "projectassignment_form")
    before = getattr(assignment, field)
    for typed in ("-1", str(low - 1)):
        data[field] = [typed]
        response = admin_client.post(path, data)
        assert response.status_code == 200
        [message] = response.context["adminform"].form.errors[field]
        assert message == f"Ensure this value is greater than or equal to {low}."
    data[field] = [str(high + 1)]
    [message] = admin_client.post(path, data).context["adminform"].form.errors[field]
    assert message == f"Ensure this value is less than or equal to {high}."
    assignment.refresh_from_db()
    assert getattr(assignment, field) == before


def test_a_deadline_is_typed_day_first_and_a_wrong_one_says_how(admin_client, assignment):
    """Probe 44: "20/12/2026" on a Brussels site got "Enter a valid date." with no word of
    the shape wanted, and "05/12/2026" would have been 12 May (Django's English formats)."""
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    year = timezone.localtime(assignment.opens_at).year + 1
    for typed, day in ((f"20/12/{year}", (12, 20)), (f"05/12/{year}", (12, 5))):
        data.update({"due_at_0": [typed], "due_at_1": ["17:00"]})
        assert admin_client.post(path, data).status_code == 302, typed
        assignment.refresh_from_db()
        due = timezone.localtime(assignment.due_at)
        assert (due.year, due.month, due.day, due.hour) == (year, *day, 17), typed
    data.update({"due_at_0": [f"31/31/{year}"], "due_at_1": ["5pm"]})
    page = admin_client.post(path, data).content.decode()
    assert "Enter the date as day/month/year (20/12/2026) or year-month-day" in page
    assert "Enter the time as hours:minutes on a 24-hour clock, such as 17:00." in page
    assignment.refresh_from_db()
    assert timezone.localtime(assignment.due_at).day == 5


def test_a_published_project_whose_deadline_has_passed_is_saved_and_said(admin_client, assignment):
    """Probe 83: next term's project saved with last year's date, without a word."""
    from html import unescape

    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    past = (timezone.now() - timedelta(days=6)).astimezone()
    data.update(
        {
            "due_at_0": [past.strftime("%Y-%m-%d")],
            "due_at_1": [past.strftime("%H:%M:%S")],
            "opens_at_0": [(past - timedelta(days=30)).strftime("%Y-%m-%d")],
            "is_published": ["on"],
            "late_policy": ["none"],
        }
    )
    said = unescape(admin_client.post(path, data, follow=True).content.decode())
    assert f"The deadline of {assignment.title} (" in said
    assert "has already passed: no group can hand in any more (no late work), but for " in said
    assignment.refresh_from_db()
    assert assignment.due_at < timezone.now()  # saved: back-dating may be meant

    future = (timezone.now() + timedelta(days=20)).astimezone()
    data.update(
        {"due_at_0": [future.strftime("%Y-%m-%d")], "due_at_1": [future.strftime("%H:%M:%S")]}
    )
    said = unescape(admin_client.post(path, data, follow=True).content.decode())
    assert "has already passed" not in said


def test_a_draft_project_whose_deadline_has_passed_is_said_too(admin_client, assignment):
    """Probe 96: a new project, a draft, typed with last year's dates: saved unsaid."""
    from html import unescape

    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    data.pop("is_published", None)
    past = (timezone.now() - timedelta(days=300)).astimezone()
    data.update(
        {
            "due_at_0": [past.strftime("%Y-%m-%d")],
            "due_at_1": [past.strftime("%H:%M:%S")],
            "opens_at_0": [(past - timedelta(days=30)).strftime("%Y-%m-%d")],
            "late_policy": ["none"],
        }
    )
    said = unescape(admin_client.post(path, data, follow=True).content.decode())
    assert (
        "has already passed: once it is published, no group can hand in any more (no late work)"
    ) in said


def test_a_maximum_penalty_below_one_days_is_refused_on_its_field(admin_client, assignment):
    """Probe 96: students read "10% per started day, at most 5%"."""
    from html import unescape

    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    data.update(
        {"late_policy": ["penalty"], "late_penalty_per_day": ["10"], "late_penalty_cap": ["5"]}
    )
    page = unescape(admin_client.post(path, data).content.decode())
    assert (
        "The maximum penalty is below one day's penalty (10 %): raise it to at least 10, or "
        "lower the penalty per day."
    ) in page
    assignment.refresh_from_db()
    assert assignment.late_penalty_cap != 5
    data["late_penalty_cap"] = ["10"]
    assert admin_client.post(path, data).status_code == 302


def test_a_member_removed_from_the_course_is_marked_in_the_back_office(
    admin_client, owls, student, classmate, course
):
    """Probe 101: the grading page said "removed from the course", the group's list and
    page showed a plain member."""
    from lessons.models import Enrollment

    group_join(assignment=owls.assignment, student=classmate, join_code=owls.join_code)
    Enrollment.objects.filter(user=student, course=course).delete()
    listed = admin_client.get(reverse("admin:projects_group_changelist")).content.decode()
    assert f"{student} (no longer a student of the course), {classmate}" in unescape(listed)
    page = unescape(
        admin_client.get(reverse("admin:projects_group_change", args=[owls.pk])).content.decode()
    )
    assert page.count("no longer a student of it") == 1


def test_the_history_says_dates_as_the_back_office_does_and_an_empty_field_as_empty(
    admin_client, assignment
):
    """Probe 101: "Due at: 2026-12-12 11:50:51+00:00 → …" beside "Sat 12 Dec 2026, 12:50
    CET" on the project's page, and "Deleted user (pk=None)" for a field never set."""
    path = reverse("admin:projects_projectassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(path).content.decode(), "projectassignment_form")
    before = assignment.due_at
    later = (before + timedelta(days=2)).astimezone().replace(second=0, microsecond=0)
    data.update(
        {
            "due_at_0": [later.strftime("%Y-%m-%d")],
            "due_at_1": [later.strftime("%H:%M:%S")],
            "late_policy": ["none"],
            "is_published": [] if assignment.is_published else ["on"],
        }
    )
    assert admin_client.post(path, data).status_code == 302
    history_path = reverse("admin:projects_projectassignment_history", args=[assignment.pk])
    history = unescape(admin_client.get(history_path).content.decode())
    changes = re.findall(r"<li>\s*<strong>Due at:</strong>(.*?)</li>", history, re.S)
    assert [" ".join(change.split()) for change in changes] == [
        f"{local_text(before, seconds=True)} → {local_text(later, seconds=True)}"
    ]
    # Choices and yes/no as the form says them (probe 107: "penalty → none", "True").
    policy = re.findall(r"<strong>Late policy:</strong>(.*?)</li>", history, re.S)
    assert [" ".join(change.split()) for change in policy] == [
        "Accepted with a penalty per day, up to a cap → No late work accepted"
    ], policy
    published = re.findall(r"<strong>Published:</strong>(.*?)</li>", history, re.S)
    assert [" ".join(change.split()) for change in published] in (["yes → no"], ["no → yes"])
    assert "+00:00" not in history and "pk=None" not in history, re.findall(
        r"<li>.*?</li>", history, re.S
    )[:5]
