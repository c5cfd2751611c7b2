"""People in the back office: names are site-wide, so an instructor corrects them only for
people wholly in their own courses; the user forms refuse a taken email in words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from lessons.services import RosterOutcome
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

RENAMED = "IT-Support: reset at evil.example"


def person(username: str, *enrollments, **fields) -> User:
    # The address differs from the username, so a page showing one is not mistaken
    # for one showing the other.
    email = f"{username.replace('-', '.')}@example.org"
    user = UserFactory(username=username, email=email, display_name=username.title(), **fields)
    for course, role in enrollments:
        EnrollmentFactory(user=user, course=course, role=role)
    return user


@pytest.fixture
def world():
    """Courses A and B, each with its instructor; people in one of them, or in both."""
    a, b = CourseFactory(slug="apple"), CourseFactory(slug="banana")
    w = SimpleNamespace(a=a, b=b)
    w.teacher_a = person("teacher-a", (a, Role.INSTRUCTOR))
    w.teacher_b = person("teacher-b", (b, Role.INSTRUCTOR))
    w.teacher_ab = person("teacher-ab", (a, Role.INSTRUCTOR), (b, Role.INSTRUCTOR))
    w.student_a = person("student-a", (a, Role.STUDENT))
    w.student_b = person("student-b", (b, Role.STUDENT))
    w.grader_a = person("grader-a", (a, Role.GRADER))
    w.shared = person("shared", (a, Role.STUDENT), (b, Role.STUDENT))
    w.root = person("root", (a, Role.STUDENT), is_superuser=True, is_staff=True)
    w.staff = person("staffer", (a, Role.STUDENT), is_staff=True)
    return w


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def rename(client, user: User, name: str = RENAMED):
    data = {"email": user.email, "display_name": name, "last_name": "Support", "_save": "Save"}
    return client.post(change_url(user), data)


def name_of(user: User) -> str:
    return User.objects.get(pk=user.pk).display_name


@pytest.mark.parametrize(
    ("teacher", "target"),
    [
        ("teacher_a", "student_a"),
        ("teacher_a", "grader_a"),
        ("teacher_b", "student_b"),
        ("teacher_ab", "shared"),  # teaches every course the person is in
        ("teacher_a", "teacher_a"),  # oneself
    ],
)
def test_an_instructor_corrects_the_names_of_people_only_in_their_courses(
    client, world, teacher, target
):
    client.force_login(getattr(world, teacher))
    target = getattr(world, target)
    assert 'name="display_name"' in client.get(change_url(target)).content.decode()
    assert rename(client, target).status_code == 302
    assert name_of(target) == RENAMED


@pytest.mark.parametrize(
    ("teacher", "target"),
    [
        ("teacher_a", "shared"),  # also a student of course B
        ("teacher_b", "shared"),  # the same, from the other course
        ("teacher_a", "teacher_ab"),  # a co-teacher, who also teaches B
        ("teacher_a", "root"),  # the probe renamed a superuser enrolled as a student
        ("teacher_a", "staff"),
    ],
)
def test_anyone_also_elsewhere_or_staff_opens_read_only(client, world, teacher, target):
    client.force_login(getattr(world, teacher))
    target = getattr(world, target)
    before = name_of(target)
    page = client.get(change_url(target))
    assert page.status_code == 200  # still seen, as before
    assert 'name="display_name"' not in page.content.decode()
    assert before in page.content.decode()
    assert rename(client, target).status_code == 403
    assert name_of(target) == before


def test_people_of_another_course_stay_out_of_sight(client, world):
    client.force_login(world.teacher_a)
    assert client.get(change_url(world.student_b)).status_code == 404
    assert rename(client, world.student_b).status_code == 404
    assert name_of(world.student_b) == "Student-B"


@pytest.mark.parametrize(
    "flag", ["is_staff__exact=1", "is_superuser__exact=1", "is_active__exact=0", "groups=1"]
)
def test_instructors_cannot_sort_their_people_by_flags_they_are_not_shown(client, world, flag):
    """Probe 41: ?is_staff__exact=1, typed in the address, listed which of an
    instructor's people were staff (the flags are shown to superusers only)."""
    url = reverse("admin:accounts_user_changelist")
    client.force_login(world.teacher_a)
    assert client.get(f"{url}?{flag}").status_code == 400
    # What the list shows may be filtered on, and superusers filter by every flag.
    page = client.get(f"{url}?username__startswith=staff").content.decode()
    assert "staffer@example.org" in page and "student.a@example.org" not in page
    client.force_login(world.root)
    page = client.get(f"{url}?is_staff__exact=1").content.decode()
    assert "staffer@example.org" in page and "student.a@example.org" not in page


