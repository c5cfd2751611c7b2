from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from coursesite.dates import local_text
from projects.models import FormationMode, Group, GroupMembership, LatePolicy, MembershipEvent
from projects.services import (
    extension_grant,
    group_create,
    group_join,
    group_leave,
    groups_auto_form,
    membership_move,
    membership_remove,
)
from projects.services.groups import balanced_sizes
from projects.tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    ProjectAssignmentFactory,
    SubmissionFactory,
)
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

pytestmark = pytest.mark.django_db


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_it_creates_a_group_with_its_creator_as_first_member(assignment, student):
    group = group_create(assignment=assignment, student=student, name="  The   Owls ")
    assert group.name == "The Owls"
    assert group.created_by == student
    assert list(group.memberships.values_list("student", flat=True)) == [student.pk]
    assert len(group.join_code) == 8
    event = MembershipEvent.objects.get()
    assert (event.student, event.action, event.actor) == (
        student,
        MembershipEvent.Action.CREATED,
        student,
    )


def test_it_refuses_a_second_group_for_the_same_student(assignment, student):
    group_create(assignment=assignment, student=student, name="Owls")
    with pytest.raises(ValidationError) as excinfo:
        group_create(assignment=assignment, student=student, name="Larks")
    assert "already in the group “Owls”" in messages_of(excinfo)


def test_it_refuses_a_taken_name_whatever_the_case(assignment, student, classmate):
    group_create(assignment=assignment, student=student, name="Owls")
    with pytest.raises(ValidationError) as excinfo:
        group_create(assignment=assignment, student=classmate, name="owls")
    assert "already exists" in messages_of(excinfo)
    assert excinfo.value.error_dict.keys() == {"name"}


def test_it_refuses_students_who_are_not_enrolled(assignment, charlie):
    with pytest.raises(ValidationError) as excinfo:
        group_create(assignment=assignment, student=charlie, name="Owls")
    assert excinfo.value.code == "not_enrolled"


def test_it_refuses_instructors_and_graders_of_the_course(assignment, course, alice, grace):
    enroll(course, alice, role=Role.INSTRUCTOR)
    enroll(course, grace, role=Role.GRADER)
    for user in (alice, grace):
        with pytest.raises(ValidationError, match="Only students enrolled"):
            group_create(assignment=assignment, student=user, name=f"G {user}")


def test_it_refuses_when_the_instructor_assigns_groups(assignment, student):
    assignment.formation_mode = FormationMode.INSTRUCTOR
    assignment.save()
    with pytest.raises(ValidationError, match="instructor assigns"):
        group_create(assignment=assignment, student=student, name="Owls")


def test_it_refuses_group_changes_once_the_project_closed(assignment, student):
    assignment.opens_at = timezone.now() - timedelta(days=10)
    assignment.due_at = timezone.now() - timedelta(minutes=1)
    assignment.save()
    with pytest.raises(ValidationError) as excinfo:
        group_create(assignment=assignment, student=student, name="Owls")
    # The default late policy still takes late work: the project is not "closed".
    assert "The deadline passed on" in messages_of(excinfo)
    assert "groups can no longer be changed" in messages_of(excinfo)
    assignment.late_policy = LatePolicy.NO_LATE_WORK
    assignment.save()
    with pytest.raises(ValidationError) as excinfo:
        group_create(assignment=assignment, student=student, name="Owls")
    assert "This project closed on" in messages_of(excinfo)
    assert not Group.objects.filter(assignment=assignment).exists()


def test_it_joins_by_code_ignoring_case_and_spaces(assignment, student, classmate):
    group = group_create(assignment=assignment, student=student, name="Owls")
    code = f" {group.join_code[:4].lower()} {group.join_code[4:]} "
    assert group_join(assignment=assignment, student=classmate, join_code=code) == group
    assert group.memberships.count() == 2
    assert MembershipEvent.objects.filter(action="joined", student=classmate).exists()


def test_it_refuses_an_unknown_code_or_a_code_of_another_project(assignment, student, course):
    other = GroupFactory(assignment=ProjectAssignmentFactory(course=course))
    for code in ("NOPE1234", other.join_code):
        with pytest.raises(ValidationError) as excinfo:
            group_join(assignment=assignment, student=student, join_code=code)
        assert "No group of this project has that join code" in messages_of(excinfo)


def test_it_refuses_to_overfill_a_group(assignment, student, course):
    group = group_create(assignment=assignment, student=student, name="Owls")
    for _ in range(2):
        group_join(assignment=assignment, student=enroll(course), join_code=group.join_code)
    with pytest.raises(ValidationError) as excinfo:
        group_join(assignment=assignment, student=enroll(course), join_code=group.join_code)
    assert messages_of(excinfo) == "The group “Owls” is full (3 members maximum)."
    assert group.memberships.count() == 3


