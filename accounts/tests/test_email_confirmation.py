"""An address belongs to its mailbox: an account someone made with another person's
address is not handed a course when an instructor enrolls that address."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.tests.tenants import build_tenant
from accounts.confirmation import confirmation_url, reclaim_unconfirmed
from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_invitations import import_roster, link_in, set_password
from api.tests.conftest import token_client
from api.tokens import token_create
from lessons.models import Enrollment

pytestmark = pytest.mark.django_db

SITE_URL = "https://courses.example.edu"
VICTIM = "co.teacher@example.org"
ATTACKER_PASSWORD = "attacker-chose-this-42"
NEW_PASSWORD = "plum-orbit-lantern-42"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def courses(db):
    return build_tenant("Apple"), build_tenant("Banana")


def sign_up(client: Client, key: str, email: str = VICTIM) -> User:
    """Sign up as a student of the course of KEY with EMAIL, as anyone holding a key can."""
    data = {
        "key": key,
        "username": "coteacher",
        "email": email,
        "display_name": "Dr Co Teacher",
        "password1": ATTACKER_PASSWORD,
        "password2": ATTACKER_PASSWORD,
    }
    response = client.post(reverse("lessons:signup"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(username="coteacher")


def can_log_in(username: str, password: str) -> bool:
    response = Client().post(
        reverse("accounts:login"), {"username": username, "password": password}
    )
    return response.status_code == 302


def enroll_by_api(course, email: str, role: str):
    """Enroll EMAIL in COURSE (a tenant) as its instructor's script does."""
    return token_client(course.instructor).post(
        f"/api/v1/courses/{course.course.pk}/enrollments/",
        {"email": email, "role": role},
        content_type="application/json",
    )


