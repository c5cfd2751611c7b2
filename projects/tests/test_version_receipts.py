"""Each member of a group is emailed a receipt of every version handed in (probe 123: no
email said a version went in, so a teammate learnt of it by chance and nobody kept a
record of the moment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lessons.models import Enrollment
from projects.models import LatePolicy
from projects.services import group_create, group_join, submission_create
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

from .factories import make_zip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("emails_at_once")]
SITE = "https://courses.example.edu"  # as emails_at_once sets it


def test_each_member_gets_a_receipt_naming_who_what_and_when(
    course, assignment, student, classmate, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    outsider = enroll(course, username="olga", display_name="Olga Other")
    archive = SimpleUploadedFile("owls.zip", make_zip({"app.py": "print(1)\n"}))
    with django_capture_on_commit_callbacks(execute=True):
        version = submission_create(group=group, student=student, archive=archive)

    by_address = {message.to[0]: message for message in mailoutbox}
    assert sorted(by_address) == sorted([student.email, classmate.email])
    assert outsider.email not in by_address
    mine, theirs = by_address[student.email], by_address[classmate.email]
    assert mine.subject == "Version 1 handed in: Web app"
    assert 'You handed in version 1 of "Web app"' in mine.body
    assert f"{student} handed in version 1" in theirs.body and "Owls" in theirs.body
    assert f"File: owls.zip (SHA-256 {version.sha256})" in theirs.body  # whole (probe 129)
    html = theirs.alternatives[0][0]  # what most mail programs show (probe 131: cut)
    assert f"<code>{version.sha256}</code>" in html and "…" not in html
    assert SITE + version.get_absolute_url() in theirs.body
    assert "late" not in mine.subject


def test_a_late_version_says_so_and_a_member_removed_from_the_course_hears_nothing(
    course, assignment, student, classmate, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    assignment.due_at = timezone.now() - timedelta(hours=2)
    assignment.opens_at = timezone.now() - timedelta(days=5)
    assignment.late_policy = LatePolicy.PENALTY
    assignment.late_penalty_per_day, assignment.late_penalty_cap = 10, 50
    assignment.save()
    Enrollment.objects.filter(user=classmate, course=course).delete()
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(
            group=group, student=student, repository_url="https://github.com/owls/webapp"
        )
    assert [message.to for message in mailoutbox] == [[student.email]]
    [receipt] = mailoutbox
    assert receipt.subject == "Version 1 handed in (late): Web app"
    # As the project page says it (probe 129: "it counts as late" alone).
    assert (
        "after the deadline: it counts as late (1 day, a penalty of 10% on the mark if it "
        "is the version graded)."
    ) in receipt.body
    assert "Repository: https://github.com/owls/webapp" in receipt.body