def test_enrolling_someone_by_roster_gives_no_hold_on_their_name(client, world):
    # The probe: import another course's student (or a superuser) into one's course,
    # then rename them. The enrollment is allowed (co-teaching); the renaming is not.
    client.force_login(world.teacher_a)
    roster = f"email,name,role\n{world.student_b.email},Whoever,student\n".encode()
    response = client.post(
        reverse("admin:lessons_enrollment_import_roster"),
        {"course": world.a.pk, "file": SimpleUploadedFile("roster.csv", roster)},
    )
    [row] = response.context["results"]
    assert (row.outcome, row.detail) == (
        RosterOutcome.ENROLLED,
        "existing account, as student; told by email",
    )
    assert world.student_b.username not in response.content.decode()
    assert rename(client, world.student_b).status_code == 403
    assert name_of(world.student_b) == "Student-B"
    # Teacher B, who sees the student too, is held back in the same way.
    client.force_login(world.teacher_b)
    assert rename(client, world.student_b).status_code == 403


def test_superusers_change_anyone(admin_client, world):
    for target in (world.shared, world.teacher_ab, world.staff):
        response = admin_client.get(change_url(target))
        assert 'name="display_name"' in response.content.decode()


# Email addresses in the back office: canonical, and a taken one refused in words ------
def superuser_data(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "email_shown": user.email,  # as the page draws it (AdminUserChangeForm)
        "display_name": user.display_name,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2024-09-01",
        "date_joined_1": "08:00:00",
        "_save": "Save",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    "typed",
    [
        "STUDENT.A@example.org",
        "student.a@ｅxample.org",  # noqa: RUF001 - a fullwidth e, the look-alike itself
    ],
)
def test_a_taken_email_is_refused_in_words_on_the_change_form(admin_client, world, typed):
    response = admin_client.post(
        change_url(world.student_b), superuser_data(world.student_b, email=typed)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Another account already uses this email address." in page
    assert "accounts_user_email_ci_unique" not in page
    assert User.objects.get(pk=world.student_b.pk).email == "student.b@example.org"


def test_the_change_form_stores_the_canonical_email(admin_client, world):
    typed = " New.Address@ＥXAMPLE.org "  # noqa: RUF001 - a fullwidth E
    response = admin_client.post(
        change_url(world.student_b), superuser_data(world.student_b, email=typed)
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.student_b.pk).email == "new.address@example.org"


def test_the_change_form_refuses_invisible_characters(admin_client, world):
    typed = "student.b@example.org\u200b"
    response = admin_client.post(
        change_url(world.student_b), superuser_data(world.student_b, email=typed)
    )
    assert "invisible character (U+200B)" in response.content.decode()


@pytest.mark.parametrize("as_superuser", [True, False])
def test_a_taken_email_is_refused_in_words_on_the_add_form(client, admin_user, world, as_superuser):
    client.force_login(admin_user if as_superuser else world.teacher_a)
    data = {
        "username": "newcomer",
        "email": "\u212aelvin@example.org" if as_superuser else "Student.A@Example.org",
        "display_name": "New Comer",
        "usable_password": "false",
        "course": world.a.pk,
        "role": Role.STUDENT,
    }
    UserFactory(username="kelvin")  # kelvin@example.org: the Kelvin sign folds into a K
    response = client.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Another account already uses this email address." in page
    assert "accounts_user_email_ci_unique" not in page
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("field", ["display_name", "first_name", "last_name"])
def test_the_back_office_refuses_text_direction_overrides_in_names(client, world, field):
    # The instructor of course A renames their own student (allowed) but with a
    # right-to-left override, which would make the name read as another on every page.
    client.force_login(world.teacher_a)
    response = rename(client, world.student_a, name="Ada")  # a plain rename goes through
    assert response.status_code == 302
    data = {"email": world.student_a.email, "display_name": "Ada", "_save": "Save"}
    response = client.post(change_url(world.student_a), {**data, field: "Evil\u202egnp.exe"})
    assert response.status_code == 200
    assert "invisible text-direction characters" in response.content.decode()
    after = User.objects.values("display_name", "first_name", "last_name").get(
        pk=world.student_a.pk
    )
    assert after["display_name"] == "Ada" and "\u202e" not in "".join(after.values())


@pytest.mark.parametrize("who", ["teacher_a", "root"])
def test_ones_own_password_is_changed_on_the_form_that_asks_for_the_current_one(client, world, who):
    me = getattr(world, who)
    client.force_login(me)
    url = reverse("admin:auth_user_password_change", args=[me.pk])
    for response in (
        client.get(url),
        client.post(url, {"password1": "Taken-Over-1234", "password2": "Taken-Over-1234"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_change")
    assert not User.objects.get(pk=me.pk).check_password("Taken-Over-1234")


def delete_account(client, user: User):
    url = reverse("admin:accounts_user_delete", args=[user.pk])
    return client.get(url).content.decode(), client.post(url, {"post": "yes"})


def test_the_last_instructor_of_a_course_keeps_their_account(admin_client, world):
    # Both of teacher-ab's courses keep another instructor: the account may go.
    _page, response = delete_account(admin_client, world.teacher_ab)
    assert response.status_code == 302
    assert not User.objects.filter(pk=world.teacher_ab.pk).exists()
    # teacher-b is now banana's only instructor.
    page, response = delete_account(admin_client, world.teacher_b)
    assert "is the only instructor of" in page
    assert response.status_code == 200  # the refusal again, nothing deleted
    assert User.objects.filter(pk=world.teacher_b.pk).exists()


def test_graders_and_students_with_released_marks_keep_their_accounts(admin_client, world):
    from grading.tests.factories import released_feedback

    released_feedback(world.student_a, world.a, grader=world.grader_a, answered_regrade=False)
    page, response = delete_account(admin_client, world.grader_a)
    assert "is the grader of 1 group(s)" in page and "untick “Active”" in page
    assert "permission" not in page  # said in words, not as a missing permission
    page, response = delete_account(admin_client, world.student_a)
    assert "has marks released to students" in page
    assert User.objects.filter(pk__in=[world.grader_a.pk, world.student_a.pk]).count() == 2
    # The bulk action refuses them alike.
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [world.grader_a.pk], "post": "yes"},
    )
    assert "is the grader of 1 group(s)" in response.content.decode()
    assert User.objects.filter(pk=world.grader_a.pk).exists()


def test_a_name_still_shown_in_a_course_the_person_left_is_not_renamed_from_another(client, world):
    # student-b was in a group of course A's project, then left course A: the name
    # still shows in that group, which teacher-b does not teach.
    from projects.tests.factories import GroupMembershipFactory

    GroupMembershipFactory(group__assignment__course=world.a, student=world.student_b)
    client.force_login(world.teacher_b)
    before = name_of(world.student_b)
    assert 'name="display_name"' not in client.get(change_url(world.student_b)).content.decode()
    assert rename(client, world.student_b).status_code == 403
    assert name_of(world.student_b) == before
    # Who teaches both courses may.
    client.force_login(world.teacher_ab)
    assert rename(client, world.student_b).status_code == 302


@pytest.mark.parametrize("trace", ["graded", "completed", "commented", "answered a regrade"])
def test_a_name_left_in_a_courses_grading_is_not_renamed_from_another(client, world, trace):
    """Probe 94: a grader removed from course A, enrolled by course B's instructor, was
    renamed by them "Ada Instructor (course lead)", and A's review history read so."""
    from grading.models import LineComment, RegradeRequest, RegradeStatus, Review
    from grading.tests.factories import CriterionFactory, ReviewFactory

    former = person("former-grader", (world.b, Role.STUDENT))
    review = ReviewFactory(group__assignment__course=world.a, grader=world.grader_a)
    if trace == "graded":
        Review.objects.filter(pk=review.pk).update(grader=former)
    elif trace == "completed":
        Review.objects.filter(pk=review.pk).update(completed_by=former)
    elif trace == "commented":
        LineComment.objects.create(review=review, author=former, path="app.py", line=1, text="x")
    else:
        criterion = CriterionFactory(rubric__assignment=review.group.assignment)
        RegradeRequest.objects.create(
            review=review,
            criterion=criterion,
            requested_by=world.student_a,
            reason="Why?",
            status=RegradeStatus.DECLINED,
            answered_by=former,
        )
    client.force_login(world.teacher_b)
    assert 'name="display_name"' not in client.get(change_url(former)).content.decode()
    assert rename(client, former).status_code == 403
    assert name_of(former) == "Former-Grader"
    client.force_login(world.teacher_ab)  # who teaches both courses may
    assert rename(client, former).status_code == 302


@pytest.mark.parametrize("who", ["teacher_a", "root"])
def test_ones_own_email_is_changed_on_the_profile_page_not_in_the_back_office(
    client, world, who, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """The back office changed one's own address with no password and no word to the old
    one: on a session left open, "Forgot your password?" then handed the account over."""
    me = getattr(world, who)
    client.force_login(me)
    page = client.get(change_url(me)).content.decode()
    assert 'name="email"' not in page and me.email in page  # shown, not editable
    assert "Change your own email address on your profile page" in page
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    data = superuser_data(me, email="attacker@evil.example", display_name="Still Me")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(me), data)
    assert response.status_code == 302
    after = User.objects.get(pk=me.pk)
    assert (after.email, after.display_name) == (me.email, "Still Me")
    assert not mailoutbox  # nothing changed, nobody to tell


def test_an_address_a_superuser_changes_hears_of_it(
    admin_client, world, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    old = world.student_a.email
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(world.student_a), superuser_data(world.student_a, email="new.a@example.org")
        )
    assert response.status_code == 302
    changed = User.objects.get(pk=world.student_a.pk)
    assert changed.email == "new.a@example.org" and not changed.email_confirmed
    # The old address hears of it; the new one gets the link that confirms it.
    assert [message.to for message in mailoutbox] == [[old], ["new.a@example.org"]]
    assert "new.a@example.org" in mailoutbox[0].body
    assert "/accounts/confirm/" in mailoutbox[1].body
    # A save that leaves the address alone writes to nobody.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            change_url(world.student_a), superuser_data(world.student_a, email="new.a@example.org")
        )
    assert len(mailoutbox) == 2


def test_a_persons_log_is_theirs_and_the_superusers(client, world):
    """It spans every course the person is in: another course's instructor read what
    this course's instructor changed, and when."""
    url = reverse("admin:accounts_user_history", args=[world.student_a.pk])
    client.force_login(world.teacher_a)
    assert client.get(url).status_code == 403
    missing = reverse("admin:accounts_user_history", args=[999_999])
    assert client.get(missing).status_code == 403  # alike: nothing told of who exists
    own = reverse("admin:accounts_user_history", args=[world.teacher_a.pk])
    assert client.get(own).status_code == 200
    client.force_login(world.root)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["teacher_a", "root"])
