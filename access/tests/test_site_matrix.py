"""The permission matrix of the site: every URL, every persona, both sides.

Each route is filled with a real object of course A (access/tests/tenants.py) and
says who may open it. For those, a GET answers 200 with course A's data in the page;
for everyone else it is refused (login, 403 or 404) and shows nothing of course A. A
POST with a payload that would change something is sent by every persona: refused
ones must leave every row of the database as it was. Pages about the user themselves
(dashboard, queue, lists) answer everyone they may serve, with course A's data only for
its members. The same test runs for each persona, so a failure names who got in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import get_resolver, reverse

from accounts.tests.factories import UserFactory

from .matrix import PERSONAS, WORD_A, body, client_for, fingerprint, is_refusal, persona_user
from .tenants import build_tenant

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(PERSONAS) - {"anonymous"}
MEMBERS_A = frozenset({"student_a", "grader_a", "instructor_a", "superuser"})
TEACHES_A = frozenset({"instructor_a", "superuser"})
GRADES_A = frozenset({"grader_a", "instructor_a", "superuser"})
OWN_GROUP_A = frozenset({"student_a", "instructor_a", "superuser"})
STUDENT_A = frozenset({"student_a"})
# Students' own actions: the policy lets superusers through too (the service then says
# that only members may act).
AS_STUDENT_A = frozenset({"student_a", "superuser"})
PEOPLE_A = frozenset(
    {"student_a", "grader_a", "removed_grader_a", "removed_student_a", "instructor_a"}
)
GRADERS_ANYWHERE = frozenset({"grader_a", "grader_b", "instructor_a", "instructor_b", "superuser"})
TEACHERS_ANYWHERE = frozenset({"instructor_a", "instructor_b", "superuser"})


@dataclass(frozen=True)
class Route:
    """NAME filled from course A; who may GET and POST it, and what a POST sends.

    GET/POST are the personas allowed (None: the method is not served, 405 for all).
    SHOWS_A, for pages about the user themselves, is who sees course A's data there;
    everyone in GET gets the page.
    """

    name: str
    kwargs: dict = field(default_factory=dict)
    get: frozenset | None = None
    post: frozenset | None = None
    data: dict = field(default_factory=dict)
    query: str = ""
    shows_a: frozenset | None = None


def routes(a, b) -> list[Route]:
    course, lesson = a.course.slug, a.lesson.slug
    project = {"course_slug": course, "slug": a.grading.slug}
    points = {f"score_{c.pk}": "5" for c in a.grading.rubric.criteria.all()}
    return [
        # Pages about the user themselves.
        # ?all=1: graders who only grade are sent on to their queue without it
        # (lessons/tests/test_landing.py); the matrix reads the page itself.
        Route("lessons:dashboard", get=EVERYONE, query="?all=1", shows_a=MEMBERS_A - {"superuser"}),
        Route("lessons:search", get=EVERYONE, query="?q=routes", shows_a=MEMBERS_A, post=None),
        Route("projects:mine", get=EVERYONE, shows_a=MEMBERS_A - {"superuser"}),
        Route("grading:grader_queue", get=GRADERS_ANYWHERE, shows_a=GRADES_A),
        Route("grading:regrade_list", get=GRADERS_ANYWHERE, shows_a=GRADES_A),
        Route("grading:feedback_list", get=EVERYONE, shows_a=STUDENT_A),
        Route("accounts:profile", get=EVERYONE, post=EVERYONE, shows_a=PEOPLE_A),
        # One's own data, one file: course A's name is in it for the people of course A
        # (the removed ones too: they were in it); no id to ask for someone else's.
        Route("accounts:personal_data", get=EVERYONE, shows_a=PEOPLE_A),
        # API tokens: everyone makes their own; only its owner revokes one.
        Route(
            "accounts:token_create",
            post=EVERYONE,
            data={"name": "Intruder script", "scope": "write"},
        ),
        Route("accounts:token_revoke", {"pk": a.token.pk}, post=STUDENT_A),
        # Everyone asks for the link confirming their own address, and no one else's.
        Route("accounts:confirmation_resend", post=EVERYONE),
        Route("accounts:pending_email_cancel", post=EVERYONE),
        # Course A's content.
        Route("lessons:course", {"slug": course}, get=MEMBERS_A),
        Route("lessons:lesson", {"course_slug": course, "lesson_slug": lesson}, get=MEMBERS_A),
        Route(
            "lessons:complete",
            {"course_slug": course, "lesson_slug": lesson},
            post=MEMBERS_A,
            data={"completed": "1"},
        ),
        # Course A's quiz and exercise: its students answer (the others may not write).
        Route(
            "practice:answer",
            {"course_slug": course, "lesson_slug": lesson, "slug": a.question.slug},
            post=AS_STUDENT_A,
            data={"choice": str(a.right_choice.pk)},
        ),
        Route(
            "practice:exercise_attempt",
            {"course_slug": course, "lesson_slug": lesson, "slug": a.exercise.slug},
            post=AS_STUDENT_A,
            data={"code": "print('intruder')"},
        ),
        Route(
            "lessons:attachment",
            {"course_slug": course, "lesson_slug": lesson, "pk": a.attachment.pk},
            get=MEMBERS_A,
        ),
        # Course A's projects.
        Route("projects:course", {"course_slug": course}, get=MEMBERS_A),
        Route("projects:detail", project, get=MEMBERS_A),
        Route("projects:group_create", project, post=AS_STUDENT_A, data={"name": "Intruders"}),
        Route(
            "projects:group_join",
            project,
            post=AS_STUDENT_A,
            data={"join_code": a.group_o.join_code},
        ),
        Route("projects:group_rename", project, post=AS_STUDENT_A, data={"name": "Intruders"}),
        Route("projects:group_leave", project, post=AS_STUDENT_A),
        Route(
            "projects:submit",
            project,
            post=AS_STUDENT_A,
            data={"repository_url": "https://example.org/intruder.git", "note": "Intruder"},
        ),
        Route("projects:submission", {"pk": a.submission_o.pk}, get=OWN_GROUP_A),
        # Its grader downloads it too (the review page links it), not its page: that names
        # the group and who submitted (anonymous grading).
        # (named by its number for the grader: the file's own name may name the students).
        Route(
            "projects:submission_download",
            {"pk": a.submission_o.pk},
            get=OWN_GROUP_A | GRADES_A,
            shows_a=OWN_GROUP_A,
        ),
        # Group P's review is its removed grader's: course A's other grader is refused too.
        Route("projects:submission_download", {"pk": a.review_p.submission_id}, get=TEACHES_A),
        # A classmate's group: the student of another group of course A is refused.
        Route("projects:submission", {"pk": a.submission_r2.pk}, get=TEACHES_A),
        # Grading of course A.
        Route(
            "grading:review",
            {"pk": a.review_o.pk},
            get=GRADES_A,
            post=GRADES_A,
            data={**points, "overall_feedback": "Intruder feedback"},
        ),
        Route(
            "grading:review_draft",
            {"pk": a.review_o.pk},
            post=GRADES_A,
            data={**points, "overall_feedback": "Intruder draft"},
        ),
        Route(
            "grading:line_comment_create",
            {"pk": a.review_o.pk},
            post=GRADES_A,
            data={"path": "app.py", "line": "1", "text": "Intruder comment"},
        ),
        Route(
            "grading:line_comment_edit",
            {"pk": a.comment_o.pk},
            post=GRADES_A,
            data={"text": "Intruder edit"},
        ),
        Route("grading:line_comment_delete", {"pk": a.comment_o.pk}, post=GRADES_A),
        # Its thread: the group's members and those who grade it (before the answer).
        Route(
            "grading:regrade_message",
            {"pk": a.regrade.pk},
            post=MEMBERS_A,
            data={"text": "Intruder message"},
        ),
        Route(
            "grading:regrade_answer",
            {"pk": a.regrade.pk},
            get=GRADES_A,
            post=GRADES_A,
            data={"decision": "decline", "response": "Intruder says no."},
        ),
        Route("grading:assignment_grading", {"pk": a.grading.pk}, get=TEACHES_A),
        Route("grading:assign_graders", {"pk": a.grading.pk}, post=TEACHES_A),
        Route("grading:assignment_hub", {"pk": a.grading.pk}, get=TEACHES_A),
        Route(
            "grading:hub_reassign",
            {"pk": a.grading.pk},
            post=TEACHES_A,
            data={"group": str(a.group_o.pk), "grader": str(a.grader.pk)},
        ),
        Route(
            "grading:release_grades",
            {"pk": a.grading.pk},
            get=TEACHES_A,
            post=TEACHES_A,
            data={"confirm": "on"},
        ),
        Route(
            "grading:override_mark",
            {"pk": a.released.pk},
            post=TEACHES_A,
            data={"student": str(a.student.pk), "mark": "12", "reason": "Intruder"},
        ),
        Route("grading:gradebook", {"slug": course}, get=TEACHES_A),
        Route("grading:gradebook_csv", {"slug": course}, get=TEACHES_A),
        Route("grading:feedback", {"pk": a.submission_r.pk}, get=OWN_GROUP_A),
        Route("grading:feedback", {"pk": a.submission_r2.pk}, get=TEACHES_A),
        Route(
            "grading:regrade_request",
            {"pk": a.submission_r.pk},
            post=AS_STUDENT_A,
            data={"criterion": str(a.other_criterion.pk), "reason": "Intruder asks."},
        ),
        Route("grading:peer", {"pk": a.group_o.pk}, get=AS_STUDENT_A, post=AS_STUDENT_A),
        # Automated tests of course A.
        Route("autograding:queue", get=TEACHERS_ANYWHERE, shows_a=TEACHES_A),
        # Its group's grader too (review_o is grader_a's; not the removed grader's).
        Route("autograding:rerun_submission", {"pk": a.submission_o.pk}, post=GRADES_A),
        Route("autograding:rerun_assignment", {"pk": a.grading.pk}, post=TEACHES_A),
        # The results block the project page polls: the group's members and teachers.
        Route("autograding:group_results", {"pk": a.group_o.pk}, get=OWN_GROUP_A),
    ]


# Routes outside the matrix, and why.
UNMATRIXED = {
    "accounts:login": "public",
    "accounts:logout": "public",
    "accounts:password_reset": "public",
    "accounts:password_reset_done": "public",
    "accounts:password_reset_confirm": "public, token-checked",
    "accounts:invitation": "public, token-checked (accounts/tests/test_invitations.py)",
    "accounts:password_change": "one's own password (accounts/tests/test_auth.py)",
    "accounts:confirm_email": (
        "one's own address, token-checked (accounts/tests/test_email_confirmation.py)"
    ),
    "lessons:signup": "public (lessons/tests/test_enrollment.py)",
    "lessons:enroll": "anyone with the course key (lessons/tests/test_enrollment.py)",
}
# Of those, the pages that show and receive a form without arguments in their address.
UNMATRIXED_FORMS = ("lessons:signup", "lessons:enroll")
# Django's own form views, under our URLs (a link's token need not be valid to be refused).
ACCOUNT_FORMS = {
    "accounts:login": {},
    "accounts:password_change": {},
    "accounts:password_reset": {},
    "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
    "accounts:invitation": {"uidb64": "MQ", "token": "abc-123"},
}


@pytest.fixture
def world(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    return a, b, superuser


def test_every_route_of_the_site_is_in_the_matrix(world):
    a, b, _ = world
    resolver = get_resolver()
    names = set()
    for namespace in ("accounts", "lessons", "practice", "projects", "grading", "autograding"):
        _, sub = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{n}" for n in sub.reverse_dict if isinstance(n, str)}
    covered = {route.name for route in routes(a, b)} | set(UNMATRIXED)
    assert names == covered


@pytest.mark.parametrize("persona", PERSONAS)
def test_site_matrix(world, persona):
    a, b, superuser = world
    user = persona_user(persona, a, b, superuser)
    client = client_for(user)
    login = reverse("accounts:login")
    failures = []
    table = routes(a, b)

    for route in table:
        url = reverse(route.name, kwargs=route.kwargs) + route.query
        response = client.get(url)
        if route.get is None:
            if response.status_code not in (405, 302):
                failures.append(f"GET {route.name}: {response.status_code}, expected 405")
            continue
        page = body(response) + response.get("Content-Disposition", "")
        if persona in route.get:
            if response.status_code != 200:
                failures.append(f"GET {route.name}: {response.status_code}, expected 200")
            elif route.shows_a is None and WORD_A not in page:
                failures.append(f"GET {route.name}: course A's data missing")
            elif route.shows_a is not None and (WORD_A in page) != (persona in route.shows_a):
                failures.append(f"GET {route.name}: course A's data shown={WORD_A in page}")
        elif not is_refusal(response, login):
            failures.append(f"GET {route.name}: {response.status_code}, expected a refusal")
        elif WORD_A in page and response.status_code != 302:
            failures.append(f"GET {route.name}: the refusal shows course A's data")

    # Refused writes first, each checked against the untouched database.
    before = fingerprint()
    for route in table:
        if route.post is None or persona in route.post:
            continue
        url = reverse(route.name, kwargs=route.kwargs)
        response = client.post(url, route.data)
        if not is_refusal(response, login) and response.status_code != 405:
            failures.append(f"POST {route.name}: {response.status_code}, expected a refusal")
        if fingerprint() != before:
            failures.append(f"POST {route.name}: a refused write changed the database")
            before = fingerprint()
    for route in table:
        if route.post is None or persona not in route.post:
            continue
        response = client.post(reverse(route.name, kwargs=route.kwargs), route.data)
        if is_refusal(response, login) or response.status_code >= 500:
            failures.append(f"POST {route.name}: {response.status_code}, expected it to pass")

    assert not failures, f"{persona}:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "persona",
    ["anonymous", "student_a", "instructor_a", "instructor_b", "removed_grader_a", "superuser"],
)
def test_every_route_answers_only_the_methods_it_serves(world, persona):
    """PUT, PATCH, DELETE and OPTIONS are served nowhere, POST only where a form is sent:
    405 naming the methods that are served, never the page (nor a login redirect), to
    course A's own people as to outsiders. Who gets in by GET and POST: test_site_matrix."""
    a, b, superuser = world
    client = client_for(persona_user(persona, a, b, superuser))
    forms = [Route(name, get=frozenset(), post=frozenset()) for name in UNMATRIXED_FORMS]
    forms += [
        Route(name, kwargs, get=frozenset(), post=frozenset())
        for name, kwargs in ACCOUNT_FORMS.items()
    ]
    pages = [
        Route(name, get=frozenset()) for name in ("home", "healthz", "accounts:password_reset_done")
    ]
    failures = []
    for route in routes(a, b) + forms + pages:
        served = {"GET", "HEAD"} if route.get is not None else set()
        served |= {"POST"} if route.post is not None else set()
        url = reverse(route.name, kwargs=route.kwargs) + route.query
        for method in {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} - served:
            response = getattr(client, method.lower())(url)
            allowed = {name.strip() for name in response.get("Allow", "").split(",")}
            if response.status_code != 405 or allowed != served:
                failures.append(f"{method} {route.name}: {response.status_code}, {allowed}")
    assert not failures, "\n".join(failures)