def confirmation_link(message) -> str:
    match = re.search(r"https://courses\.example\.edu(/accounts/confirm/\S+?/\S+?/)", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_sends_a_link_that_confirms_only_for_the_account_logged_in(
    client, courses, django_capture_on_commit_callbacks
):
    _, b = courses
    with django_capture_on_commit_callbacks(execute=True):
        user = sign_up(client, b.course.enrollment_key)
    assert not user.email_confirmed
    [message] = [m for m in mail.outbox if m.to == [VICTIM]]
    assert "Confirm your email address" in message.subject
    path = confirmation_link(message)
    assert "do not confirm" in message.body  # the victim of a typed address is warned
    # How long the link works is said before it fails, not only once it has (3 days).
    assert "The link works for 3 days; after that, ask for a new one" in message.body
    assert "The link works for 3 days" in message.alternatives[0].content

    # The mailbox alone confirms nothing: someone else logged in, or nobody.
    stranger = Client()
    stranger.force_login(b.student)
    page = stranger.post(path)
    assert page.status_code == 400
    assert "This confirmation link does not work" in page.content.decode()
    assert Client().get(path)["Location"].startswith(reverse("accounts:login"))
    b.student.refresh_from_db()
    user.refresh_from_db()
    assert not user.email_confirmed and b.student.email_confirmed

    # Its account, logged in: a page with a button (a mail scanner's GET changes nothing).
    assert "Confirm my address" in client.get(path).content.decode()
    user.refresh_from_db()
    assert not user.email_confirmed
    response = client.post(path, follow=True)
    assert "is confirmed" in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed
    # The link does not work again once used (the state is in its token).
    assert "Nothing is waiting for this link" in client.post(path, follow=True).content.decode()


def test_a_link_stops_working_when_the_address_changes(client, db):
    user = UserFactory(username="dora", email="dora@example.org", email_confirmed=False)
    old_link = confirmation_url(user).removeprefix(SITE_URL)
    user.email = "dora.new@example.org"
    user.save()
    client.force_login(user)
    assert client.post(old_link).status_code == 400
    user.refresh_from_db()
    assert not user.email_confirmed


def test_an_address_typed_at_sign_up_goes_to_its_mailbox_when_an_instructor_enrolls_it(
    client, db, django_capture_on_commit_callbacks
):
    """The attack of the probe: someone signs up with the address of a future
    co-teacher of course A (in no course yet); A's instructor enrolls that address."""
    a = build_tenant("Apple")
    attacker = UserFactory(username="coteacher", email=VICTIM, email_confirmed=False)
    attacker.set_password(ATTACKER_PASSWORD)
    attacker.save()
    client.force_login(attacker)
    _, secret = token_create(user=attacker, name="kept", scope="read")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = enroll_by_api(a, VICTIM, "instructor")
    assert response.status_code == 201, response.content

    # Whoever chose the password is out: login, session and token alike.
    assert not can_log_in("coteacher", ATTACKER_PASSWORD)
    assert client.get(reverse("lessons:dashboard"))["Location"].startswith(
        reverse("accounts:login")
    )
    me = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me/")
    assert me.status_code == 401
    assert client.get(reverse("grading:gradebook", args=[a.course.slug])).status_code in (302, 404)

    # The mailbox gets the invitation, and with it the account and the course.
    [invitation] = [m for m in mail.outbox if m.to == [VICTIM]]
    owner = Client()
    # The squatter's names went with the password: the owner gives theirs.
    _, answer = set_password(owner, link_in(invitation), NEW_PASSWORD, name="Vic Owner")
    assert answer.status_code == 302
    attacker.refresh_from_db()
    assert attacker.email_confirmed and attacker.display_name == "Vic Owner"
    assert owner.get(reverse("grading:gradebook", args=[a.course.slug])).status_code == 200


def test_an_unconfirmed_account_of_another_course_is_not_enrolled_nor_locked_out(
    client, courses, django_capture_on_commit_callbacks
):
    """Reclaiming from course A an unconfirmed account of course B locked B's student
    out at the word of an instructor who does not teach them. The address's owner
    takes the account with "Forgot your password?"; then A enrolls it as any other."""
    a, b = courses
    someone = sign_up(client, b.course.enrollment_key)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = enroll_by_api(a, VICTIM, "instructor")
    assert response.status_code == 400
    assert "its owner never confirmed this address" in response.json()["errors"]["email"][0]
    assert "Forgot your password?" in response.json()["errors"]["email"][0]
    assert not Enrollment.objects.filter(user=someone, course=a.course).exists()
    assert can_log_in("coteacher", ATTACKER_PASSWORD) and not mail.outbox

    # Nor by a roster, nor in the back office (where A's instructor finds the account
    # through course C, which they teach too): each says why, nothing changes.
    c = build_tenant("Cherry")
    Enrollment.objects.create(user=a.instructor, course=c.course, role=Role.INSTRUCTOR)
    Enrollment.objects.create(user=someone, course=c.course, role=Role.STUDENT)
    staff = Client()
    staff.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        page = import_roster(staff, a.course, f"email,name,role\n{VICTIM},Co,grader\n")
    page = page.content.decode()
    assert "is already in a course you do not teach, and its owner never confirmed" in page
    response = staff.post(
        reverse("admin:lessons_enrollment_add"),
        {"user": someone.pk, "course": a.course.pk, "role": Role.GRADER},
    )
    assert response.status_code == 200
    assert "its owner never confirmed this address" in response.content.decode()
    assert not Enrollment.objects.filter(user=someone, course=a.course).exists()
    assert can_log_in("coteacher", ATTACKER_PASSWORD) and not mail.outbox

    # The mailbox's owner resets the password (which confirms the address): enrolled.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": VICTIM})
    [reset] = [m for m in mail.outbox if m.to == [VICTIM]]
    path = re.search(r"https?://[^/]+(/\S+)", reset.body).group(1)
    owner = Client()
    form_url = owner.get(path, follow=True).redirect_chain[-1][0]
    owner.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not can_log_in("coteacher", ATTACKER_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        assert enroll_by_api(a, VICTIM, "instructor").status_code == 201
    assert can_log_in("coteacher", NEW_PASSWORD)


def test_an_instructor_who_teaches_the_other_course_too_may_reclaim_the_account(
    client, courses, django_capture_on_commit_callbacks
):
    """Probe 17: an instructor of A and C was refused an account of C ("in another
    course"), a course of their own: their students are theirs to reclaim."""
    a, _ = courses
    c = build_tenant("Cherry")
    Enrollment.objects.create(user=a.instructor, course=c.course, role=Role.INSTRUCTOR)
    someone = sign_up(Client(), c.course.enrollment_key)
    client.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:lessons_enrollment_add"),
            {"user": someone.pk, "course": a.course.pk, "role": Role.STUDENT},
        )
    assert response.status_code == 302
    someone.refresh_from_db()
    assert not someone.has_usable_password()
    assert Enrollment.objects.filter(user=someone, course=a.course).exists()
    # Course C's other instructor's view: A's instructor teaches A and C, not B.
    assert not can_log_in("coteacher", ATTACKER_PASSWORD)


def test_a_roster_import_reclaims_an_unconfirmed_account_and_says_so(
    client, courses, django_capture_on_commit_callbacks
):
    a, _ = courses
    attacker = UserFactory(
        username="coteacher",
        email=VICTIM,
        email_confirmed=False,
        display_name="Call 555-0100 to finish setup",
        first_name="IT",
        last_name="Desk",
    )
    mail.outbox.clear()
    client.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = import_roster(client, a.course, f"email,name,role\n{VICTIM},Co,grader\n")
    page = response.content.decode()
    assert "whose address was never confirmed: its password was cleared" in page
    assert f"invitation emailed to {VICTIM}" in page
    attacker.refresh_from_db()
    assert not attacker.has_usable_password()
    assert Enrollment.objects.get(user=attacker, course=a.course).role == Role.GRADER
    assert [m.to for m in mail.outbox] == [[VICTIM]]
    # Probe 18: the names its maker typed greeted the owner once the account was theirs;
    # the roster's name stands instead.
    assert (attacker.display_name, attacker.first_name, attacker.last_name) == ("Co", "", "")
    _, answer = set_password(Client(), link_in(mail.outbox[0]), NEW_PASSWORD)
    assert answer.status_code == 302


def test_an_account_made_in_the_back_office_with_a_password_is_reclaimed_too(
    courses, django_capture_on_commit_callbacks
):
    """An instructor makes an account with their future grader's address and sets its
    password ("Set one now") in a course they then leave; the next instructor of
    course A enrolls that address: the mailbox, not the one who chose it, gets it."""
    a, b = courses
    client = Client()
    client.force_login(b.instructor)
    data = {
        "course": b.course.pk,
        "role": Role.STUDENT,
        "username": "future-ta",
        "email": VICTIM,
        "display_name": "Future TA",
        "usable_password": "true",
        "password1": ATTACKER_PASSWORD,
        "password2": ATTACKER_PASSWORD,
    }
    assert client.post(reverse("admin:accounts_user_add"), data).status_code == 302
    made = User.objects.get(username="future-ta")
    assert made.has_usable_password() and not made.email_confirmed
    # In course B, course A's instructor may not take it (the test above); out of it:
    Enrollment.objects.filter(user=made).delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = enroll_by_api(a, VICTIM, "grader")
    assert response.status_code == 201
    assert not can_log_in("future-ta", ATTACKER_PASSWORD)


def test_a_confirmed_account_is_enrolled_as_before_and_told(
    courses, django_capture_on_commit_callbacks
):
    a, b = courses
    person = b.student  # confirmed: an account of before, or one that confirmed
    with django_capture_on_commit_callbacks(execute=True):
        response = enroll_by_api(a, person.email, "student")
    assert response.status_code == 201
    assert can_log_in(person.username, PASSWORD)
    [notice] = [m for m in mail.outbox if m.to == [person.email]]
    assert "/accounts/welcome/" not in notice.body


def test_a_password_reset_confirms_the_address(client, db, django_capture_on_commit_callbacks):
    user = UserFactory(username="dora", email="dora@example.org", email_confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "dora@example.org"})
    [message] = mail.outbox
    path = re.search(r"https?://\S+?(/accounts/password/reset/\S+?/\S+?/)", message.body).group(1)
    landing = client.get(path)
    client.post(landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.email_confirmed
    assert not reclaim_unconfirmed(user)  # nothing to take from its owner any more


def test_changing_the_address_in_the_back_office_unconfirms_it(
    client, courses, django_capture_on_commit_callbacks
):
    a, _ = courses
    person = a.student
    # Superusers only: an instructor's form shows the address read-only.
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = reverse("admin:accounts_user_change", args=[person.pk])
    joined = timezone.localtime(person.date_joined)
    data = {
        "username": person.username,
        "display_name": person.display_name,
        "email": "moved@example.org",
        "email_shown": person.email,  # as the page draws it
        "is_active": "on",
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.time().strftime("%H:%M:%S"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    old_email = person.email
    person.refresh_from_db()
    assert person.email == "moved@example.org" and not person.email_confirmed
    assert any(m.to == ["moved@example.org"] and "Confirm" in m.subject for m in mail.outbox)
    # The old address hears an administrator did it (probe 55: it read as a takeover).
    [notice] = [m for m in mail.outbox if m.to == [old_email]]
    assert "An administrator of the site made this change." in notice.body
    assert "someone else may be using your account" not in notice.body
    html = notice.alternatives[0][0]
    assert "An administrator of the site made this change." in html
    assert "someone else may be using" not in html


def test_asking_for_the_link_again_mails_an_address_a_few_times_an_hour_only(
    client, db, settings, django_capture_on_commit_callbacks
):
    """Any account may name any address: 60 "send it again" mailed it 60 times."""
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    user = UserFactory(username="mallory", email=VICTIM, email_confirmed=False)
    client.force_login(user)
    url = reverse("accounts:confirmation_resend")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, follow=True)
        assert "A confirmation link is on its way" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert f"Nothing was sent: {VICTIM} had several links in the last hour (for this" in (
        response.content.decode()
    )
    assert len([m for m in mail.outbox if m.to == [VICTIM]]) == 3


def test_tagged_variants_of_an_address_share_its_hourly_links(
    client, db, settings, django_capture_on_commit_callbacks
):
    """victim+1@, victim+2@... reach one mailbox, and each was counted apart."""
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    from accounts.tests.test_profile_email import profile

    user = UserFactory(username="mallory", email="mallory@example.org", email_confirmed=False)
    client.force_login(user)
    for tag in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            assert profile(client, f"Victim+{tag}@example.org", PASSWORD).status_code == 302
    assert len([m for m in mail.outbox if m.to[0].startswith("victim+")]) == 3


@pytest.mark.django_db(transaction=True)
def test_a_queued_link_goes_only_to_the_address_it_was_counted_for(client, settings):
    """The worker sent each queued link to the account's address of the moment: quick
    changes through free addresses, then a victim's, mailed the victim once per change."""
    from django.core.management import call_command

    from accounts.tests.test_profile_email import profile

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = UserFactory(username="mallory", email="mallory@example.org", email_confirmed=False)
    client.force_login(user)
    for address in ("one@example.org", "two@example.org", "three@example.org", VICTIM):
        assert profile(client, address, PASSWORD).status_code == 302
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert [m.to for m in mail.outbox] == [[VICTIM]]


def test_moving_between_addresses_tells_a_confirmed_old_address_only_a_few_times(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    from accounts.tests.test_profile_email import profile

    # An address never confirmed may be a stranger's: it hears nothing of the move.
    squatter = UserFactory(username="mal", email="typo@example.org", email_confirmed=False)
    client.force_login(squatter)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, "mal@example.org", PASSWORD)
    assert response.status_code == 302
    assert not [m for m in mail.outbox if m.to == ["typo@example.org"]]
    page = client.get(response["Location"]).content.decode()
    assert "Your email address is now mal@example.org. Confirm the new address" in page
    assert "was told" not in page  # said only when it was

    owner = UserFactory(username="own", email="first@example.org", email_confirmed=True)
    client.force_login(owner)
    for address in ("second@example.org", "first@example.org") * 4:
        with django_capture_on_commit_callbacks(execute=True):
            assert profile(client, address, PASSWORD).status_code == 302
        owner.refresh_from_db()
        path = confirmation_url(owner).removeprefix(SITE_URL)  # mailed 3 times an hour
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(path).status_code == 302
        owner.refresh_from_db()
        assert owner.email == address
    moved_notices = [m for m in mail.outbox if "Confirm" not in m.subject]
    assert len([m for m in moved_notices if m.to == ["first@example.org"]]) == 3
    assert len([m for m in moved_notices if m.to == ["second@example.org"]]) == 3


def test_a_squatter_who_joined_with_the_key_is_reclaimed_when_the_roster_names_the_address(
    client, courses, django_capture_on_commit_callbacks
):
    """Students join with the key before the roster is loaded: the roster found the
    squatter "already enrolled" and left them the course under the victim's name."""
    a, _ = courses
    squatter = sign_up(Client(), a.course.enrollment_key)
    mail.outbox.clear()
    client.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = import_roster(client, a.course, f"email,name,role\n{VICTIM},Co,student\n")
    page = response.content.decode()
    assert "role left unchanged; its address was never confirmed: its password was cleared" in page
    assert f"invitation emailed to {VICTIM}" in page
    assert not can_log_in("coteacher", ATTACKER_PASSWORD)
    assert [m.to for m in mail.outbox] == [[VICTIM]]
    # Confirmed, the same row changes nothing.
    squatter.refresh_from_db()
    squatter.email_confirmed = True
    squatter.set_password(NEW_PASSWORD)
    squatter.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = import_roster(client, a.course, f"email,name,role\n{VICTIM},Co,student\n")
    assert "never confirmed" not in page.content.decode()
    assert can_log_in("coteacher", NEW_PASSWORD) and not mail.outbox


def test_a_squatter_in_another_course_too_is_reported_and_left_to_its_owner(
    client, courses, django_capture_on_commit_callbacks
):
    a, b = courses
    squatter = sign_up(Client(), a.course.enrollment_key)
    Enrollment.objects.create(user=squatter, course=b.course, role=Role.STUDENT)
    mail.outbox.clear()
    client.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = import_roster(client, a.course, f"email,name,role\n{VICTIM},Co,student\n")
    page = response.content.decode()
    assert (
        "its address was never confirmed, but the account is in a course you do not teach" in page
    )
    assert can_log_in("coteacher", ATTACKER_PASSWORD) and not mail.outbox


def test_a_superusers_unconfirmed_new_address_is_never_reclaimed(courses, db):
    a, _ = courses
    root = UserFactory(username="root", email="root@example.org", email_confirmed=False)
    root.is_superuser = root.is_staff = True
    root.save()
    assert reclaim_unconfirmed(root) is False
    root.refresh_from_db()
    assert root.has_usable_password()


def test_the_confirmation_email_does_not_repeat_the_name_its_sender_chose(
    client, courses, django_capture_on_commit_callbacks
):
    """It opened "Hello <display name>," and the display name is anyone's text: "IT
    support: log in at http://evil.example/owa now" reached the victim's mailbox."""
    _, b = courses
    with django_capture_on_commit_callbacks(execute=True):
        user = sign_up(client, b.course.enrollment_key)
    user.display_name = "IT support: log in at http://evil.example/owa now"
    user.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:confirmation_resend"))
    [message] = mail.outbox
    html = message.alternatives[0][0] if message.alternatives else ""
    for text in (message.body, html):
        assert "evil.example" not in text and "IT support" not in text
    assert message.body.startswith("Hello,")


def test_a_new_student_is_told_at_sign_up_and_on_the_dashboard_to_confirm(
    client, courses, django_capture_on_commit_callbacks
):
    """Only the profile said it: a student who never opened it learnt nothing until an
    instructor's roster cleared their password."""
    _, b = courses
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("lessons:signup"),
            {
                "key": b.course.enrollment_key,
                "username": "newbie",
                "email": "newbie@example.org",
                "display_name": "New Bie",
                "password1": ATTACKER_PASSWORD,
                "password2": ATTACKER_PASSWORD,
            },
            follow=True,
        )
    assert "We sent a link to newbie@example.org" in response.content.decode()
    dashboard = reverse("lessons:dashboard")
    assert 'id="email-unconfirmed"' in client.get(dashboard).content.decode()
    [message] = [m for m in mail.outbox if m.to == ["newbie@example.org"]]
    client.post(confirmation_link(message))
    assert 'id="email-unconfirmed"' not in client.get(dashboard).content.decode()


def test_no_email_to_an_unconfirmed_address_greets_it_with_the_name_its_maker_chose(
    client, db, django_capture_on_commit_callbacks
):
    """The password reset and the invitation (sent when an instructor reclaims the
    account) opened with the display name a squatter typed: their text, in the
    mailbox's owner's inbox, under the site's name. A confirmed account is greeted."""
    a = build_tenant("Apple")
    phishing = "IT support: log in at http://evil.example/owa now"
    squatter = UserFactory(
        username="squat", email=VICTIM, email_confirmed=False, display_name=phishing
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": VICTIM})
        assert enroll_by_api(a, VICTIM, "student").status_code == 201  # the reclaim
    squatter.refresh_from_db()
    assert not squatter.has_usable_password()
    reset, invitation = [m for m in mail.outbox if m.to == [VICTIM]]
    assert "reset the password" in reset.body and "/accounts/welcome/" in invitation.body
    for message in (reset, invitation):
        html = message.alternatives[0][0] if message.alternatives else ""
        for text in (message.body, html):
            assert "evil.example" not in text and "IT support" not in text
        assert message.body.startswith("Hello,")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": a.student.email})
    [reset] = mail.outbox
    assert reset.body.startswith(f"Hello {a.student},")


def test_an_account_a_superuser_switched_off_is_not_reopened_by_an_enrollment(
    client, courses, django_capture_on_commit_callbacks
):
    """Probe 17: reclaiming an unconfirmed account whose password a superuser had
    disabled after use "cleared" a password it did not have, and its invitation opened
    the account again."""
    a, _ = courses
    shut = UserFactory(username="shut", email=VICTIM, email_confirmed=False)
    shut.set_unusable_password()
    shut.last_login = timezone.now()
    shut.save()
    mail.outbox.clear()
    client.force_login(a.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        page = import_roster(client, a.course, f"email,name,role\n{VICTIM},Co,student\n")
    page = page.content.decode()
    assert "password was cleared" not in page and "invitation emailed" not in page
    shut.refresh_from_db()
    assert shut.last_login is not None and not shut.has_usable_password()
    assert [m for m in mail.outbox if "/accounts/welcome/" in m.body] == []


def test_sign_up_says_no_link_was_sent_when_the_address_had_its_links(
    client, courses, settings, django_capture_on_commit_callbacks
):
    """Probe 20: another account naming the address had used up its links of the hour;
    sign-up still said "We sent a link"."""
    from accounts.throttle import address_mail_allowed

    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    for _ in range(3):
        address_mail_allowed("confirm", VICTIM)
    _, b = courses
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, b.course.enrollment_key)
    page = client.get(reverse("lessons:dashboard")).content.decode()
    assert f"No confirmation link was sent to {VICTIM}: it had several" in page
    assert "We sent a link" not in page and not mail.outbox


def test_the_api_shows_ones_own_address_waiting(client, db, django_capture_on_commit_callbacks):
    from accounts.tests.test_profile_email import profile

    person = UserFactory(username="pat", email="pat@example.org")
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, "pat.new@example.org", PASSWORD)
    me = token_client(person).get("/api/v1/me/").json()
    assert (me["email"], me["pending_email"]) == ("pat@example.org", "pat.new@example.org")


def test_a_former_student_of_another_course_is_not_reclaimed_from_it(
    courses, django_capture_on_commit_callbacks
):
    """Probe 57: removed from course B, a student stays in B's groups (their versions
    and marks are theirs); course A's instructor, enrolling their unconfirmed address,
    cleared their password and put the roster's names in B's grading pages."""
    a, b = courses
    former = b.removed_student
    assert not Enrollment.objects.filter(user=former, course=b.course).exists()
    User.objects.filter(pk=former.pk).update(email_confirmed=False)
    former.set_password(NEW_PASSWORD)
    former.save(update_fields=["password"])
    name = User.objects.get(pk=former.pk).display_name

    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(a.instructor).post(
            f"/api/v1/courses/{a.course.pk}/roster/",
            f"email,name,role\n{former.email},Renamed By A,student\n",
            content_type="text/csv",
        )
        by_address = enroll_by_api(a, former.email, "student")
    assert response.status_code in (200, 201), response.content
    assert "already in a course you do not teach" in response.content.decode()
    assert by_address.status_code == 400
    former.refresh_from_db()
    assert former.display_name == name and former.has_usable_password()
    assert not Enrollment.objects.filter(user=former, course=a.course).exists()
    assert can_log_in(former.username, NEW_PASSWORD) and not mail.outbox

    # B's instructor, who teaches the course of those groups, may (the address's owner
    # gets the invitation).
    with django_capture_on_commit_callbacks(execute=True):
        assert enroll_by_api(b, former.email, "student").status_code == 201
    former.refresh_from_db()
    assert not former.has_usable_password()
    assert any(m.to == [former.email] for m in mail.outbox)


def test_a_former_student_taken_out_of_their_group_is_not_reclaimed_either(courses):
    """Probe 60: taken out of their group (its history and versions keep their name),
    then out of course B, a student was still reclaimed from course A."""
    from projects.models import GroupMembership, MembershipEvent, Submission
    from projects.services import membership_remove

    a, b = courses
    former = b.removed_student
    GroupMembership.objects.filter(student=former).delete()
    group = b.submission_o.group
    membership = GroupMembership.objects.create(
        group=group, assignment=group.assignment, student=former
    )
    Submission.objects.filter(pk=b.submission_o.pk).update(submitted_by=former)
    membership_remove(membership=membership, actor=b.instructor)
    assert MembershipEvent.objects.filter(student=former, group=group).exists()
    assert not GroupMembership.objects.filter(student=former).exists()
    User.objects.filter(pk=former.pk).update(email_confirmed=False)
    former.set_password(NEW_PASSWORD)
    former.save(update_fields=["password"])
    name = User.objects.get(pk=former.pk).display_name

    response = token_client(a.instructor).post(
        f"/api/v1/courses/{a.course.pk}/roster/",
        f"email,name,role\n{former.email},Renamed By A,student\n",
        content_type="text/csv",
    )
    assert "already in a course you do not teach" in response.content.decode()
    former.refresh_from_db()
    assert former.display_name == name and former.has_usable_password()
