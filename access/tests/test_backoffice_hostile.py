"""What an outside probe did to the back office: posted ids of another course, values no
form offers, dates no zone reaches, grades changed behind a release. Each is refused
with a message, and nothing of the other course moves."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from grading.models import REGRADE_WINDOW_MAX_DAYS, Rubric
from lessons.models import Lesson, Module
from projects.models import Group, GroupMembership, ProjectAssignment

from .matrix import client_for, form_data
from .tenants import build_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def changelist_save(client, model: str, rows: list[dict]) -> object:
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return client.post(reverse(f"admin:lessons_{model}_changelist"), data)


def test_the_order_column_never_touches_another_course(world):
    a, b = world
    client = client_for(a.instructor)
    Lesson.objects.filter(pk=b.lesson.pk).update(order=7)  # renumbering would make it 1
    Module.objects.filter(pk=b.module.pk).update(order=7)
    for model, other in (("lesson", b.lesson.pk), ("module", b.module.pk)):
        for posted in (str(other), "99999", "²"):
            response = changelist_save(client, model, [{"id": posted, "order": "5"}])
            assert response.status_code in (200, 302), (model, posted)
    assert Lesson.objects.get(pk=b.lesson.pk).order == 7
    assert Module.objects.get(pk=b.module.pk).order == 7
    # Their own rows still save and renumber.
    response = changelist_save(
        client, "lesson", [{"id": str(a.lesson.pk), "order": "5", "is_published": "on"}]
    )
    assert response.status_code == 302
    assert Lesson.objects.get(pk=a.lesson.pk).order == 1


def test_history_pages_of_another_course_and_odd_versions_are_404(world):
    a, b = world
    client = client_for(a.instructor)
    own = reverse("admin:grading_review_history", args=[a.review_r.pk])
    assert client.get(own).status_code == 200
    other = reverse("admin:grading_review_history", args=[b.review_r.pk])
    missing = reverse("admin:grading_review_history", args=[999999])
    assert client.get(other).status_code == client.get(missing).status_code == 404
    version = a.review_r.history.latest().history_id
    page = reverse("admin:grading_review_simple_history", args=[a.review_r.pk, version])
    assert client.get(page).status_code == 200
    for odd in ("abc", "1e3", "0x1"):
        url = reverse("admin:grading_review_simple_history", args=[a.review_r.pk, 1])
        assert client.get(url.replace("/1/", f"/{odd}/")).status_code == 404
    theirs = b.review_r.history.latest().history_id
    url = reverse("admin:grading_review_simple_history", args=[b.review_r.pk, theirs])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("value", ["bogus", "a\x00b", "NaN", " ", "2" * 30])
def test_an_autocomplete_field_with_a_value_no_id_can_be_is_a_form_error(world, value):
    a, _b = world
    client = client_for(a.instructor)
    # On the add form: a saved enrollment's person is not editable.
    url = reverse("admin:lessons_enrollment_add")
    data = form_data(client.get(url).content.decode(), "enrollment_form")
    response = client.post(url, {**data, "course": a.course.pk, "role": "student", "user": value})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


def test_dates_no_course_can_have_are_refused_in_forms_and_filters(world):
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_projectassignment_change", args=[a.grading.pk])
    data = form_data(client.get(url).content.decode(), "projectassignment_form")
    before = a.grading.opens_at
    response = client.post(url, {**data, "opens_at_0": "0001-01-01", "opens_at_1": "00:00:00"})
    assert response.status_code == 200
    assert "Enter a date between the years 1900 and 2999" in response.content.decode()
    a.grading.refresh_from_db()
    assert a.grading.opens_at == before
    listing = reverse("admin:projects_submission_changelist")
    response = client.get(listing, {"submitted_at__gte": "0001-01-01"}, follow=True)
    assert response.status_code == 200
    if connection.vendor == "sqlite":
        # Python converts the date to UTC for SQLite and overflows: the list resets.
        # PostgreSQL takes the date as it is (its dates reach 4713 BC) and filters.
        assert "out of range" in response.content.decode()


@pytest.mark.parametrize(
    ("day", "clock", "message"),
    [
        (
            "2027-03-28",
            "02:30:00",
            "There is no 02:30 on 28 March 2027 in Europe/Brussels: "
            "the clocks go forward that night. Choose another time, such as 03:30.",
        ),
        (
            "2027-10-31",
            "02:30:00",
            "02:30 happens twice on 31 October 2027 in "
            "Europe/Brussels: the clocks go back that night. Choose a time outside that hour.",
        ),
    ],
)
def test_a_time_the_clocks_skip_or_repeat_is_refused_saying_why(
    world, settings, day, clock, message
):
    settings.TIME_ZONE = "Europe/Brussels"
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_projectassignment_change", args=[a.grading.pk])
    data = form_data(client.get(url).content.decode(), "projectassignment_form")
    before = a.grading.due_at
    refused = client.post(url, {**data, "due_at_0": day, "due_at_1": clock, "title": "Kept?"})
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert message in page
    assert 'value="Kept?"' in page  # what was typed stays
    a.grading.refresh_from_db()
    assert a.grading.due_at == before
    # An hour later, the same night, is a time like any other.
    accepted = client.post(url, {**data, "due_at_0": day, "due_at_1": "03:30:00"})
    assert accepted.status_code == 302
    a.grading.refresh_from_db()
    assert a.grading.due_at.astimezone().strftime("%Y-%m-%d %H:%M") == f"{day} 03:30"


def test_a_regrade_window_is_at_most_a_year_and_older_data_cannot_break_feedback(world):
    a, _b = world
    rubric = Rubric.objects.get(assignment=a.released)
    rubric.regrade_window_days = REGRADE_WINDOW_MAX_DAYS + 1
    with pytest.raises(ValidationError, match="365"):
        rubric.full_clean()
    # Saved before the limit (or around the forms): the students' page still opens.
    # SQLite stores any integer in the column (3,000,000 days is past year 9999);
    # PostgreSQL's smallint stops at 32,767.
    too_long = 3_000_000 if connection.vendor == "sqlite" else 32767
    Rubric.objects.filter(pk=rubric.pk).update(regrade_window_days=too_long)
    response = client_for(a.student).get(
        reverse("grading:feedback", args=[a.review_r.submission_id])
    )
    assert response.status_code == 200


def test_a_released_group_keeps_its_members_in_the_back_office(world):
    a, b = world
    client = client_for(a.instructor)
    group = a.group_r  # its project's grades are released
    url = reverse("admin:projects_group_change", args=[group.pk])
    page = client.get(url, follow=True).content.decode()
    assert "no longer change" in page
    data = form_data(page, "group_form")
    members = set(GroupMembership.objects.filter(group=group).values_list("student", flat=True))
    # Ticking "delete" on a member and adding someone: neither goes through.
    for name in list(data):
        if name.startswith("memberships-0-"):
            data["memberships-0-DELETE"] = ["on"]
    response = client.post(url, {**data, "memberships-2-0-student": str(a.classmate.pk)})
    assert response.status_code in (200, 302)
    assert (
        set(GroupMembership.objects.filter(group=group).values_list("student", flat=True))
        == members
    )
    # A group still being graded changes as before (course A's instructor, their group).
    open_group = a.group_o
    url = reverse("admin:projects_group_change", args=[open_group.pk])
    assert "no longer change" not in client.get(url).content.decode()


def test_a_group_named_as_another_once_composed_is_told_so_in_the_back_office(world):
    """An upgrade leaves a decomposed "Café" beside a composed one (projects/0016): saving
    it unchanged said "Someone changed this at the same moment", every time (probe 67)."""
    a, _b = world
    Group.objects.filter(pk=a.group_q.pk).update(name="Cafe\u0301")  # as the old code saved
    ProjectAssignment.objects.filter(pk=a.group_q.assignment_id).first().groups.create(
        name="Caf\u00e9"
    )
    client = client_for(a.instructor)
    url = reverse("admin:projects_group_change", args=[a.group_q.pk])
    data = form_data(client.get(url).content.decode(), "group_form")
    refused = client.post(url, data)
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert "Another group of this project already has this name: choose another." in page
    assert "Someone changed this" not in page
    renamed = client.post(url, {**data, "name": "Café (B)"})
    assert renamed.status_code == 302
    assert Group.objects.get(pk=a.group_q.pk).name == "Café (B)"


def _marks_of(assignment) -> dict:
    from grading.gradebook import assignment_marks

    marks = assignment_marks([assignment.pk]).marks
    return {
        key: (entry.mark, entry.grade and entry.grade.days_late) for key, entry in marks.items()
    }


def test_released_marks_keep_their_rubric_deadline_and_extensions(world):
    """After the release, nothing a mark is computed from changes in the back office:
    neither the rubric (inline or criterion page), nor the deadline and late-work rules,
    nor a group's extension. Before it, they do."""
    from grading.models import Criterion
    from projects.models import Extension

    a, b = world
    client = client_for(a.instructor)
    marks = _marks_of(a.released)
    criteria = list(Criterion.objects.filter(rubric=a.rubric).values_list("pk", "max_points"))

    url = reverse("admin:grading_rubric_change", args=[a.rubric.pk])
    page = client.get(url).content.decode()
    assert "its marks are computed from its rubric" in page
    data = form_data(page, "rubric_form")
    data.update({"criteria-0-DELETE": ["on"], "criteria-1-max_points": ["50"]})
    data.update({"criteria-TOTAL_FORMS": ["3"], "criteria-2-title": ["Extra"]})
    data.update({"criteria-2-max_points": ["90"], "criteria-2-order": ["3"]})
    assert client.post(url, data).status_code in (200, 302)
    after = list(Criterion.objects.filter(rubric=a.rubric).values_list("pk", "max_points"))
    assert after == criteria

    criterion_url = reverse("admin:grading_criterion_change", args=[a.criterion.pk])
    assert "its marks are computed" in client.get(criterion_url).content.decode()
    response = client.post(criterion_url, {"rubric": a.rubric.pk, "title": "x", "max_points": "1"})
    assert response.status_code == 403
    add = client.post(
        reverse("admin:grading_criterion_add"),
        {"rubric": a.rubric.pk, "order": "9", "title": "Sneaked in", "max_points": "50"},
    )
    assert "its marks are computed from its rubric" in add.content.decode()
    assert not Criterion.objects.filter(title="Sneaked in").exists()

    project_url = reverse("admin:projects_projectassignment_change", args=[a.released.pk])
    page = client.get(project_url).content.decode()
    assert "its marks are computed" in page
    data = form_data(page, "projectassignment_form")
    earlier = a.released.due_at - timedelta(days=20)
    data.update({"due_at_0": [earlier.strftime("%Y-%m-%d")], "due_at_1": ["10:00:00"]})
    data.update({"late_penalty_per_day": ["50"], "late_penalty_cap": ["100"]})
    weight = a.released.weight + 2
    data["weight"] = [str(weight)]
    response = client.post(project_url, data, follow=True)  # the rest still saves
    a.released.refresh_from_db()
    assert a.released.late_penalty_per_day != 50 and a.released.due_at > earlier
    assert a.released.weight == weight
    # The weight too, with a word: every weighted total moved (probe 36: silently).
    assert "every student&#x27;s weighted total in the gradebook changed with its weight" in (
        response.content.decode()
    )
    # Missing work counted as 0 after the release: who moves is said (probe 124: only
    # "their marks are as released", while students in no group went from "—" to 0).
    data["missing_counts_as_zero"] = ["on"]
    counted = html.unescape(client.post(project_url, data, follow=True).content.decode())
    assert "Students without a mark for it (in no group, or whose group handed nothing" in (counted)
    assert "now count 0 for it in their total" in counted

    group_url = reverse("admin:projects_group_change", args=[a.group_r.pk])
    data = form_data(client.get(group_url).content.decode(), "group_form")
    later = a.released.due_at + timedelta(days=30)
    data.update({"extension-TOTAL_FORMS": ["1"], "extension-0-reason": ["Ill"]})
    data.update({"extension-0-due_at_0": [later.strftime("%Y-%m-%d")]})
    data.update({"extension-0-due_at_1": ["10:00:00"]})
    client.post(group_url, data)
    assert not Extension.objects.filter(group=a.group_r).exists()
    assert _marks_of(a.released) == marks

    # Course B's instructor does not even see them; and before a release they change.
    other = client_for(b.instructor)
    assert other.get(url).status_code == 404
    assert other.get(criterion_url).status_code == 404
    grading_criterion = Criterion.objects.get(rubric__assignment=a.grading)
    url = reverse("admin:grading_criterion_change", args=[grading_criterion.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    data["max_points"] = ["12"]
    assert client.post(url, data).status_code == 302
    grading_criterion.refresh_from_db()
    assert grading_criterion.max_points == 12


def test_a_scored_criterion_stays_and_no_level_is_worth_more_than_its_criterion(world):
    from grading.models import Criterion, CriterionScore

    a, _b = world
    client = client_for(a.instructor)
    criterion = Criterion.objects.get(rubric__assignment=a.grading)
    CriterionScore.objects.create(review=a.review_o, criterion=criterion, points=8)
    rubric_url = reverse("admin:grading_rubric_change", args=[criterion.rubric_id])
    data = form_data(client.get(rubric_url).content.decode(), "rubric_form")
    data["criteria-0-DELETE"] = ["on"]
    response = client.post(rubric_url, data)
    assert response.status_code == 200
    assert "holds graders&#x27; work (scores in 1 review(s)" in response.content.decode()
    assert Criterion.objects.filter(pk=criterion.pk).exists()

    url = reverse("admin:grading_criterion_change", args=[criterion.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    response = client.post(url, {**data, "max_points": ["5"]})
    assert "A review already gives 8 points for this criterion" in response.content.decode()
    # Whose, said (probe 124: the instructor hunted for it among the reviews).
    grader = a.review_o.grader
    whose = f"{a.review_o.group} (8 points, " + (f"graded by {grader})" if grader else "no grader)")
    assert f"change the score first: {whose}." in html.unescape(response.content.decode())
    data.update({"levels-TOTAL_FORMS": ["1"], "levels-0-label": ["Legendary"]})
    data.update({"levels-0-points": ["999"], "levels-0-description": [""]})
    response = client.post(url, data)
    assert "A level is worth at most the criterion's maximum, 10 points." in html.unescape(
        response.content.decode()
    )
    assert not criterion.levels.exists()
    # Two levels worth the same: a grader picking "Good (9.5)" would get the other one
    # back (probe 37: the level shown is the one worth the score).
    data.update({"levels-TOTAL_FORMS": ["2"], "levels-0-points": ["9.5"]})
    data.update({"levels-1-label": ["Good"], "levels-1-points": ["9.50"]})
    data.update({"levels-1-description": [""]})
    response = client.post(url, data)
    assert "“Legendary” is worth 9.5 points too: give each level its own number of points" in (
        html.unescape(response.content.decode())
    )
    assert not criterion.levels.exists()
    data["levels-1-points"] = ["7"]
    assert client.post(url, data).status_code == 302
    assert sorted(criterion.levels.values_list("points", flat=True)) == [7, Decimal("9.5")]
    criterion.refresh_from_db()
    assert criterion.max_points == 10


def test_a_group_stays_in_its_project(world):
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_group_change", args=[a.group_q.pk])
    data = form_data(client.get(url).content.decode(), "group_form")
    data["assignment"] = [str(a.grading.pk)]
    client.post(url, data)
    a.group_q.refresh_from_db()
    assert a.group_q.assignment_id == a.bare.pk


def test_view_on_site_answers_only_for_rows_the_instructor_teaches(world):
    from django.contrib.contenttypes.models import ContentType

    a, b = world
    client = client_for(a.instructor)
    lessons = ContentType.objects.get_for_model(Lesson).pk
    own = client.get(reverse("admin:view_on_site", args=[lessons, a.lesson.pk]))
    assert own.status_code == 302 and own["Location"].endswith(a.lesson.get_absolute_url())
    for path_args in ([lessons, b.lesson.pk], [lessons, 999999], [99999, a.lesson.pk]):
        assert client.get(reverse("admin:view_on_site", args=path_args)).status_code == 404
    assert client.get(f"/admin/r/{lessons}/abc/").status_code == 404
    # Course B's instructor gets theirs and not A's.
    other = client_for(b.instructor)
    assert other.get(reverse("admin:view_on_site", args=[lessons, a.lesson.pk])).status_code == 404
    assert other.get(reverse("admin:view_on_site", args=[lessons, b.lesson.pk])).status_code == 302


def test_the_services_refuse_what_released_marks_are_computed_from(world):
    from projects import services as projects

    a, _b = world
    later = a.released.due_at + timedelta(days=30)
    with pytest.raises(ValidationError, match="released"):
        projects.extension_grant(group=a.group_r, due_at=later, granted_by=a.instructor)
    with pytest.raises(ValidationError, match="released"):
        projects.membership_move(student=a.classmate, to_group=a.group_r, actor=a.instructor)
    # A project still being graded takes both.
    projects.extension_grant(
        group=a.group_o, due_at=a.grading.due_at + timedelta(days=3), granted_by=a.instructor
    )
    a.group_o.refresh_from_db()
    assert a.group_o.deadline() == a.grading.due_at + timedelta(days=3)


def test_an_action_on_another_courses_ids_does_nothing_and_says_so(world):
    a, b = world
    client = client_for(a.instructor)
    Module.objects.filter(pk=b.module.pk).update(order=7)
    url = reverse("admin:lessons_module_changelist")
    for posted in ([str(b.module.pk)], ["99999"], ["abc"]):
        response = client.post(
            url, {"action": "move_down", "_selected_action": posted, "index": "0"}, follow=True
        )
        page = html.unescape(response.content.decode())
        assert "None of the selected items is in a course you teach: nothing was done." in page
    assert Module.objects.get(pk=b.module.pk).order == 7
    # Their own rows, with another course's mixed in: the action runs on theirs only.
    response = client.post(
        url,
        {"action": "move_down", "_selected_action": [a.module.pk, b.module.pk], "index": "0"},
        follow=True,
    )
    assert "nothing was done" not in response.content.decode()
    assert Module.objects.get(pk=b.module.pk).order == 7


def test_deleting_graded_work_says_it_is_kept_not_that_a_permission_is_missing(world):
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_group_delete", args=[a.group_r.pk])
    page = html.unescape(client.get(url).content.decode())
    assert "Submitted work and its grading, kept for the record (" in page
    assert "review" in page
    assert "have permission" not in page
    assert client.post(url, {"post": "yes"}).status_code == 200  # the same page: refused
    assert GroupMembership.objects.filter(group=a.group_r).exists()


def test_rubrics_criteria_and_projects_stay_where_their_grading_is(world):
    """A rubric keeps its project, a criterion its rubric, a project with groups its
    course: moving them took released marks along (or emptied them)."""
    from grading.models import Criterion, Level
    from lessons.models import Course, Enrollment

    a, _b = world
    client = client_for(a.instructor)
    elsewhere = Course.objects.create(title="Apple elsewhere", slug="apple-elsewhere")
    Enrollment.objects.create(user=a.instructor, course=elsewhere, role="instructor")

    url = reverse("admin:grading_rubric_change", args=[a.rubric.pk])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    client.post(url, {**data, "assignment": [str(a.bare.pk)]})
    a.rubric.refresh_from_db()
    assert a.rubric.assignment_id == a.released.pk

    criterion = Criterion.objects.get(rubric__assignment=a.grading)
    url = reverse("admin:grading_criterion_change", args=[criterion.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    assert client.post(url, {**data, "rubric": [str(a.rubric.pk)]}).status_code == 302
    criterion.refresh_from_db()
    assert criterion.rubric.assignment_id == a.grading.pk

    for project in (a.grading, a.released):  # groups; released
        url = reverse("admin:projects_projectassignment_change", args=[project.pk])
        data = form_data(client.get(url).content.decode(), "projectassignment_form")
        client.post(url, {**data, "course": [str(elsewhere.pk)]})
        project.refresh_from_db()
        assert project.course_id == a.course.pk

    # On the rubric's page, a maximum below one of the criterion's levels is refused.
    Level.objects.create(criterion=criterion, label="Great", points=8)
    url = reverse("admin:grading_rubric_change", args=[criterion.rubric_id])
    data = form_data(client.get(url).content.decode(), "rubric_form")
    response = client.post(url, {**data, "criteria-0-max_points": ["3"]})
    assert "A level of this criterion is worth 8 points" in html.unescape(response.content.decode())
    criterion.refresh_from_db()
    assert criterion.max_points == 10


def test_a_new_group_or_extension_the_rules_refuse_is_a_form_error_not_a_crash(world):
    from projects.models import Extension, Group

    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_group_add")
    data = form_data(client.get(url).content.decode(), "group_form")
    data.update({"assignment": [str(a.released.pk)], "name": ["Latecomers"]})
    data.update(
        {"memberships-2-TOTAL_FORMS": ["1"], "memberships-2-0-student": [str(a.student.pk)]}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "its marks are computed" in html.unescape(response.content.decode())
    assert not Group.objects.filter(name="Latecomers").exists()

    url = reverse("admin:projects_group_change", args=[a.group_o.pk])
    data = form_data(client.get(url).content.decode(), "group_form")
    early = a.grading.due_at - timedelta(days=2)
    data.update({"extension-TOTAL_FORMS": ["1"], "extension-0-reason": ["Ill"]})
    data.update({"extension-0-due_at_0": [early.strftime("%Y-%m-%d")]})
    data.update({"extension-0-due_at_1": ["10:00:00"]})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "An extension must end after the project's deadline." in html.unescape(
        response.content.decode()
    )
    assert not Extension.objects.filter(group=a.group_o).exists()


def test_each_rows_checkbox_is_djangos_own_with_the_name_escaped(world):
    """The back office formats the rows' action checkboxes itself (for speed): the HTML
    must stay Django's, and a hostile title must stay text."""
    from django.contrib import admin

    a, b = world
    Module.objects.filter(pk=a.module.pk).update(title="<img src=x onerror=alert(1)> \"A\" & 'B'")
    module = Module.objects.get(pk=a.module.pk)
    model_admin = admin.site._registry[Module]
    ours = model_admin.action_checkbox(module)
    assert ours == admin.ModelAdmin.action_checkbox(model_admin, module)
    page = client_for(a.instructor).get(reverse("admin:lessons_module_changelist")).content
    assert ours in page.decode()
    assert b"<img src=x" not in page
    # Another course's rows have no checkbox on this list.
    assert f'value="{b.module.pk}" class="action-select"' not in page.decode()


@pytest.mark.parametrize("garbage", ["abc", "", "1.5", "\x00", "²"])
def test_an_action_with_ids_that_are_not_numbers_runs_on_the_valid_ones(world, garbage):
    """Django queried the posted values as they were: one that is no number beside a
    valid id was a 500, on the course admins and on the people's list alike."""
    a, _b = world
    client = client_for(a.instructor)
    Module.objects.filter(pk=a.module.pk).update(is_published=False)
    response = client.post(
        reverse("admin:lessons_module_changelist"),
        {"action": "publish", "_selected_action": [garbage, str(a.module.pk)], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    assert Module.objects.get(pk=a.module.pk).is_published
    people = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "resend_invitation", "_selected_action": [garbage], "index": "0"},
        follow=True,
    )
    assert people.status_code == 200
    page = html.unescape(people.content.decode())
    assert "None of the selected items is in a course you teach: nothing was done." in page


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-sNaN"])
def test_a_number_that_is_not_finite_in_an_inline_row_is_a_form_error(world, value):
    """An inline row is compared with its initial value before it is validated, and
    comparing a signaling NaN raised: a 500 on a rubric's criteria and a criterion's
    levels (and a suite's test groups). Now the row is refused like any bad number."""
    from grading.models import Criterion

    a, _b = world
    client = client_for(a.instructor)
    criterion = Criterion.objects.get(rubric__assignment=a.grading)
    rubric_url = reverse("admin:grading_rubric_change", args=[criterion.rubric_id])
    data = form_data(client.get(rubric_url).content.decode(), "rubric_form")
    data["criteria-0-max_points"] = [value]
    response = client.post(rubric_url, data)
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    url = reverse("admin:grading_criterion_change", args=[criterion.pk])
    data = form_data(client.get(url).content.decode(), "criterion_form")
    data.update({"levels-TOTAL_FORMS": ["1"], "levels-0-label": ["Odd"]})
    data.update({"levels-0-points": [value], "levels-0-description": [""]})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.max_points == 10 and not criterion.levels.exists()


def test_a_search_uses_the_first_ten_words_typed(world):
    """Each word adds a group of ORs across the search fields: 1,300 words took 42 s on
    the enrollments. Past ten, words are ignored (here the eleventh matches nobody)."""
    from access.backoffice import MAX_SEARCH_TERMS

    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:lessons_enrollment_changelist")
    words = " ".join(["apple"] * MAX_SEARCH_TERMS)
    for query in (words, f"{words} no-such-person", " ".join(["apple"] * 1300 + ["nobody"])):
        page = client.get(url, {"q": query}).content.decode()
        assert a.student.username in page, query[-30:]
    assert a.student.username not in client.get(url, {"q": "no-such-person"}).content.decode()


def test_autocompletes_name_people_with_their_username_and_only_the_courses(world):
    # Two students of one name could not be told apart in a group's member list.
    a, b = world
    client = client_for(a.instructor)
    url = reverse("admin:autocomplete")
    query = "?app_label=projects&model_name=groupmembership&field_name=student&term=apple"
    found = {row["text"] for row in client.get(url + query).json()["results"]}
    assert "Apple Student (apple-student)" in found
    assert not any("Banana" in text for text in found)  # course B's people stay out
    # A deactivated account is offered to nobody (to enroll, grade or join).
    a.student.is_active = False
    a.student.save()
    found = {row["text"] for row in client.get(url + query).json()["results"]}
    assert "Apple Student (apple-student)" not in found
    client = client_for(b.instructor)
    found = {row["text"] for row in client.get(url + query).json()["results"]}
    assert not any("Apple" in text for text in found)


def test_a_filter_on_a_course_one_does_not_teach_lists_nothing_and_acts_on_nothing(world):
    """Probe 19: for an instructor of one course, Django hid the course filter and
    dropped its parameter: ?course__id__exact=<another course> listed all of their
    modules, and "select all" unpublished every one of them."""
    a, b = world
    client = client_for(a.instructor)
    url = reverse("admin:lessons_module_changelist")
    for course in (b.course.pk, 99999):
        page = client.get(url, {"course__id__exact": course}).content.decode()
        assert "0 modules" in page, course
        assert a.module.title not in page
        client.post(
            f"{url}?course__id__exact={course}",
            {"action": "unpublish", "select_across": "1", "index": "0", "_selected_action": []},
        )
    assert Module.objects.get(pk=a.module.pk).is_published
    page = client.get(url, {"course__id__exact": a.course.pk}).content.decode()
    assert a.module.title in page
    # Probe 21: each such action says it did nothing (some said nothing, a rebuild
    # "The builds are queued."), and one's own row outside the filter is not "another
    # course's".
    answer = client.post(
        f"{url}?course__id__exact={b.course.pk}",
        {
            "action": "unpublish",
            "select_across": "1",
            "index": "0",
            "_selected_action": [a.module.pk],  # a page drawn before the filter
        },
        follow=True,
    )
    assert "There is nothing in this list: nothing was done." in answer.content.decode()
    answer = client.post(
        f"{url}?course__id__exact={b.course.pk}",
        {"action": "unpublish", "index": "0", "_selected_action": [a.module.pk]},
        follow=True,
    )
    assert "is in this list as it is filtered now: nothing was done" in answer.content.decode()
    assert Module.objects.get(pk=a.module.pk).is_published


def test_an_autocomplete_no_screen_offers_is_refused(world):
    """Probe 25: Django answers its autocomplete for any relation named in the query;
    ?field_name=grader on a review listed course A's students as candidate graders."""
    a, b = world
    client = client_for(a.instructor)
    url = reverse("admin:autocomplete")
    for query in (
        "?app_label=grading&model_name=review&field_name=grader&term=apple",
        "?app_label=lessons&model_name=lesson&field_name=module&term=",
        "?app_label=projects&model_name=groupmembership&field_name=group&term=",
    ):
        response = client.get(url + query)
        assert response.status_code == 403, query
        assert a.student.username not in response.content.decode()
    # The ones the enrollment form and the group's member rows use still answer.
    for query in (
        "?app_label=lessons&model_name=enrollment&field_name=user&term=apple",
        "?app_label=projects&model_name=groupmembership&field_name=student&term=apple",
    ):
        found = {row["id"] for row in client.get(url + query).json()["results"]}
        assert str(a.student.pk) in found, query
