"""Invitations: accounts made for people get a one-time link to choose their password."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.invitations import invitation_url, invitations_resend
from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, UserFactory
from lessons.models import Course, Enrollment
from lessons.services import roster_import, roster_parse
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://courses.example.edu"
NEW_PASSWORD = "plum-orbit-lantern-42"
ROSTER = (
    "email,name,role\n"
    "new.person@example.org,New Person,student\n"
    "bob@example.org,Bob,student\n"
    "waiting@example.org,Still Waiting,grader\n"
    "not-an-email,Broken,student\n"
)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_NAME = "Pyweb Academy"
    settings.SITE_URL = SITE_URL
    # Tasks run as soon as they are enqueued; enqueued only on commit, which the
    # tests run with django_capture_on_commit_callbacks.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def course(alice):
    course = CourseFactory(title="Web Apps", slug="web-apps")
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)
    return course


@pytest.fixture
def other_course(db):
    """Course B, taught by its own instructor."""
    course = CourseFactory(title="Databases", slug="databases")
    teacher = UserFactory(username="bea", display_name="Bea Instructor")
    EnrollmentFactory(user=teacher, course=course, role=Role.INSTRUCTOR)
    return course, teacher


def invited_person(email: str, course=None, role=Role.STUDENT) -> User:
    """An account as a roster import makes it: no password, never logged in."""
    user = User(username=email.split("@")[0], email=email, display_name=email.split("@")[0])
    user.set_unusable_password()
    user.save()
    if course is not None:
        Enrollment.objects.create(user=user, course=course, role=role)
    return user


def link_in(message) -> str:
    """Return the path of the invitation link in MESSAGE, checking it is absolute."""
    match = re.search(r"https://courses\.example\.edu(/accounts/welcome/\S+?/\S+?/)", message.body)
    assert match, message.body
    assert match.group(0) in message.alternatives[0].content
    return match.group(1)


def text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


def import_roster(client, course, content: str):
    upload = SimpleUploadedFile("roster.csv", content.encode(), content_type="text/csv")
    return client.post(
        reverse("admin:lessons_enrollment_import_roster"), {"course": course.pk, "file": upload}
    )


def set_password(
    client, path: str, one: str = NEW_PASSWORD, two: str | None = None, *, name: str = ""
):
    """Open the invitation at PATH and submit the passwords (and NAME, for an account
    made without one); return (landing, answer)."""
    landing = client.get(path)
    if landing.status_code != 302:
        return landing, None
    data = {"new_password1": one, "new_password2": one if two is None else two}
    answer = client.post(landing["Location"], {**data, **({"display_name": name} if name else {})})
    return landing, answer


# Sent on roster import -------------------------------------------------------------
def test_a_roster_import_invites_new_accounts_once_the_roster_is_saved(
    client, course, alice, bob, django_capture_on_commit_callbacks
):
    waiting = invited_person("waiting@example.org")  # imported elsewhere, never came
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = import_roster(client, course, ROSTER)
    assert mail.outbox == []  # nothing leaves before the roster is saved
    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == [
        "bob@example.org",  # told he was enrolled (below)
        "new.person@example.org",
        "waiting@example.org",
    ]
    # The report says who was invited, row by row and as a list.
    invited = {row.email: row.invited for row in response.context["results"]}
    assert invited == {
        "new.person@example.org": True,
        "bob@example.org": False,  # has a password: nothing to choose
        "waiting@example.org": True,
        "not-an-email": False,
    }
    page = text(response)
    assert "2 invited by email" in page
    assert "An invitation to choose a password is emailed to 2 people" in page
    assert "New Person &lt;new.person@example.org&gt;" in page
    assert "invitation emailed to new.person@example.org" in page
    assert waiting.enrollments.get().role == Role.GRADER

    message = next(m for m in mail.outbox if m.to == ["new.person@example.org"])
    assert message.subject == "Your account on Pyweb Academy: choose your password"
    assert "Web Apps" in message.body and "Pyweb Academy" in message.body
    # The course with its term and the role given (probe 83: a title alone, no role).
    role = waiting.enrollments.get().get_role_display().lower()
    waiting_message = next(m for m in mail.outbox if m.to == ["waiting@example.org"])
    assert f"was made for you, for {course} as {role}." in waiting_message.body
    assert "Your username is newperson" in message.body
    assert "testserver" not in message.body  # links from SITE_URL, not the request
    link_in(message)
    # An existing account is enrolled no more silently: bob hears who may now see him.
    notice = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert notice.subject == f"You were enrolled in {course.title} on Pyweb Academy"
    assert f"An instructor of {course} enrolled you in it on Pyweb Academy, as student" in (
        notice.body
    )
    assert f"{SITE_URL}/courses/{course.slug}/" in notice.body
    assert "existing account, as student; told by email" in page


def test_a_roster_loaded_before_the_run_opens_says_the_course_opens_later(
    client, course, alice, bob, django_capture_on_commit_callbacks
):
    """Probe 49: the notice said "Open the course here", and its link answered "not
    found" to the student until the course was published."""
    Course.objects.filter(pk=course.pk).update(is_published=False)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        import_roster(client, course, "email,name,role\nbob@example.org,Bob,student\n")
    notice = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert "The course is not open yet: this link works once its instructors publish it" in (
        notice.body
    )
    assert "Open the course here" not in notice.body
    assert "The course is not open yet" in notice.alternatives[0].content
    # Published, it says to open it.
    mail.outbox.clear()
    Course.objects.filter(pk=course.pk).update(is_published=True)
    UserFactory(username="dora", email="dora@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        import_roster(client, course, "email,name,role\ndora@example.org,Dora,student\n")
    notice = next(m for m in mail.outbox if m.to == ["dora@example.org"])
    assert "Open the course here" in notice.body and "not open yet" not in notice.body


def test_a_roster_that_rolls_back_invites_nobody(
    client, course, alice, database_refuses, django_capture_on_commit_callbacks
):
    database_refuses("lessons_enrollment", when="NEW.role = 'grader'")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = import_roster(client, course, ROSTER)
    assert mail.outbox == []
    assert not any(row.invited for row in response.context["results"])
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_the_api_roster_reports_who_is_invited(course, alice, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(alice)
    rows = {"rows": [{"email": "api.person@example.org", "name": "Api Person", "role": ""}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/courses/{course.pk}/roster/", rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["rows"][0]["invited"] is True
    assert [m.to for m in mail.outbox] == [["api.person@example.org"]]


# The link ------------------------------------------------------------------------
def test_the_link_sets_the_password_logs_in_and_works_only_once(
    client, course, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        import_roster(client, course, "email,name,role\nnew.person@example.org,New Person,\n")
    path = link_in(mail.outbox[0])
    client.logout()

    landing, answer = set_password(client, path)
    assert landing["Location"].endswith("/set-password/")  # the token leaves the URL
    assert answer.status_code == 302 and answer["Location"] == reverse("lessons:dashboard")
    person = User.objects.get(email="new.person@example.org")
    assert person.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(person.pk)
    dashboard = text(client.get(answer["Location"]))
    assert "Welcome, New Person! Your password is set" in dashboard
    assert "Web Apps" in dashboard

    # The same link again, even by someone else: used up.
    client.logout()
    again = client.get(path)
    assert again.status_code == 200
    assert "This invitation link is not valid: it was already used" in text(again)
    assert 'name="new_password1"' not in text(again)
    login = {"username": "newperson", "password": NEW_PASSWORD}
    assert client.post(reverse("accounts:login"), login).status_code == 302


@pytest.mark.parametrize(
    ("age", "works"), [(timedelta(days=13, hours=23), True), (timedelta(days=14, hours=1), False)]
)
def test_an_invitation_expires_after_the_timeout_with_a_clear_message(client, age, works):
    person = invited_person("late@example.org")
    path = urlsplit(invitation_url(person, issued_at=timezone.now() - age)).path
    landing, answer = set_password(client, path)
    if works:
        assert answer.status_code == 302
        person.refresh_from_db()
        assert person.check_password(NEW_PASSWORD)
    else:
        assert landing.status_code == 200
        page = text(landing)
        assert "This invitation has expired: links work for 14 days." in page
        assert "Ask for a new one" in page
        person.refresh_from_db()
        assert not person.has_usable_password()


def test_an_invitation_opened_in_another_accounts_session_says_it_switches_accounts(
    client, course, bob
):
    """On a shared computer, bob's session was replaced by the invited account without
    a word: he went on working as someone else."""
    person = invited_person("newcomer@example.org", course)
    client.force_login(bob)
    landing = client.get(urlsplit(invitation_url(person)).path)
    page = text(client.get(landing["Location"]))
    assert f"You are logged in as <strong>{bob.username}</strong>" in page
    assert f"logs you out of {bob.username} and into newcomer" in page
    answer = client.post(
        landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert client.session["_auth_user_id"] == str(person.pk)
    dashboard = text(client.get(answer["Location"]))
    assert f"You were logged out of {bob.username}." in dashboard
    # Logged in as the invited account itself, or as nobody, nothing of it is said.
    other = invited_person("second@example.org", course)
    fresh = Client()
    landing = fresh.get(urlsplit(invitation_url(other)).path)
    assert "You are logged in as" not in text(fresh.get(landing["Location"]))


def test_a_deactivated_accounts_invitation_opens_nothing(client):
    # It set a password nobody could log in with, after saying "Welcome".
    person = invited_person("gone@example.org")
    path = urlsplit(invitation_url(person)).path
    User.objects.filter(pk=person.pk).update(is_active=False)
    landing, answer = set_password(client, path)
    assert landing.status_code == 200
    assert "This invitation link is not valid" in text(landing)
    person.refresh_from_db()
    assert not person.has_usable_password() and person.last_login is None
    assert "_auth_user_id" not in client.session


def test_a_reset_link_is_not_an_invitation_nor_the_reverse(client):
    person = invited_person("mixed@example.org")
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    reset_token = default_token_generator.make_token(person)
    invitation = reverse("accounts:invitation", args=[uid, reset_token])
    assert "not valid" in text(client.get(invitation))
    invitation_token = urlsplit(invitation_url(person)).path.rstrip("/").rsplit("/", 1)[1]
    reset = reverse("accounts:password_reset_confirm", args=[uid, invitation_token])
    assert "invalid or was already used" in text(client.get(reset))


# Hostile input on the set-password form ---------------------------------------------
@pytest.mark.parametrize(
    ("one", "two", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords differ."),
        ("password123", "password123", "This password is too common."),
        ("12345678901", "12345678901", "This password is entirely numeric."),
        ("short", "short", "This password is too short."),
        ("", "", "Enter new password."),
    ],
)
def test_a_refused_password_says_why_and_keeps_the_link(client, one, two, message):
    person = invited_person("careful@example.org")
    path = urlsplit(invitation_url(person)).path
    landing, answer = set_password(client, path, one, two)
    assert answer.status_code == 200
    assert message in text(answer)
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert "_auth_user_id" not in client.session
    # The link still works for a better try.
    retry = client.post(
        landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert retry.status_code == 302


def test_a_token_with_another_persons_uid_opens_nothing(client):
    victim = invited_person("victim@example.org")
    attacker = invited_person("attacker@example.org")
    attacker_token = urlsplit(invitation_url(attacker)).path.rstrip("/").rsplit("/", 1)[1]
    uid = urlsafe_base64_encode(force_bytes(victim.pk))
    response = client.get(reverse("accounts:invitation", args=[uid, attacker_token]))
    assert response.status_code == 200 and "not valid" in text(response)
    # Posting straight to the form's address, without a link opened first, sets nothing.
    form = reverse("accounts:invitation", args=[uid, "set-password"])
    response = client.post(form, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200 and "not valid" in text(response)
    victim.refresh_from_db()
    assert not victim.has_usable_password()


# Path segments as a browser would send them (no "/"), anything else.
segment = st.text(
    alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=60,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    uid=st.one_of(
        segment,
        st.integers(min_value=0, max_value=10**30).map(
            lambda n: urlsafe_base64_encode(str(n).encode())
        ),
    ),
    token=segment,
)
def test_any_uid_and_token_get_a_page_never_an_error(client, course, uid, token):
    response = client.get(reverse("accounts:invitation", args=[uid, token]))
    if "\x00" in uid + token:  # no page takes a NUL (coursesite/middleware.py)
        assert response.status_code == 400
        assert "Bad request" in text(response)
        return
    assert response.status_code == 200
    assert "This invitation link is not valid" in text(response)


# Sent on admin add ---------------------------------------------------------------
def add_person(client, course, **overrides):
    data = {
        "username": "dana",
        "email": "dana@example.org",
        "display_name": "Dana Newcomer",
        "course": course.pk,
        "role": "student",
        "usable_password": "false",
        "password1": "",
        "password2": "",
        "_save": "Save",
    }
    return client.post(reverse("admin:accounts_user_add"), {**data, **overrides})


def test_adding_a_person_in_the_back_office_invites_them(
    client, course, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    form = text(client.get(reverse("admin:accounts_user_add")))
    assert "Email an invitation to choose one" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = add_person(client, course)
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["dana@example.org"]]
    assert "Web Apps" in mail.outbox[0].body
    page = text(client.get(response["Location"]))
    assert "An invitation to choose a password is emailed to dana@example.org" in page

    client.logout()
    set_password(client, link_in(mail.outbox[0]))
    assert User.objects.get(username="dana").check_password(NEW_PASSWORD)


def test_a_person_added_with_a_password_gets_no_invitation(
    client, course, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_person(
            client, course, usable_password="true", password1=NEW_PASSWORD, password2=NEW_PASSWORD
        )
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_superuser_adding_someone_without_a_password_invites_them(
    client, django_capture_on_commit_callbacks
):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    data = {"username": "erin", "email": "erin@example.org", "usable_password": "false"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_add"), {**data, "_save": "Save"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["erin@example.org"]]


# Resending ---------------------------------------------------------------------------
def resend(client, changelist: str, pks: list[int]):
    return client.post(
        reverse(changelist),
        {"action": "resend_invitation", "_selected_action": pks, "post": "yes"},
        follow=True,
    )


@pytest.mark.parametrize(
    "changelist", ["admin:lessons_enrollment_changelist", "admin:accounts_user_changelist"]
)
def test_the_instructor_resends_an_invitation(
    client, course, alice, bob, changelist, django_capture_on_commit_callbacks
):
    waiting = invited_person("waiting@example.org", course)
    EnrollmentFactory(user=bob, course=course)
    enrollments = Enrollment.objects.filter(course=course, user__in=[waiting, bob])
    if "enrollment" in changelist:
        pks = list(enrollments.values_list("pk", flat=True))
    else:
        pks = [waiting.pk, bob.pk]
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        page = text(resend(client, changelist, pks))
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]
    assert "Invitation emailed again to 1: waiting &lt;waiting@example.org&gt;." in page
    assert "1 not invited: they already chose a password" in page  # bob
    set_password(Client(), link_in(mail.outbox[0]))
    waiting.refresh_from_db()
    assert waiting.check_password(NEW_PASSWORD)


def test_removing_and_importing_an_address_again_and_again_invites_it_a_few_times_only(
    client, course, alice, django_capture_on_commit_callbacks
):
    """Probe 18: each removal and new import of the same address sent its invitation,
    16 in a minute; the first one was not counted at all."""
    client.force_login(alice)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            import_roster(client, course, "email,name,role\nagain@example.org,Again,\n")
        Enrollment.objects.filter(user__email="again@example.org").delete()
    assert [m.to for m in mail.outbox] == [["again@example.org"]] * 3


@pytest.mark.parametrize(
    "changelist", ["admin:lessons_enrollment_changelist", "admin:accounts_user_changelist"]
)
def test_an_address_gets_a_few_invitations_an_hour_however_often_the_button_is_pressed(
    client, course, alice, changelist, django_capture_on_commit_callbacks
):
    """The resend had no limit: an instructor (or a script behind their session) could
    mail an address without end, from the site's own address."""
    waiting = invited_person("waiting@example.org", course)
    other = invited_person("other@example.org", course)
    pick = {
        person: (person.enrollments.get().pk if "enrollment" in changelist else person.pk)
        for person in (waiting, other)
    }
    client.force_login(alice)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            page = text(resend(client, changelist, [pick[waiting]]))
    assert len(mail.outbox) == 3
    assert "Not emailed again to waiting@example.org: each address gets at most 3" in page
    assert "Invitation emailed again" not in page
    # Another address has its own count; the links already sent still work.
    with django_capture_on_commit_callbacks(execute=True):
        page = text(resend(client, changelist, [pick[waiting], pick[other]]))
    assert [m.to for m in mail.outbox[3:]] == [["other@example.org"]]
    assert "Invitation emailed again to 1: other" in page
    _, answer = set_password(Client(), link_in(mail.outbox[2]))
    assert answer.status_code == 302


@pytest.mark.parametrize(
    "changelist", ["admin:lessons_enrollment_changelist", "admin:accounts_user_changelist"]
)
def test_instructor_b_cannot_invite_course_a_people(
    client, course, other_course, changelist, django_capture_on_commit_callbacks
):
    waiting = invited_person("waiting@example.org", course)
    enrollment = waiting.enrollments.get()
    _, bea = other_course
    client.force_login(bea)
    pk = enrollment.pk if "enrollment" in changelist else waiting.pk
    with django_capture_on_commit_callbacks(execute=True):
        page = text(resend(client, changelist, [pk]))
    assert mail.outbox == []
    # Said, on both lists (probe 19: the people list said nothing at all).
    assert "None of the selected items is in a course you teach: nothing was done." in page
    # Nor through the service, whatever queryset it is handed.
    with django_capture_on_commit_callbacks(execute=True):
        result = invitations_resend(by=bea, users=User.objects.filter(pk=waiting.pk))
    assert (result.invited, result.skipped) == ([], 1)
    assert mail.outbox == []


def test_a_removed_student_is_not_invited_again(
    client, course, alice, django_capture_on_commit_callbacks
):
    removed = invited_person("removed@example.org", course)
    removed.enrollments.all().delete()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        resend(client, "admin:accounts_user_changelist", [removed.pk])
        result = invitations_resend(by=alice, users=User.objects.filter(pk=removed.pk))
    assert (result.invited, result.skipped) == ([], 1)
    assert mail.outbox == []


def test_an_account_whose_password_was_disabled_after_use_is_not_invited(
    course, alice, django_capture_on_commit_callbacks
):
    # A superuser switched off the password of someone who used the site: keep them out.
    person = invited_person("gone@example.org", course)
    person.last_login = timezone.now()
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = invitations_resend(by=alice, users=User.objects.filter(pk=person.pk))
    assert result.invited == [] and mail.outbox == []


# The reset form ------------------------------------------------------------------------
def test_the_reset_form_resends_the_invitation_and_answers_everyone_alike(
    client, course, bob, django_capture_on_commit_callbacks
):
    invited_person("waiting@example.org", course)
    disabled = invited_person("disabled@example.org", course)
    disabled.is_active = False
    disabled.save()
    url = reverse("accounts:password_reset")
    answers = {}
    emails = ("waiting", "bob", "nobody", "disabled")
    emails = [f"{name}@example.org" for name in emails]
    for email in emails:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"email": email.upper()})
        answers[email] = (response.status_code, response["Location"])
    assert len(set(answers.values())) == 1  # the same answer whoever asked
    assert answers["nobody@example.org"] == (302, reverse("accounts:password_reset_done"))

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"waiting@example.org", "bob@example.org"}
    invitation, reset = sent["waiting@example.org"], sent["bob@example.org"]
    assert invitation.subject == "Your account on Pyweb Academy: choose your password"
    set_password(client, link_in(invitation))
    assert User.objects.get(email="waiting@example.org").check_password(NEW_PASSWORD)
    # The reset email links from SITE_URL too, and is signed with the site's name.
    assert reset.subject == "Reset your password on Pyweb Academy"
    assert f"{SITE_URL}/accounts/password/reset/" in reset.body
    assert "Pyweb Academy" in reset.body and "testserver" not in reset.body


# Site name and favicon -----------------------------------------------------------------
def test_the_site_name_and_favicon_show_on_the_site_and_in_the_back_office(client, alice, course):
    page = text(client.get(reverse("accounts:login")))
    assert "<title>Log in · Pyweb Academy</title>" in page
    assert 'href="/">Pyweb Academy</a>' in page  # the navbar
    assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.svg"', page)
    client.force_login(alice)
    admin = text(client.get(reverse("admin:index")))
    assert "Pyweb Academy back office" in admin
    assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.svg"', admin)


def test_roster_rows_of_people_with_a_password_are_not_invited(course, bob):
    rows = roster_import(course=course, rows=roster_parse(f"email,name,role\n{bob.email},Bob,\n"))
    assert [(row.outcome, row.invited) for row in rows] == [("enrolled", False)]
    assert bob.check_password(PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_invitations_go_through_the_database_queue_and_its_worker(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    alice = UserFactory(username="alice")
    course = CourseFactory(title="Web Apps", slug="web-apps")
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    import_roster(client, course, "email,name,role\nqueued@example.org,Queued Person,\n")

    # The request only enqueued, after its transaction committed.
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert [m.to for m in mail.outbox] == [["queued@example.org"]]
    link_in(mail.outbox[0])


def test_an_invitation_of_a_roster_row_without_a_name_asks_for_it(
    client, course, alice, django_capture_on_commit_callbacks
):
    """A roster row with an address only made a nameless account, shown as its username
    to teammates and graders; sign-up asks for a name, so the invitation does."""
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        import_roster(client, course, "email,name,role\nno.name@example.org,,\n")
    path = link_in(mail.outbox[0])
    client.logout()
    landing = client.get(path)
    form_page = client.get(landing["Location"])
    assert 'name="display_name"' in text(form_page) and "Your name" in text(form_page)
    # Refused without one, the passwords' page again; nothing is set.
    answer = client.post(
        landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert answer.status_code == 200 and "Enter your name." in text(answer)
    person = User.objects.get(email="no.name@example.org")
    assert not person.has_usable_password()
    # A name of invisible characters is no name either.
    answer = client.post(
        landing["Location"],
        {"display_name": "\u200b", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert answer.status_code == 200 and "display_name" in answer.context["form"].errors
    answer = client.post(
        landing["Location"],
        {"display_name": "Noa Name", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    person.refresh_from_db()
    assert person.display_name == "Noa Name" and person.check_password(NEW_PASSWORD)
    assert "Welcome, Noa Name!" in text(client.get(answer["Location"]))


def test_an_invitation_of_a_named_person_asks_no_name(client, course):
    person = invited_person("named@example.org", course)
    landing = client.get(urlsplit(invitation_url(person)).path)
    assert 'name="display_name"' not in text(client.get(landing["Location"]))


def test_a_superuser_adds_a_new_colleague_with_the_course_made_for_them(
    client, course, django_capture_on_commit_callbacks
):
    """Probe 83: a colleague who teaches no course yet could be given the back office only
    through last year's course; the invitation, sent before any enrollment, named none."""
    from lessons.models import Course, Enrollment

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    fresh = Course.objects.create(title="Python for the Web", slug="pyweb-next", term="2026-2027")
    client.force_login(root)
    form = text(client.get(reverse("admin:accounts_user_add")))
    assert "Optional: the course the new account joins" in form
    data = {"username": "mira", "email": "mira@example.org", "usable_password": "false"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_add"),
            {**data, "course": fresh.pk, "role": "instructor", "_save": "Save"},
        )
    assert response.status_code == 302
    mira = User.objects.get(username="mira")
    assert [(e.course, e.role) for e in Enrollment.objects.filter(user=mira)] == [
        (fresh, Role.INSTRUCTOR)
    ]
    assert "for Python for the Web (2026-2027) as instructor." in mail.outbox[0].body

    client.logout()
    set_password(client, link_in(mail.outbox[0]))
    client.force_login(mira)
    assert client.get(reverse("admin:lessons_course_change", args=[fresh.pk])).status_code == 200
    # ... and nothing of any other course.
    assert client.get(reverse("admin:lessons_course_change", args=[course.pk])).status_code in (
        302,
        404,
    )