@pytest.mark.parametrize("gone", ["removed from the course", "account deleted"])
def test_a_group_whose_members_are_all_gone_takes_no_one_onto_their_work(
    assignment, student, classmate, course, gone
):
    """Joining would make its versions the newcomer's: to download, and to be graded on."""
    from lessons.models import Enrollment

    group = group_create(assignment=assignment, student=student, name="Owls")
    SubmissionFactory(group=group, version=1)
    if gone == "account deleted":
        student.delete()
    else:
        Enrollment.objects.filter(user=student, course=course).delete()
    with pytest.raises(ValidationError) as excinfo:
        group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    assert "Nobody of the group “Owls” is in the course any more" in messages_of(excinfo)
    assert not group.memberships.filter(student=classmate).exists()


def test_a_group_with_work_and_a_member_left_still_takes_newcomers(
    assignment, student, classmate, course
):
    from lessons.models import Enrollment

    group = group_create(assignment=assignment, student=student, name="Owls")
    stays = enroll(course)
    group_join(assignment=assignment, student=stays, join_code=group.join_code)
    SubmissionFactory(group=group, version=1)
    Enrollment.objects.filter(user=student, course=course).delete()
    # The removed member stays listed but holds no seat: 1 of 3, not 2.
    assert group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    group_join(assignment=assignment, student=enroll(course), join_code=group.join_code)
    assert group.memberships.of_students().count() == 3


def test_it_refuses_to_join_a_second_group(assignment, student, classmate):
    group_create(assignment=assignment, student=student, name="Owls")
    larks = group_create(assignment=assignment, student=classmate, name="Larks")
    with pytest.raises(ValidationError, match="already in the group “Owls”"):
        group_join(assignment=assignment, student=student, join_code=larks.join_code)


def test_a_student_may_be_in_one_group_per_project(course, student):
    first = ProjectAssignmentFactory(course=course)
    second = ProjectAssignmentFactory(course=course)
    group_create(assignment=first, student=student, name="Owls")
    group_create(assignment=second, student=student, name="Owls")
    assert GroupMembership.objects.filter(student=student).count() == 2


def test_leaving_records_history_and_deletes_an_empty_group(assignment, student, classmate):
    group = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    group_leave(assignment=assignment, student=classmate)
    assert MembershipEvent.objects.filter(group=group, action="left", student=classmate).exists()
    group_leave(assignment=assignment, student=student)
    assert not Group.objects.filter(pk=group.pk).exists()


def test_a_member_removed_twice_at_once_is_recorded_once(assignment, student, classmate, alice):
    """Two instructors removing the same member (two tabs, two clicks) each read the
    membership before the lock: the second logged a second removal (probe 59)."""
    group = group_create(assignment=assignment, student=student, name="Owls")
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    seen_by_both = GroupMembership.objects.get(group=group, student=classmate)
    stale = GroupMembership.objects.get(pk=seen_by_both.pk)
    membership_remove(membership=seen_by_both, actor=alice)
    membership_remove(membership=stale, actor=alice)
    removals = MembershipEvent.objects.filter(group=group, student=classmate, action="removed")
    assert removals.count() == 1
    assert list(group.memberships.values_list("student", flat=True)) == [student.pk]


def test_it_refuses_to_leave_after_the_first_submission(assignment, student):
    group = group_create(assignment=assignment, student=student, name="Owls")
    SubmissionFactory(group=group, version=1)
    with pytest.raises(ValidationError, match="already submitted"):
        group_leave(assignment=assignment, student=student)
    assert group.memberships.filter(student=student).exists()


def test_leaving_without_a_group_says_so(assignment, student):
    with pytest.raises(ValidationError, match="not in a group"):
        group_leave(assignment=assignment, student=student)


@pytest.mark.parametrize(
    ("count", "minimum", "maximum", "expected"),
    [
        (0, 2, 4, []),
        (8, 2, 4, [4, 4]),
        (9, 2, 4, [3, 3, 3]),
        (10, 3, 4, [4, 3, 3]),
        (5, 3, 4, None),
        (2, 3, 4, None),
        (1, 1, 1, [1]),
        (7, 1, 3, [3, 2, 2]),
    ],
)
def test_balanced_sizes(count, minimum, maximum, expected):
    assert balanced_sizes(count, minimum, maximum) == expected


def test_auto_form_places_every_ungrouped_student_in_balanced_groups(course, alice):
    assignment = ProjectAssignmentFactory(course=course, min_group_size=2, max_group_size=4)
    students = [enroll(course) for _ in range(10)]
    enroll(course, alice, role=Role.INSTRUCTOR)
    already = GroupFactory(assignment=assignment, name="Group 1")
    GroupMembershipFactory(group=already, student=students[0])

    result = groups_auto_form(assignment=assignment, seed=42, actor=alice)

    assert result.placed == 9
    assert sorted(g.memberships.count() for g in result.groups_created) == [3, 3, 3]
    assert [g.name for g in result.groups_created] == ["Group 2", "Group 3", "Group 4"]
    grouped = set(GroupMembership.objects.values_list("student", flat=True))
    assert grouped == {s.pk for s in students}  # the instructor is not placed
    assert MembershipEvent.objects.filter(action="added", actor=alice).count() == 9
    assert result.warnings == []


