"""A course run from scripts, over HTTP, with personal access tokens only.

The instructor's script enrolls a roster; the student's submits a zip; the instructor
assigns the graders; the grader's scores the submission; the instructor's releases the
grades and exports the gradebook. Each step is also tried with a token of someone whose
role does not allow it, and refused. This is the API's "done when" (docs/api.md).
"""

from __future__ import annotations

import csv
import io

import pytest
import requests

from accounts.models import Role
from accounts.tests.factories import UserFactory
from api.tokens import token_create
from grading.tests.factories import CriterionFactory
from lessons.models import Enrollment
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from projects.models import Group
from projects.tests.factories import ProjectAssignmentFactory, make_zip

ROSTER = """email,name,role
sam@example.org,Sam Student,student
new.student@example.org,New Student,student
not-an-address,Nobody,student
"""


class Script:
    """What a department's script does: requests with ``Authorization: Bearer <token>``."""

    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base + path, timeout=30, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.session.patch(self.base + path, timeout=30, **kwargs)


def token(user, scope: str = "write") -> str:
    """The token USER created on their profile page."""
    return token_create(user=user, name="course script", scope=scope)[1]


def refused(response: requests.Response) -> bool:
    return response.status_code in (403, 404) and response.headers["Content-Type"] == (
        "application/problem+json"
    )


@pytest.mark.django_db(transaction=True)
def test_a_course_runs_from_scripts_with_tokens_only(live_server):
    course = CourseFactory(slug="pyweb", title="Python for the Web")
    assignment = ProjectAssignmentFactory(course=course, slug="webapp", title="Web app")
    criterion = CriterionFactory(rubric__assignment=assignment, max_points=10)
    instructor, grader, sam = (
        UserFactory(username="ines"),
        UserFactory(username="gus"),
        UserFactory(username="sam", email="sam@example.org"),
    )
    EnrollmentFactory(user=instructor, course=course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=grader, course=course, role=Role.GRADER)
    teacher = Script(live_server.url, token(instructor))
    teacher_reading = Script(live_server.url, token(instructor, "read"))
    marker = Script(live_server.url, token(grader))
    student = Script(live_server.url, token(sam))  # Sam has an account, no course yet

    # 1. The instructor enrolls the roster (the CSV file as it is).
    course_id = teacher.get("/courses/", params={"slug": "pyweb"}).json()["results"][0]["id"]
    csv_body = {"data": ROSTER.encode(), "headers": {"Content-Type": "text/csv"}}
    assert refused(marker.post(f"/courses/{course_id}/roster/", **csv_body))
    assert refused(student.post(f"/courses/{course_id}/roster/", **csv_body))
    assert teacher_reading.post(f"/courses/{course_id}/roster/", **csv_body).status_code == 403
    assert not Enrollment.objects.filter(user=sam).exists()
    report = teacher.post(f"/courses/{course_id}/roster/", **csv_body)
    assert report.status_code == 200, report.text
    outcomes = {row["email"]: row["outcome"] for row in report.json()["rows"]}
    assert outcomes == {
        "sam@example.org": "enrolled",
        "new.student@example.org": "created account and enrolled",
        "not-an-address": "rejected",
    }

    # 2. Sam, now a student, forms a group and submits a zip.
    assignments = student.get("/assignments/", params={"course": course_id}).json()["results"]
    assignment_id = assignments[0]["id"]
    assert student.post(f"/assignments/{assignment_id}/groups/", json={"name": "Sam's team"}).ok
    archive = {"archive": ("webapp.zip", make_zip(), "application/zip")}
    path = f"/assignments/{assignment_id}/submissions/"
    assert refused(marker.post(path, files=archive, data={"note": "not mine"}))
    assert refused(teacher.post(path, files=archive))
    submitted = student.post(path, files=archive, data={"note": "Version one"})
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["version"] == 1
    download = teacher.get(f"/submissions/{submitted.json()['id']}/download/")
    assert download.content == make_zip()

    # 3. The instructor assigns the graders; the grader scores the submission.
    assert refused(marker.post(f"/assignments/{assignment_id}/assign-graders/"))
    # Before the deadline, the API asks before closing the groups' hand-in.
    early = teacher.post(f"/assignments/{assignment_id}/assign-graders/")
    group_id = Group.objects.get(assignment_id=assignment_id).pk
    assert early.status_code == 409 and early.json()["groups"] == [group_id], early.text
    # ... as its schema says, so that a client built from it knows where to look.
    schema = teacher.get("/schema/", headers={"Accept": "application/json"}).json()
    answer = schema["paths"]["/api/v1/assignments/{id}/assign-graders/"]["post"]["responses"]
    ref = answer["409"]["content"]["application/problem+json"]["schema"]["$ref"]
    declared = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(early.json()) <= set(declared) and declared["groups"]["type"] == "array"
    assigned = teacher.post(f"/assignments/{assignment_id}/assign-graders/?close_hand_in=true")
    assert assigned.status_code == 200, assigned.text
    review_id = marker.get("/reviews/", params={"assignment": assignment_id}).json()["results"][0][
        "id"
    ]
    scores = {
        "scores": [{"criterion": criterion.pk, "points": "8", "comment": "Clean routes."}],
        "overall_feedback": "Well done.",
        "complete": True,
    }
    assert refused(student.patch(f"/reviews/{review_id}/", json=scores))
    scored = marker.patch(f"/reviews/{review_id}/", json=scores)
    assert scored.status_code == 200, scored.text
    assert scored.json()["status"] == "completed"
    assert scored.json()["total"] == "8.00"

    # 4. The instructor releases the grades and exports the gradebook.
    assert refused(marker.post(f"/assignments/{assignment_id}/release/"))
    released = teacher.post(f"/assignments/{assignment_id}/release/")
    assert released.status_code == 201
    # In the site's zone with its offset, as every other time (it came in UTC, with a Z).
    for answer in (released.json(), teacher.get(f"/assignments/{assignment_id}/release/").json()):
        assert answer["released"] is True
        assert answer["released_at"].endswith(("+01:00", "+02:00")), answer
    assert student.get(f"/reviews/{review_id}/").json()["overall_feedback"] == "Well done."
    for outsider in (marker, student):
        assert refused(outsider.get(f"/courses/{course_id}/gradebook/csv/"))
    export = teacher.get(f"/courses/{course_id}/gradebook/csv/")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    marks = {row["Username"]: (row["Web app (%)"], row["Web app (state)"]) for row in rows}
    # The roster made newstudent's account; released, the hand-in is closed: missing.
    assert marks == {"sam": ("80.00", "graded"), "newstudent": ("", "missing, left out")}
