"""Graders download the versions of the groups they grade, on the site and in the API.

The review page sends a grader to the archive for what its viewer cannot show (the end
of a large file, a name too long, a tree cut short): the download answered them 404.
Now the grader of a group's review (and every grader when the rubric opens reviews to
all) and the course's instructors download its versions; nobody else does.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from access.tests.tenants import build_tenant
from accounts.models import Role
from accounts.tests.factories import UserFactory
from api.tests.conftest import token_client
from grading import services as grading_services
from grading.models import Rubric
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_tenant("Apple"), build_tenant("Banana")


def site_status(user, submission) -> int:
    client = Client()
    client.force_login(user)
    return client.get(reverse("projects:submission_download", args=[submission.pk])).status_code


def api_status(user, submission) -> int:
    return token_client(user).get(f"/api/v1/submissions/{submission.pk}/download/").status_code


def statuses(user, submission) -> tuple[int, int]:
    return site_status(user, submission), api_status(user, submission)


def other_grader(course):
    """A second grader of COURSE, who grades none of the tenant's groups."""
    user = UserFactory(username=f"other-grader-{course.slug}")
    EnrollmentFactory(user=user, course=course, role=Role.GRADER)
    return user


def test_the_grader_of_a_group_downloads_its_version_on_the_site_and_in_the_api(world):
    a, _ = world
    client = Client()
    client.force_login(a.grader)
    response = client.get(reverse("projects:submission_download", args=[a.submission_o.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"PK")
    assert api_status(a.grader, a.submission_o) == 200
    # The course's instructors, as before.
    assert statuses(a.instructor, a.submission_o) == (200, 200)


def test_everyone_else_is_refused_as_if_it_did_not_exist(world):
    """Another grader of the same course, course B's grader and instructor, and the
    grader removed from the course (group P's review was theirs): 404 everywhere."""
    a, b = world
    submission_p = a.review_p.submission
    for user in (other_grader(a.course), b.grader, b.instructor):
        assert statuses(user, a.submission_o) == (404, 404), user
    assert statuses(a.grader, submission_p) == (404, 404)  # another grader's group
    assert statuses(a.removed_grader, submission_p) == (404, 404)
    # The student of another group of the course, as before.
    assert statuses(a.classmate, a.submission_o) == (404, 404)


def test_a_grader_removed_from_the_course_loses_the_download_at_once(world):
    a, _ = world
    assert site_status(a.grader, a.submission_o) == 200
    Enrollment.objects.filter(user=a.grader, course=a.course).delete()
    assert statuses(a.grader, a.submission_o) == (404, 404)


def test_a_review_handed_to_another_grader_takes_the_download_with_it(world):
    a, _ = world
    newcomer = other_grader(a.course)
    assert site_status(newcomer, a.submission_o) == 404
    grading_services.grader_assign(group=a.group_o, grader=newcomer, by=a.instructor)
    assert statuses(newcomer, a.submission_o) == (200, 200)
    assert statuses(a.grader, a.submission_o) == (404, 404)


def test_a_rubric_open_to_all_graders_opens_the_downloads_to_them(world):
    """Every grader of the course reads every review (and its files) then: the archive
    holds nothing the viewer does not show them already."""
    a, b = world
    someone = other_grader(a.course)
    Rubric.objects.filter(assignment=a.grading).update(graders_see_all=True)
    assert statuses(someone, a.submission_o) == (200, 200)
    assert statuses(b.grader, a.submission_o) == (404, 404)


def test_the_page_of_a_version_stays_the_group_s_and_its_instructors(world):
    """It names the group and who submitted: a grader under anonymous grading must not
    read it, so only the download is theirs."""
    a, _ = world
    page = reverse("projects:submission", args=[a.submission_o.pk])
    client = Client()
    client.force_login(a.grader)
    assert client.get(page).status_code == 404
    client.force_login(a.student)
    assert client.get(page).status_code == 200
    client.force_login(a.instructor)
    assert client.get(page).status_code == 200


def test_a_grader_downloads_the_archive_by_number_not_by_the_name_students_gave_it(world):
    """The file name a student chose ("alice-and-bob.zip") may name the group's members,
    which anonymous grading keeps from graders; members and instructors keep it."""
    a, _ = world
    a.submission_o.archive_name = "alice-and-bob.zip"
    a.submission_o.save(update_fields=["archive_name"])
    url = reverse("projects:submission_download", args=[a.submission_o.pk])
    named = f"submission-{a.submission_o.pk}-v{a.submission_o.version}.zip"
    for user, expected in ((a.grader, named), (a.instructor, "alice-and-bob-v")):
        client = Client()
        client.force_login(user)
        assert expected in client.get(url)["Content-Disposition"], user
    api = token_client(a.grader).get(f"/api/v1/submissions/{a.submission_o.pk}/download/")
    assert named in api["Content-Disposition"]
    assert "alice" not in api["Content-Disposition"]


def test_a_graders_api_lists_no_versions_only_downloads_them(world):
    """A version's record names its group and who submitted it: the grader's list is
    empty and the record refused, while the download of the version they grade works."""
    a, _ = world
    client = token_client(a.grader)
    assert client.get("/api/v1/submissions/").json()["results"] == []
    # Not found, as its group is: a 403 confirmed the id the list hides (probe 45).
    assert client.get(f"/api/v1/submissions/{a.submission_o.pk}/").status_code == 404
    assert api_status(a.grader, a.submission_o) == 200
