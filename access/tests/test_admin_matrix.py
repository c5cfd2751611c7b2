"""The permission matrix of the back office: every admin screen, every persona.

For every model registered in the admin, its changelist, add form, and course A's
object's change, delete and history pages (and every version of its history), every
action, the reports, exports, roster import and autocomplete: who gets the page with
course A's data, who is refused, and that every refused write leaves every row as it
was. The instructor of course B is the adversary the back office must hold off: the
screens open for them, with nothing of course A in them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading.models import Rubric
from lessons.models import Enrollment

from .matrix import (
    BACK_OFFICE,
    PERSONAS,
    WORD_A,
    body,
    client_for,
    fingerprint,
    form_data,
    is_refusal,
    persona_user,
)
from .tenants import build_tenant

pytestmark = pytest.mark.django_db

OURS = ("accounts", "lessons", "practice", "projects", "grading", "autograding")
TEACHES_A = frozenset({"instructor_a", "superuser"})
EDITED_FIELDS = ("title", "name", "display_name", "label")


def objects_of(a) -> dict[str, object]:
    """Course A's object for each model our back office manages."""
    return {
        "accounts.User": a.student,
        "lessons.Course": a.course,
        "lessons.Module": a.module,
        "lessons.Lesson": a.lesson,
        "lessons.Enrollment": a.enrollment,
        "projects.ProjectAssignment": a.grading,
        "projects.Group": a.group_o,
        "projects.Submission": a.submission_o,
        "grading.Rubric": a.rubric,
        "grading.Criterion": a.criterion,
        "grading.Review": a.review_o,
        "grading.CriterionScore": a.score_r,
        "grading.GradeRelease": a.release,
        "grading.RegradeRequest": a.regrade,
        "grading.PeerRating": a.rating,
        "grading.MarkOverride": a.override,
        "autograding.TestSuite": a.suite,
        "autograding.Run": a.run,
        # Read-only screens (the lesson's Markdown is the source; attempts are records).
        "practice.Question": a.question,
        "practice.Exercise": a.exercise,
        "practice.Attempt": a.attempt,
        "practice.ExerciseAttempt": a.exercise_attempt,
    }


@dataclass
class Screen:
    """One admin model: its URLs for course A's object, and what the admin allows."""

    label: str
    obj: object
    model_admin: admin.ModelAdmin

    def url(self, view: str, *args) -> str:
        opts = self.model_admin.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    @property
    def object_urls(self) -> list[str]:
        urls = [self.url(view, self.obj.pk) for view in ("change", "delete", "history")]
        history = getattr(type(self.obj), "history", None)
        if history is not None and hasattr(history, "model"):
            for record in history.model.objects.filter(id=self.obj.pk):
                urls.append(self.url("simple_history", self.obj.pk, record.history_id))
        return urls


def screens(a) -> list[Screen]:
    objects = objects_of(a)
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OURS:
            found.append(Screen(model._meta.label, objects[model._meta.label], model_admin))
    return found


def others() -> list[str]:
    """Changelists of the admins that are not ours (auth groups, login attempts, tasks)."""
    return [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
        if m._meta.app_label not in OURS
    ]