def test_the_change_page_says_whether_the_address_is_confirmed_or_waits(client, world, who):
    """A student says they get no mail at the address they typed: the page says why."""
    client.force_login(getattr(world, who))
    student = world.student_a
    User.objects.filter(pk=student.pk).update(email_confirmed=True, pending_email="")
    assert "Confirmed." in client.get(change_url(student)).content.decode()
    User.objects.filter(pk=student.pk).update(pending_email="moved.a@example.org")
    page = client.get(change_url(student)).content.decode()
    assert "asked to move to moved.a@example.org" in page
    assert "until they open the link sent there" in page
    User.objects.filter(pk=student.pk).update(email_confirmed=False, pending_email="")
    assert "Not confirmed yet" in client.get(change_url(student)).content.decode()


def test_a_student_whose_group_handed_in_work_keeps_their_account(admin_client, world):
    """Probe 49: deleting a member of a group that had handed in (grades not released)
    took them out of the group and its history, and a group of one kept a review whose
    mark went to no one."""
    from projects.models import GroupMembership
    from projects.tests.factories import GroupMembershipFactory, SubmissionFactory

    membership = GroupMembershipFactory(group__assignment__course=world.a, student=world.student_a)
    url = reverse("admin:accounts_user_delete", args=[world.student_a.pk])
    page = admin_client.get(url).content.decode()
    assert "handed in work" not in page and "Yes, I’m sure" in page  # nothing handed in yet
    SubmissionFactory(group=membership.group, submitted_by=world.student_a)
    other = GroupMembershipFactory(group__assignment__course=world.a).student
    page, response = delete_account(admin_client, other)
    assert response.status_code == 302  # in a group that handed in nothing
    page, response = delete_account(admin_client, world.student_a)
    assert "is a member of 1 group(s) that handed in work" in page
    assert "untick “Active”" in page
    assert User.objects.filter(pk=world.student_a.pk).exists()
    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_a_renamed_username_keeps_the_rule_a_new_one_follows(admin_client, world):
    """Probe 83: the add page said "letters a-z and A-Z, digits and . + - _ only", the
    change page Django's "@/./+/-/_", and took a name the sign-up would refuse."""
    page = admin_client.get(change_url(world.student_b)).content.decode()
    assert "letters a-z and A-Z, digits and . + - _ only" in page
    refused = admin_client.post(
        change_url(world.student_b), superuser_data(world.student_b, username="bob@home")
    )
    assert refused.status_code == 200
    assert "Use only the letters a-z and A-Z, digits and . + - _ in a username" in (
        refused.content.decode()
    )
    # An older name Django allowed stays as it is, and its account savable.
    User.objects.filter(pk=world.student_b.pk).update(username="old@name")
    world.student_b.refresh_from_db()
    kept = admin_client.post(change_url(world.student_b), superuser_data(world.student_b))
    assert kept.status_code == 302


def test_a_persons_change_page_runs_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    """Probe 97: the rule on who may rename someone reads every kind of row naming them,
    and ran once per question the page asks (150 queries a page): answered once."""
    client.force_login(world.teacher_a)
    with django_assert_max_num_queries(40):
        page = client.get(change_url(world.student_a))
    assert 'name="display_name"' in page.content.decode()
    with django_assert_max_num_queries(40):
        assert rename(client, world.student_a).status_code == 302
    assert name_of(world.student_a) == RENAMED
