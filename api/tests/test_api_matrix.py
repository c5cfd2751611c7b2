"""The permission matrix of the API: every operation of its schema, every persona.

The site's matrix (access/tests/test_site_matrix.py) extended to /api/v1/: each
operation is filled with a real object of course A (access/tests/tenants.py) and says
who may call it. A GET by those answers 200 with course A's data; anyone else is
refused (401 without a token, else 403 or 404) and sees nothing of course A. Every
write is sent by every persona: a refused one must leave every row of the database as
it was; an allowed one must not be refused (and, for those listed in ``succeeds``,
must succeed; the others may meet a rule of the service, such as "groups are closed").
Lists answer everyone with a token, with course A's rows only for those in SHOWS_A.
Each persona calls with a read-and-write token of their own; a test below repeats the
writes with read-only tokens, and one with the browser's session and its CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from access.tests.matrix import PERSONAS, WORD_A, fingerprint, persona_user
from api.models import TokenScope
from projects.models import GroupMembership

from .conftest import token_client

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(PERSONAS) - {"anonymous"}
MEMBERS_A = frozenset({"student_a", "grader_a", "instructor_a", "superuser"})
TEACHES_A = frozenset({"instructor_a", "superuser"})
GRADES_A = frozenset({"grader_a", "instructor_a", "superuser"})
OWN_GROUP_A = frozenset({"student_a", "instructor_a", "superuser"})
AS_STUDENT_A = frozenset({"student_a", "superuser"})
PEOPLE_A = frozenset(
    {"student_a", "grader_a", "removed_grader_a", "removed_student_a", "instructor_a"}
)
NOBODY: frozenset = frozenset()
REFUSED = (401, 403, 404)
API = "/api/v1"


@dataclass(frozen=True)
class Call:
    """METHOD on PATH (the schema's template) filled with ID; who may make the call.

    ``shows_a``: for lists, who sees course A's rows (everyone with a token gets 200).
    ``succeeds``: of the allowed, who gets a 2xx (default: all of them).
    ``shows``: what the answer to a GET allowed shows; course A's word unless the
    object has no text, in which case its id.
    """

    method: str
    path: str
    id: int | None = None
    allowed: frozenset = EVERYONE
    data: dict | None = None
    shows_a: frozenset | None = None
    succeeds: frozenset | None = None
    multipart: bool = False
    shows: str = WORD_A  # what the answer to those allowed must contain

    @property
    def url(self) -> str:
        return API + self.path.replace("{id}", str(self.id))

    def send(self, client: Client, **extra):
        if self.method == "GET":
            return client.get(self.url, **extra)
        if self.multipart:
            return client.post(self.url, self.data or {}, **extra)
        if self.data is None:  # no body at all: the test client's post() sends "{}"
            return client.generic(self.method, self.url, **extra)
        send = getattr(client, self.method.lower())
        return send(self.url, self.data or {}, content_type="application/json", **extra)


def calls(a, b) -> list[Call]:
    membership = GroupMembership.objects.get(group=a.group_o, student=a.student)
    design = a.grading.rubric.criteria.get()
    return [
        # About the user.
        Call("GET", "/me/", shows_a=PEOPLE_A),
        Call("GET", "/me/progress/", shows_a=MEMBERS_A - {"superuser"}),
        Call("GET", "/me/marks/", shows_a=frozenset({"student_a"})),
        # Lists: everyone gets one, course A's rows only where the site shows them.
        Call("GET", "/courses/", shows_a=MEMBERS_A),
        Call("GET", "/modules/", shows_a=MEMBERS_A),
        Call("GET", "/lessons/", shows_a=MEMBERS_A),
        Call("GET", "/enrollments/", shows_a=MEMBERS_A),
        Call("GET", "/assignments/", shows_a=MEMBERS_A),
        Call("GET", "/groups/", shows_a=OWN_GROUP_A),
        Call("GET", "/memberships/", shows_a=OWN_GROUP_A),
        # A version names its group and who submitted it: not for graders (anonymous
        # grading), who download the archives of the groups they grade.
        Call("GET", "/submissions/", shows_a=OWN_GROUP_A),
        Call("GET", "/reviews/", shows_a=MEMBERS_A),
        Call("GET", "/line-comments/", shows_a=MEMBERS_A),
        Call("GET", "/regrades/", shows_a=MEMBERS_A),
        Call("GET", "/overrides/", shows_a=TEACHES_A),
        # Course A and its content.
        Call("GET", "/courses/{id}/", a.course.pk, MEMBERS_A),
        Call("PATCH", "/courses/{id}/", a.course.pk, TEACHES_A, {"summary": "Intruder"}),
        Call(
            "POST",
            "/courses/{id}/modules/",
            a.course.pk,
            TEACHES_A,
            {"title": "Intruder module", "order": 9},
        ),
        Call("GET", "/modules/{id}/", a.module.pk, MEMBERS_A),
        Call("PATCH", "/modules/{id}/", a.module.pk, TEACHES_A, {"title": "Intruder"}),
        Call("DELETE", "/modules/{id}/?drop_work=true", a.module.pk, TEACHES_A),
        Call(
            "POST",
            "/modules/{id}/lessons/",
            a.module.pk,
            TEACHES_A,
            {"title": "Intruder lesson", "slug": "intruder", "body": "Intruder"},
        ),
        Call("GET", "/lessons/{id}/", a.lesson.pk, MEMBERS_A),
        Call(
            "PATCH",
            "/lessons/{id}/",
            a.lesson.pk,
            TEACHES_A,
            {"body": "Intruder", "drop_work": True},
        ),
        Call("DELETE", "/lessons/{id}/?drop_work=true", a.lesson.pk, TEACHES_A),
        # Enrollments, rosters and progress.
        Call("GET", "/enrollments/{id}/", a.enrollment.pk, {"student_a", *TEACHES_A}),
        Call("PATCH", "/enrollments/{id}/", a.enrollment.pk, TEACHES_A, {"role": "grader"}),
        Call("DELETE", "/enrollments/{id}/", a.enrollment.pk, TEACHES_A),
        Call(
            "POST",
            "/courses/{id}/enrollments/",
            a.course.pk,
            TEACHES_A,
            {"email": b.student.email, "role": "student"},
        ),
        Call(
            "POST",
            "/courses/{id}/roster/",
            a.course.pk,
            TEACHES_A,
            {"rows": [{"email": "intruder@example.org", "name": "Intruder", "role": "student"}]},
        ),
        Call("GET", "/courses/{id}/progress/", a.course.pk, TEACHES_A),
        # Projects and groups.
        Call("GET", "/assignments/{id}/", a.grading.pk, MEMBERS_A),
        Call(
            "POST",
            "/assignments/{id}/groups/",
            a.bare.pk,
            AS_STUDENT_A,
            {"name": "Intruders"},
            succeeds=frozenset({"student_a"}),
        ),
        Call(
            "POST",
            "/assignments/{id}/join/",
            a.bare.pk,
            AS_STUDENT_A,
            {"join_code": a.group_q.join_code},
            succeeds=frozenset({"student_a"}),
        ),
        # Group O's project is past its deadline: nobody renames it (its members did,
        # until then, and until its grading started).
        Call(
            "POST",
            "/assignments/{id}/rename-group/",
            a.grading.pk,
            AS_STUDENT_A,
            {"name": "Intruders"},
            succeeds=NOBODY,
        ),
        # Group O has submitted and the project is past its deadline: nobody leaves.
        Call("POST", "/assignments/{id}/leave/", a.grading.pk, AS_STUDENT_A, succeeds=NOBODY),
        Call("GET", "/groups/{id}/", a.group_o.pk, OWN_GROUP_A),
        Call("GET", "/memberships/{id}/", membership.pk, OWN_GROUP_A),
        # Submissions.
        Call(
            "POST",
            "/assignments/{id}/submissions/",
            a.grading.pk,
            AS_STUDENT_A,
            {"repository_url": "https://example.org/intruder.git", "note": "Intruder"},
            succeeds=frozenset({"student_a"}),
            multipart=True,
        ),
        # The group's own, and its grader's (who downloads what the review page cannot show).
        Call("GET", "/submissions/{id}/", a.submission_o.pk, OWN_GROUP_A),
        Call(
            "GET",
            "/submissions/{id}/download/",
            a.submission_o.pk,
            OWN_GROUP_A | GRADES_A,
            shows_a=OWN_GROUP_A,  # the grader's is named by its number
        ),
        # A classmate's group: another student of course A is refused.
        Call("GET", "/submissions/{id}/", a.submission_r2.pk, TEACHES_A),
        # Group P's review went to a grader since removed: course A's grader grades
        # another group, and the removed one nothing.
        Call("GET", "/submissions/{id}/", a.review_p.submission_id, TEACHES_A),
        Call("GET", "/submissions/{id}/download/", a.review_p.submission_id, TEACHES_A),
        # Grading.
        Call("GET", "/reviews/{id}/", a.review_o.pk, GRADES_A, shows=f'"id":{a.review_o.pk},'),
        Call("GET", "/reviews/{id}/", a.review_r.pk, MEMBERS_A),  # released feedback
        Call(
            "PATCH",
            "/reviews/{id}/",
            a.review_o.pk,
            GRADES_A,
            {"scores": [{"criterion": design.pk, "points": "5"}], "overall_feedback": "Intruder"},
        ),
        Call(
            "POST",
            "/reviews/{id}/comments/",
            a.review_o.pk,
            GRADES_A,
            {"path": "app.py", "line": 1, "text": "Intruder comment"},
        ),
        Call("GET", "/line-comments/{id}/", a.comment_o.pk, GRADES_A),
        Call("DELETE", "/line-comments/{id}/", a.comment_o.pk, GRADES_A),
        Call("GET", "/regrades/{id}/", a.regrade.pk, MEMBERS_A),
        # The group's members and those who grade it (before the answer closes it).
        Call("POST", "/regrades/{id}/messages/", a.regrade.pk, MEMBERS_A, {"text": "Intruder"}),
        Call(
            "POST",
            "/regrades/{id}/answer/",
            a.regrade.pk,
            GRADES_A,
            {"decision": "decline", "response": "Intruder says no."},
        ),
        # Instructors: grading of a project, release, overrides, gradebook.
        # (Not the bare project: without a rubric's criteria no grader is assigned.)
        Call("POST", "/assignments/{id}/assign-graders/", a.grading.pk, TEACHES_A),
        # Its rubric: those who grade the course.
        Call("GET", "/assignments/{id}/rubric/", a.grading.pk, GRADES_A),
        Call(
            "GET",
            "/assignments/{id}/release/",
            a.released.pk,
            TEACHES_A,
            shows='"released":true',
        ),
        # Groups of the project have no completed review yet: the release is refused.
        Call("POST", "/assignments/{id}/release/", a.grading.pk, TEACHES_A, succeeds=NOBODY),
        Call(
            "POST",
            "/assignments/{id}/overrides/",
            a.released.pk,
            TEACHES_A,
            {"student": a.student.pk, "mark": "12", "reason": "Intruder"},
        ),
        Call("GET", "/overrides/{id}/", a.override.pk, TEACHES_A),
        Call("DELETE", "/overrides/{id}/", a.override.pk, TEACHES_A),
        Call("GET", "/courses/{id}/gradebook/", a.course.pk, TEACHES_A),
        Call("GET", "/courses/{id}/gradebook/csv/", a.course.pk, TEACHES_A),
    ]


# Operations of the schema outside the matrix, and why.
UNMATRIXED = {
    ("GET", "/schema/"): "public: the OpenAPI schema",
    ("GET", "/docs/"): "public: Swagger UI",
}


def content(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    return data.decode("utf-8", "replace") + response.get("Content-Disposition", "")


def test_every_operation_of_the_schema_is_in_the_matrix(world, client):
    a, b, _ = world
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/json").json()
    operations = {
        (method.upper(), path.removeprefix(API))
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = {(call.method, call.path.split("?")[0]) for call in calls(a, b)}
    assert operations - covered == set(), "operations missing from the matrix"
    assert covered - operations == set(), "the matrix names operations the API lacks"
    # The schema and its page are served, and are not in the schema themselves.
    assert not operations & set(UNMATRIXED)
    for _, path in UNMATRIXED:
        assert client.get(API + path).status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_matrix(world, persona):
    a, b, superuser = world
    user = persona_user(persona, a, b, superuser)
    client = token_client(user)
    failures = []
    table = calls(a, b)

    for call in (c for c in table if c.method == "GET"):
        response = call.send(client)
        page = content(response)
        label = f"GET {call.url}"
        if persona in call.allowed:
            if response.status_code != 200:
                failures.append(f"{label}: {response.status_code}, expected 200")
            elif call.shows_a is None and call.shows not in page:
                failures.append(f"{label}: course A's data missing")
            elif call.shows_a is not None and (WORD_A in page) != (persona in call.shows_a):
                failures.append(f"{label}: course A's data shown={WORD_A in page}")
        elif response.status_code not in REFUSED:
            failures.append(f"{label}: {response.status_code}, expected a refusal")
        elif WORD_A in page:
            failures.append(f"{label}: the refusal shows course A's data")
        elif persona == "anonymous" and response.status_code != 401:
            failures.append(f"{label}: {response.status_code} for no token, expected 401")

    writes = [c for c in table if c.method != "GET"]
    before = fingerprint()
    for call in writes:
        if persona in call.allowed:
            continue
        response = call.send(client)
        label = f"{call.method} {call.url}"
        if response.status_code not in REFUSED:
            failures.append(f"{label}: {response.status_code}, expected a refusal")
        elif response["Content-Type"] != "application/problem+json":
            failures.append(f"{label}: the refusal is not a problem detail")
        if fingerprint() != before:
            failures.append(f"{label}: a refused write changed the database")
            before = fingerprint()
    for call in writes:
        if persona not in call.allowed:
            continue
        # Each allowed write runs alone, and is undone: the next starts from the same rows.
        with transaction.atomic():
            response = call.send(client)
            transaction.set_rollback(True)
        label = f"{call.method} {call.url}"
        succeeds = call.allowed if call.succeeds is None else call.succeeds
        if response.status_code in REFUSED or response.status_code >= 500:
            failures.append(f"{label}: {response.status_code}, expected it to pass")
        elif (persona in succeeds) != (200 <= response.status_code < 300):
            failures.append(f"{label}: {response.status_code} {content(response)[:200]}")

    assert not failures, f"{persona}:\n" + "\n".join(failures)


@pytest.mark.parametrize("persona", ["instructor_a", "superuser"])
def test_a_read_only_token_changes_nothing(world, persona):
    """A read-only token reads what its owner may, and every write it sends is refused."""
    a, b, superuser = world
    user = persona_user(persona, a, b, superuser)
    client = token_client(user, TokenScope.READ)
    assert client.get(f"{API}/courses/{a.course.pk}/").status_code == 200
    before = fingerprint()
    for call in calls(a, b):
        if call.method == "GET":
            continue
        response = call.send(client)
        assert response.status_code == 403, (call.method, call.url, response.status_code)
        assert "read-only" in response.json()["detail"]
    assert fingerprint() == before


@pytest.mark.parametrize("scope", [TokenScope.READ, TokenScope.WRITE])
def test_a_method_an_address_does_not_take_is_405_whatever_the_token(world, scope):
    """Probe 25: POST /api/v1/me/ with a read-only token was told the token is read-only
    (403), where no token could: 405, naming what the address takes."""
    a, _, _ = world
    client = token_client(a.instructor, scope)
    for method, url in (("post", f"{API}/me/"), ("delete", f"{API}/courses/{a.course.pk}/")):
        response = getattr(client, method)(url)
        assert response.status_code == 405, (method, url, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert "GET" in response["Allow"]
    assert a.course.__class__.objects.filter(pk=a.course.pk).exists()


def test_the_session_works_with_its_csrf_token_only(world):
    """The browser's session authenticates too; its writes need the CSRF token."""
    a, _, _ = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(a.instructor)
    assert client.get(f"{API}/courses/{a.course.pk}/").status_code == 200
    url = f"{API}/courses/{a.course.pk}/"
    refused = client.patch(url, {"summary": "Forged"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    a.course.refresh_from_db()
    assert a.course.summary != "Forged"

    client.get("/accounts/profile/")  # sets the CSRF cookie, as any page does
    token = client.cookies["csrftoken"].value
    response = client.patch(
        url, {"summary": "Changed"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    a.course.refresh_from_db()
    assert a.course.summary == "Changed"