@pytest.fixture
def world(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    # Imported with course A's roster, never came: invitations may be sent to them again.
    a.invitee = UserFactory(username="apple-invitee", email="apple-invitee@example.org")
    a.invitee.set_unusable_password()
    a.invitee.save()
    Enrollment.objects.create(user=a.invitee, course=a.course, role=Role.STUDENT)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    return a, b, superuser


def test_every_model_of_ours_is_in_the_matrix(world):
    a, _, _ = world
    registered = {m._meta.label for m in admin.site._registry if m._meta.app_label in OURS}
    assert registered == set(objects_of(a))


def change_forms(superuser, items: list[Screen]) -> dict[str, dict]:
    """What each change form of course A's objects submits, read as the superuser sees it."""
    client = client_for(superuser)
    forms = {}
    for screen in items:
        html = body(client.get(screen.url("change", screen.obj.pk)))
        forms[screen.label] = form_data(html, f"{screen.model_admin.opts.model_name}_form")
    return forms


def add_forms(superuser, items: list[Screen]) -> dict[str, dict]:
    """What each add form submits empty (its management forms), as the superuser sees it."""
    client = client_for(superuser)
    forms = {}
    for screen in items:
        response = client.get(screen.url("add"))
        if response.status_code == 200:
            html = body(response)
            forms[screen.label] = form_data(html, f"{screen.model_admin.opts.model_name}_form")
    return forms


def add_payload(label: str, empty: dict, change: dict, a, b) -> dict:
    """A new object for course A: its change form's values, made unique, in the add form.

    Its relations point at course A (the project, the rubric, the group), so only
    someone who teaches course A may create it.
    """
    # The object's own fields; the inlines stay as the empty add form has them.
    own = {name: value for name, value in change.items() if name in empty and "-" not in name}
    data = {**empty, **own}
    for name in ("slug", "enrollment_key"):
        if name in data:
            data[name] = [data[name][0] + "-copy"]
    overrides = {
        "lessons.Enrollment": {"user": b.student.pk, "course": a.course.pk},
        "grading.Rubric": {"assignment": a.bare.pk},
        # A group's project is fixed once it exists (not on its change form); a released
        # rubric takes no new criterion: the project still being graded takes both.
        "projects.Group": {"assignment": a.grading.pk},
        # A project with groups stays in its course (not on its change form); so does a
        # module, always.
        "projects.ProjectAssignment": {"course": a.course.pk},
        "lessons.Module": {"course": a.course.pk},
        "grading.Criterion": {
            "rubric": Rubric.objects.get(assignment=a.grading).pk,
            "order": 3,
            "title": f"{a.word} clarity",
            "max_points": 5,
        },
        "grading.Review": {"group": a.group_q.pk, "grader": a.grader.pk, "close_hand_in": "on"},
        "autograding.TestSuite": {"assignment": a.bare.pk},
        "accounts.User": {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "display_name": "Newcomer",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "course": a.course.pk,
            "role": "student",
        },
    }
    for name, value in overrides.get(label, {}).items():
        data[name] = [str(value)]
    return _renamed(data, " new")


def resend_targets(a) -> list[tuple[str, int]]:
    """The changelists whose action invites again, with course A's invitee selected."""
    return [
        (reverse("admin:accounts_user_changelist"), a.invitee.pk),
        (reverse("admin:lessons_enrollment_changelist"), a.invitee.enrollments.get().pk),
    ]


def roster_file() -> io.BytesIO:
    upload = io.BytesIO(b"email,name,role\nintruder@example.org,In Truder,instructor\n")
    upload.name = "roster.csv"
    return upload


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_matrix(world, persona, settings, django_capture_on_commit_callbacks):
    # Emails queued by a write (invitations) are sent at once when it commits, so a
    # refused write that emails anyone shows in mail.outbox.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    a, b, superuser = world
    items = screens(a)
    forms = change_forms(superuser, items)
    empty_forms = add_forms(superuser, items)
    client = client_for(persona_user(persona, a, b, superuser))
    login = reverse("admin:login")
    in_back_office = persona in BACK_OFFICE
    teaches_a = persona in TEACHES_A
    failures = []

    def expect_refused(method: str, url: str, response) -> None:
        if not is_refusal(response, login):
            failures.append(f"{method} {url}: {response.status_code}, expected a refusal")

    def expect_page(url: str, response, *, with_a: bool | None) -> None:
        page = body(response)
        if response.status_code != 200:
            failures.append(f"GET {url}: {response.status_code}, expected 200")
        elif with_a is not None and (WORD_A in page) != with_a:
            failures.append(f"GET {url}: course A's data shown={WORD_A in page}")

    # Reading: lists, forms, objects, reports, exports, autocomplete.
    for screen in items:
        changelist = screen.url("changelist")
        response = client.get(changelist)
        if not in_back_office:
            expect_refused("GET", changelist, response)
        else:
            expect_page(changelist, response, with_a=teaches_a)
        add = screen.url("add")
        response = client.get(add)
        if not in_back_office:
            expect_refused("GET", add, response)
        elif screen.model_admin.has_add_permission(_request(superuser)):
            # The choices of the add form hold nothing of a course one does not teach.
            expect_page(add, response, with_a=None if teaches_a else False)
        for url in screen.object_urls:
            response = client.get(url)
            if teaches_a:
                if response.status_code == 403 and "/delete/" in url:
                    continue  # records nobody deletes here
                if screen.label in ("practice.Question", "practice.Exercise") and (
                    "/delete/" in url
                ):
                    # Deleted by taking the block out of its lesson: sent there.
                    lesson = reverse("admin:lessons_lesson_change", args=[screen.obj.lesson_id])
                    if (response.status_code, response.get("Location")) != (302, lesson):
                        failures.append(f"GET {url}: {response.status_code}, not sent to {lesson}")
                    continue
                if (
                    response.status_code == 403
                    and persona != "superuser"
                    and screen.label == "accounts.User"
                    and url.endswith("/history/")
                ):
                    continue  # a person's log spans their courses (test_user_admin.py)
                expect_page(url, response, with_a=True)
            else:
                expect_refused("GET", url, response)
                if WORD_A in body(response) and response.status_code != 302:
                    failures.append(f"GET {url}: the refusal shows course A's data")

    reports = [
        reverse("admin:lessons_course_progress", args=[a.course.pk]),
        reverse("admin:lessons_course_progress_csv", args=[a.course.pk]),
    ]
    for url in reports:
        response = client.get(url)
        if teaches_a:
            expect_page(url, response, with_a=True)
        else:
            expect_refused("GET", url, response)
    autocomplete = reverse("admin:autocomplete") + (
        "?app_label=lessons&model_name=enrollment&field_name=user&term=apple"
    )
    response = client.get(autocomplete)
    if not in_back_office:
        expect_refused("GET", autocomplete, response)
    else:
        expect_page(autocomplete, response, with_a=teaches_a)
    for url in others():
        response = client.get(url)
        if persona == "superuser":
            expect_page(url, response, with_a=None)
        else:
            expect_refused("GET", url, response)

    # Writing, refused: every row stays as it was.
    before = fingerprint()

    def refused_write(url: str, data, **kwargs) -> None:
        nonlocal before
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data, **kwargs)
        if response.status_code >= 500:
            failures.append(f"POST {url}: {response.status_code}")
        if len(mail.outbox) != sent:
            failures.append(f"POST {url}: a refused write emailed {mail.outbox[-1].to}")
        if fingerprint() != before:
            failures.append(f"POST {url}: a refused write changed the database")
            before = fingerprint()

    if not teaches_a:
        for screen in items:
            data = forms[screen.label]
            for url in (screen.url("change", screen.obj.pk), screen.url("delete", screen.obj.pk)):
                response = client.post(url, {**data, "post": "yes"})
                expect_refused("POST", url, response)
                if fingerprint() != before:
                    failures.append(f"POST {url}: a refused write changed the database")
                    before = fingerprint()
            # A new object of course A: its relations point into course A. (A new course
            # points nowhere: any instructor may start one, and teaches it.)
            if screen.label in empty_forms and screen.label != "lessons.Course":
                payload = add_payload(screen.label, empty_forms[screen.label], data, a, b)
                refused_write(screen.url("add"), payload)
            for action in screen.model_admin.get_actions(_request(superuser)):
                refused_write(
                    screen.url("changelist"),
                    {"action": action, "_selected_action": [screen.obj.pk], "post": "yes"},
                )
        refused_write(
            reverse("admin:lessons_enrollment_import_roster"),
            {"course": a.course.pk, "file": roster_file()},
        )
        # Course A's person still waiting for a password: theirs to invite, nobody else's.
        for url, pk in resend_targets(a):
            refused_write(url, {"action": "resend_invitation", "_selected_action": [pk]})

    # Writing, allowed: the instructor of course A creates each new object and saves each
    # change form as it is, and invites course A's person again.
    if teaches_a:
        for url, pk in resend_targets(a):
            mail.outbox.clear()
            with django_capture_on_commit_callbacks(execute=True):
                client.post(url, {"action": "resend_invitation", "_selected_action": [pk]})
            if [m.to for m in mail.outbox] != [[a.invitee.email]]:
                failures.append(f"POST {url} resend_invitation: no invitation sent")
        for screen in items:
            if screen.label not in empty_forms or screen.label == "lessons.Enrollment":
                continue  # (everyone one may enroll in course A is enrolled already)
            url = screen.url("add")
            payload = add_payload(
                screen.label, empty_forms[screen.label], forms[screen.label], a, b
            )
            response = client.post(url, payload)
            if response.status_code != 302:
                failures.append(f"POST {url}: {response.status_code}, expected the new object")
        for screen in items:
            if not screen.model_admin.has_change_permission(_request(superuser), screen.obj):
                continue
            url = screen.url("change", screen.obj.pk)
            response = client.post(url, _renamed(forms[screen.label]))
            if response.status_code != 302:
                failures.append(f"POST {url}: {response.status_code}, expected the save")

    assert not failures, f"{persona}:\n" + "\n".join(failures)