def test_auto_form_is_reproducible_with_a_seed(course):
    def draw(seed):
        assignment = ProjectAssignmentFactory(course=course, min_group_size=2, max_group_size=3)
        groups_auto_form(assignment=assignment, seed=seed)
        return sorted(
            sorted(g.memberships.values_list("student", flat=True)) for g in assignment.groups.all()
        )

    for _ in range(7):
        enroll(course)
    assert draw(7) == draw(7)
    assert draw(7) != draw(8) or draw(7) != draw(9)


def test_auto_form_tops_up_groups_when_leftovers_cannot_make_a_group(course):
    assignment = ProjectAssignmentFactory(course=course, min_group_size=3, max_group_size=4)
    owls = GroupFactory(assignment=assignment)
    for _ in range(3):
        GroupMembershipFactory(group=owls, student=enroll(course))
    loner = enroll(course)

    result = groups_auto_form(assignment=assignment, seed=1)

    assert result.placed == 1
    assert result.groups_created == []
    assert owls.memberships.filter(student=loner).exists()


def test_auto_form_warns_when_no_split_respects_the_minimum(course):
    assignment = ProjectAssignmentFactory(course=course, min_group_size=3, max_group_size=4)
    enroll(course)
    enroll(course)
    result = groups_auto_form(assignment=assignment, seed=1)
    assert [g.memberships.count() for g in result.groups_created] == [2]
    assert "could not make a group of 3" in result.warnings[0]


def test_auto_form_with_nobody_left_does_nothing(assignment):
    result = groups_auto_form(assignment=assignment)
    assert (result.placed, result.groups_created) == (0, [])


def test_moving_a_student_records_both_sides(assignment, student, classmate, alice):
    owls = group_create(assignment=assignment, student=student, name="Owls")
    larks = group_create(assignment=assignment, student=classmate, name="Larks")
    left = membership_move(student=student, to_group=larks, actor=alice)
    assert left == owls
    assert GroupMembership.objects.get(student=student).group == larks
    actions = Counter(MembershipEvent.objects.filter(actor=alice).values_list("action", flat=True))
    assert actions == {"removed": 1, "added": 1}


def test_moving_refuses_a_full_group_and_outsiders(assignment, student, course, charlie):
    assignment.max_group_size = 1
    assignment.save()
    owls = group_create(assignment=assignment, student=student, name="Owls")
    with pytest.raises(ValidationError, match="full"):
        membership_move(student=enroll(course), to_group=owls)
    with pytest.raises(ValidationError, match="not enrolled as a student"):
        membership_move(student=charlie, to_group=owls)


def test_an_extension_moves_the_group_deadline(assignment, student, alice):
    group = group_create(assignment=assignment, student=student, name="Owls")
    later = assignment.due_at + timedelta(days=2)
    extension_grant(group=group, due_at=later, reason="Illness", granted_by=alice)
    group.refresh_from_db()
    extension = group.extension
    assert group.deadline() == later
    assert extension.granted_by == alice
    # Named as every date of the back office is: in the site's zone, which it names.
    assert str(extension) == f"Extension for Owls until {local_text(later)}"
    assert timezone.localtime(later).tzname() in str(extension)
    # Granting again replaces the extension.
    extension_grant(group=group, due_at=later + timedelta(days=1), granted_by=alice)
    assert group.__class__.objects.get(pk=group.pk).extension.due_at == later + timedelta(days=1)


def test_an_extension_must_end_after_the_deadline(assignment, student):
    group = group_create(assignment=assignment, student=student, name="Owls")
    with pytest.raises(ValidationError, match="must end after"):
        extension_grant(group=group, due_at=assignment.due_at)


def test_a_group_name_typed_with_accents_as_marks_is_the_same_name(assignment, student):
    """Probe 53: "Équipe" typed on two keyboards made two groups that look the same."""
    import unicodedata

    from accounts.tests.factories import UserFactory
    from lessons.models import Enrollment

    other = UserFactory(username="other-student")
    Enrollment.objects.create(user=other, course=assignment.course, role=Role.STUDENT)
    group = group_create(assignment=assignment, student=student, name="Équipe Ün")
    assert group.name == "Équipe Ün"
    with pytest.raises(ValidationError) as refused:
        group_create(
            assignment=assignment, student=other, name=unicodedata.normalize("NFD", "Équipe Ün")
        )
    assert "already exists for this project" in str(refused.value)