def _renamed(data: dict, suffix: str = " edited") -> dict:
    """DATA with its first name-like field changed, so a save is a visible write."""
    data = dict(data)
    for name in EDITED_FIELDS:
        if name in data:
            data[name] = [data[name][0] + suffix]
            break
    data["_save"] = ["Save"]
    return data


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize(
    "persona",
    ["anonymous", "student_a", "removed_grader_a", "instructor_a", "instructor_b", "superuser"],
)
def test_every_screen_answers_only_get_head_and_post(world, persona):
    """Back-office screens show a page and take its form: PUT, PATCH, DELETE, OPTIONS and
    made-up methods get 405 naming GET, HEAD and POST (Django's admin answered them with
    the page), before the login check, to course A's instructor as to everyone else."""
    a, b, superuser = world
    client = client_for(persona_user(persona, a, b, superuser))
    urls = [reverse(f"admin:{name}") for name in ("index", "login", "logout", "password_change")]
    urls += [
        reverse("admin:app_list", args=["lessons"]),
        reverse("admin:autocomplete") + "?app_label=lessons&model_name=enrollment&field_name=user",
        reverse("admin:jsi18n"),
        reverse("admin:lessons_enrollment_import_roster"),
        reverse("admin:lessons_course_progress", args=[a.course.pk]),
        reverse("admin:lessons_course_progress_csv", args=[a.course.pk]),
    ]
    for screen in screens(a):
        urls += [screen.url("changelist"), screen.url("add"), *screen.object_urls]
    urls += others()
    failures = []
    for url in urls:
        for method in ("PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"):
            response = client.generic(method, url)
            allowed = {name.strip() for name in response.get("Allow", "").split(",")}
            if response.status_code != 405 or allowed != {"GET", "HEAD", "POST"}:
                failures.append(f"{method} {url}: {response.status_code}, {allowed}")
    assert not failures, "\n".join(failures[:20])
    # The screens themselves still open (who sees what: test_admin_matrix).
    # Course A's row still opens for its teachers alone: course B's instructor is in a
    # back office of their own (404 for A's row), everyone else is sent to log in.
    change_a = reverse("admin:lessons_course_change", args=[a.course.pk])
    index, row = client.get(reverse("admin:index")), client.get(change_a)
    if persona in TEACHES_A:
        assert (index.status_code, row.status_code) == (200, 200)
    elif persona == "instructor_b":
        assert (index.status_code, row.status_code) == (200, 404)
    else:
        assert (index.status_code, row.status_code) == (302, 302)
