"""Back office for assignments, groups and submissions (the instructor side).

Instructors see the projects of the courses they teach (superusers see all): the
base classes of access.backoffice ask the access policy for every row and choice.
Every change that has rules (membership, extensions, auto-forming) goes through
``projects.services``, so the admin and the student pages enforce the same ones.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access import policy
from access.backoffice import CourseScopedAdmin, CourseScopedHistoryAdmin, CourseScopedInline
from accounts.models import Role
from coursesite.admin_forms import (
    ChoiceMessagesMixin,
    InlineRowsMixin,
    ParentRowsFormSet,
    PersonChoiceField,
)
from coursesite.csvexport import CsvResponse
from coursesite.dates import csv_time, local_text
from coursesite.numbers import without_trailing_zeros
from lessons.models import Enrollment
from projects import services
from projects.admin.filters import GroupNameFilter
from projects.models import (
    DUE_AFTER_OPENING,
    Extension,
    Group,
    GroupMembership,
    LatePolicy,
    LateVersionRule,
    MembershipEvent,
    ProjectAssignment,
    Submission,
)
from projects.selectors import graded_penalties
from projects.signals import member_added_consequences

CSV_HEADER = (
    "Course",
    "Project",
    "Group",
    "Members",
    "Join code",
    "Deadline",
    "Extended",
    "Versions",
    "Latest version",
    "Submitted at",
    "Submitted by",
    "Late",
    "Days late",
    "Penalty %",
    "Archive",
    "Size (bytes)",
    "SHA-256",
    "Repository URL",
    "Commit",
    "Graded version",
    # What the mark applies: the penalty of the version graded, which the columns
    # above (the latest version's) do not give once a later one arrived.
    "Graded version's penalty %",
)


def submission_status_csv(assignments: QuerySet[ProjectAssignment]) -> HttpResponse:
    """Return a CSV (UTF-8 with BOM, for spreadsheets) with one row per group.

    Students of the course without a group get a row each, so nobody is missed.
    The number of queries does not depend on the number of groups (one more per project).
    """
    latest = Submission.objects.latest_of(OuterRef("pk"))
    groups = (
        Group.objects.filter(assignment__in=assignments)
        .select_related("assignment__course", "extension", "graded_submission")
        .prefetch_related("memberships__student")
        .annotate(
            version_count=Count("submissions"),
            latest_id=Subquery(latest.values("pk")[:1]),
        )
        .order_by("assignment__course__title", "assignment__due_at", "assignment_id", "name")
    )
    groups = list(groups)
    latest_by_id = Submission.objects.select_related("submitted_by").in_bulk(
        [g.latest_id for g in groups if g.latest_id]
    )
    response = CsvResponse("submission-status.csv")
    writer = response.writer
    writer.writerow(CSV_HEADER)
    for group in groups:
        assignment = group.assignment
        deadline = group.deadline()
        version = latest_by_id.get(group.latest_id)
        graded = group.graded_submission
        days = assignment.days_late(version.submitted_at, deadline) if version else 0
        members = "; ".join(str(m.student) for m in group.memberships.all())
        # Two decimals on every row of a spreadsheet column ("0" stood beside "10.00").
        graded_penalty = ""
        if graded:
            graded_days = assignment.days_late(graded.submitted_at, deadline)
            graded_penalty = f"{assignment.late_penalty_percent(graded_days):.2f}"
        writer.writerow(
            (
                assignment.course.title,
                assignment.title,
                group.name,
                members,
                group.join_code,
                csv_time(deadline),
                "yes" if deadline != assignment.due_at else "",
                group.version_count,
                version.version if version else "",
                csv_time(version.submitted_at) if version else "",
                version.submitted_by if version else "",
                ("yes" if version.is_late else "no") if version else "",
                days if version else "",
                f"{assignment.late_penalty_percent(days):.2f}" if version else "",
                version.archive_name if version else "",
                version.archive_size if version else "",
                version.sha256 if version else "",
                version.repository_url if version else "",
                version.commit if version else "",
                graded.version if graded else "",
                graded_penalty,
            )
        )
    for assignment in assignments.select_related("course").order_by("course__title", "due_at"):
        ungrouped = assignment.students_in_no_group().order_by("username")
        for student in ungrouped:
            row = [assignment.course.title, assignment.title, "(no group)", student]
            writer.writerow(row + [""] * (len(CSV_HEADER) - 4))
    return response


class ProjectAssignmentForm(forms.ModelForm):
    """The project's checks between two fields, each shown by the field to change.

    The database checks them too (its constraints), but Django shows a constraint's
    message above the whole form; a field with an error is left out of those checks,
    so each message appears once, where it is fixed.
    """

    # No Meta: the admin's get_form gives the model and the fieldsets' fields.

    def clean(self):
        data = super().clean()
        minimum, maximum = data.get("min_group_size"), data.get("max_group_size")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add_error(
                "min_group_size",
                _("The minimum group size cannot be above the maximum (%(max)s).")
                % {"max": maximum},
            )
        opens, due = data.get("opens_at"), data.get("due_at")
        if opens is not None and due is not None and due <= opens:
            self.add_error("due_at", DUE_AFTER_OPENING)
        if maximum is not None and "max_group_size" not in self.errors:
            self._refuse_groups_over(maximum)
        per_day, cap = data.get("late_penalty_per_day"), data.get("late_penalty_cap")
        if data.get("late_policy") == LatePolicy.PENALTY and per_day and cap is not None:
            if cap < per_day:
                # Students read "10% per started day, at most 5%" (probe 96).
                self.add_error(
                    "late_penalty_cap",
                    _(
                        "The maximum penalty is below one day's penalty (%(day)s %%): raise "
                        "it to at least %(day)s, or lower the penalty per day."
                    )
                    % {"day": without_trailing_zeros(per_day)},
                )
        return data

    def _refuse_groups_over(self, maximum: int) -> None:
        # Lowered under a group's size, students read "Team (3 of at most 2)" and no page
        # said which group to fix (probe 36).
        if self.instance.pk is None or maximum >= self.instance.max_group_size:
            return
        over = (
            GroupMembership.objects.of_students()
            .filter(assignment=self.instance)
            .values("group__name")
            .annotate(members=Count("pk"))
            .filter(members__gt=maximum)
            .order_by("-members", "group__name")
        )
        named = [f"“{row['group__name']}” ({row['members']})" for row in over[:5]]
        if named:
            self.add_error(
                "max_group_size",
                _(
                    "Some groups have more members than %(max)s: %(groups)s. Move students "
                    "out of them first (the group's “Add or move students”), or keep the "
                    "maximum at %(kept)s."
                )
                % {
                    "max": maximum,
                    "groups": ", ".join(named),
                    "kept": self.instance.max_group_size,
                },
            )


def _say_penalties_changed(request, before: dict, after: dict) -> None:
    """Say whose late penalty a new deadline or late rule changed (probe 73: a deadline
    moved three weeks earlier by a typo halved two completed marks, and the page said
    only "changed successfully")."""
    changed = [
        f"{name}: {without_trailing_zeros(before[name])} % → "
        f"{without_trailing_zeros(after[name])} %"
        for name in sorted(after)
        if name in before and before[name] != after[name]
    ]
    if changed:
        messages.warning(
            request,
            f"The late penalty of {len(changed)} graded group{'s' if len(changed) > 1 else ''} "
            f"changed with it ({'; '.join(changed[:10])}{'; …' if len(changed) > 10 else ''}): "
            "their marks changed in the gradebook. If the change was a mistake, set it back.",
        )


@admin.register(ProjectAssignment)
class ProjectAssignmentAdmin(ChoiceMessagesMixin, CourseScopedHistoryAdmin):
    def lock_for_write(self, obj) -> None:
        # The project's own row: its edits queue with the release and the group writes.
        ProjectAssignment.objects.lock(obj.pk)

    def save_model(self, request, obj, form, change) -> None:
        rules = {"due_at", "late_policy", "late_penalty_per_day", "late_penalty_cap"}
        moved = change and bool(rules & set(form.changed_data))
        stored = ProjectAssignment.objects.get(pk=obj.pk) if moved else None
        before = graded_penalties(stored) if moved else {}
        super().save_model(request, obj, form, change)
        if moved:
            _say_penalties_changed(request, before, graded_penalties(obj))
        if change and "due_at" in form.changed_data:
            services.submissions_refresh_lateness(assignment_id=obj.pk)
            # Not of a draft published by this save: its students never saw a deadline.
            moved_for = (
                services.students_whose_deadline_moved(obj, before=stored.due_at)
                if stored.is_published
                else []
            )
            if told := services.deadline_changes_tell(obj, moved_for):
                messages.info(
                    request,
                    f"{told} student{'s are' if told > 1 else ' is'} emailed the new deadline "
                    f"({local_text(obj.due_at)}).",
                )
            overtaken = Extension.objects.filter(group__assignment=obj, due_at__lte=obj.due_at)
            names = sorted(overtaken.values_list("group__name", flat=True))
            if names:
                messages.warning(
                    request,
                    f"The new deadline is later than the extension of {len(names)} "
                    f"group{'s' if len(names) > 1 else ''} ({', '.join(names)}): "
                    "an extension ending earlier no longer applies, so they have the new "
                    "deadline. Lengthen or delete the extension on the group's page.",
                )
        dates = {"due_at", "is_published"} & set(form.changed_data) or not change
        if dates and obj.due_at <= timezone.now():
            # Allowed (a project may be put up after the fact), but a year typed wrong
            # for next term's run is the usual mistake: said (probe 83: saved unsaid),
            # also while it is a draft (probe 96: said only once published).
            late = {
                LatePolicy.NO_LATE_WORK: "no group can hand in any more (no late work)",
                LatePolicy.PENALTY: "every version handed in now is late, with its penalty",
                LatePolicy.NO_PENALTY: "every version handed in now counts as late",
            }[obj.late_policy]
            when = "" if obj.is_published else "once it is published, "
            messages.warning(
                request,
                f"The deadline of {obj} ({local_text(obj.due_at)}) has already passed: "
                f"{when}{late}, but for groups with a later extension. If that is not meant, "
                "correct the date.",
            )
        totals_changed = {"weight", "missing_counts_as_zero"} & set(form.changed_data)
        if change and totals_changed and obj.grades_released_at is not None:
            # Allowed (a weight set wrong is fixed at term's end), but not silently:
            # students' released marks stay, their weighted totals move (probe 36).
            messages.warning(
                request,
                "The grades of this project are released: every student's weighted total "
                "in the gradebook changed with its "
                + " and ".join(
                    what
                    for field, what in (
                        ("weight", "weight"),
                        ("missing_counts_as_zero", "counting of missing work"),
                    )
                    if field in totals_changed
                )
                + ". Their marks for the project are as released."
                + (
                    (
                        " Students without a mark for it (in no group, or whose group handed "
                        "nothing in or was not graded) now count 0 for it in their total."
                        if obj.missing_counts_as_zero
                        else " Students without a mark for it are now left out of it in "
                        "their total, where they counted 0."
                    )
                    if "missing_counts_as_zero" in totals_changed
                    else ""
                ),
            )

    form = ProjectAssignmentForm
    # What an instructor scans for at 1280 px beside the filters (the opening date and
    # how groups form are on each project's page and in the filters).
    list_display = ("title", "course", "due_at", "is_published", "group_count", "submitted_count")
    list_filter = ("course", "is_published", "formation_mode", "late_policy", "submission_kinds")
    list_select_related = ("course",)
    search_fields = ("title", "slug", "course__title", "course__code")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "due_at"
    ordering = ("-due_at",)
    actions = ("auto_form_groups", "export_status_csv")
    fieldsets = (
        (None, {"fields": ("course", "title", "slug", "is_published")}),
        (_("Brief"), {"fields": ("brief",), "description": _("Markdown, shown to students.")}),
        (_("Schedule"), {"fields": ("opens_at", "due_at")}),
        (
            _("Late work"),
            {
                "fields": ("late_policy", "late_penalty_per_day", "late_penalty_cap"),
                "description": _(
                    "Days late are counted per started day after the deadline (or the "
                    "group's extension). Penalties apply only with the penalty policy."
                ),
            },
        ),
        (_("Groups"), {"fields": ("formation_mode", "min_group_size", "max_group_size")}),
        (
            _("Submissions"),
            {"fields": ("submission_kinds", "max_upload_mb", "late_version_rule")},
        ),
        (
            _("Gradebook"),
            {
                "fields": ("weight", "missing_counts_as_zero"),
                "description": _(
                    "The weighted total is the sum of weight x mark over the sum of the "
                    "weights of the projects counted for that student."
                ),
            },
        ),
        (_("Grading"), {"fields": ("hub_link",)}),
    )
    readonly_fields = ("hub_link",)
    # What marks are computed from: fixed once they are released (marks_lock).
    MARK_FIELDS = ("due_at", "late_policy", "late_penalty_per_day", "late_penalty_cap")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        if services.marks_locked_reason(obj):
            # And published: unpublished, its released marks went from the students'
            # marks in the API and from their list, not from their feedback pages (probe 65).
            return (*fields, "course", "is_published", *self.MARK_FIELDS)
        # Its groups' students are enrolled in this course: the project stays in it.
        return (*fields, "course") if obj.groups.exists() else fields

    def locked_reason(self, obj: ProjectAssignment) -> str | None:
        return services.marks_locked_reason(obj)

    @admin.display(description=_("assignment hub"))
    def hub_link(self, obj: ProjectAssignment) -> str:
        if obj.pk is None:
            return "—"
        # By URL name: projects never imports grading, whose page the hub is.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("grading:assignment_hub", kwargs={"pk": obj.pk}),
            _("Rubric, groups, graders, progress and release of this assignment"),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                group_total=Count("groups", distinct=True),
                submitted_total=Count(
                    "groups", filter=Q(groups__submissions__isnull=False), distinct=True
                ),
            )
        )

    @admin.display(description=_("groups"), ordering="group_total")
    def group_count(self, obj: ProjectAssignment) -> int:
        return obj.group_total

    @admin.display(description=_("handed in"), ordering="submitted_total")
    def submitted_count(self, obj: ProjectAssignment) -> int:
        return obj.submitted_total

    @admin.action(description=_("Auto-form groups for students without a group"))
    def auto_form_groups(self, request: HttpRequest, queryset: QuerySet) -> None:
        for assignment in queryset:
            try:
                result = services.groups_auto_form(assignment=assignment, actor=request.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
                self.message_user(request, f"{assignment}: {error}", messages.ERROR)
                continue
            if not result.placed:
                self.message_user(
                    request, f"{assignment}: every student already has a group.", messages.INFO
                )
                continue
            self.message_user(
                request,
                f"{assignment}: placed {result.placed} student(s), "
                f"{len(result.groups_created)} new group(s).",
                messages.SUCCESS,
            )
            for warning in result.warnings:
                self.message_user(request, f"{assignment}: {warning}", messages.WARNING)

    @admin.action(description=_("Export submission status per group (CSV)"))
    def export_status_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return submission_status_csv(queryset)


class AddMembersFormSet(ParentRowsFormSet):
    """Check new members before ``membership_move`` runs, so errors show on the form."""

    def clean(self) -> None:
        super().clean()
        group = self.instance
        if not group.assignment_id:
            return
        assignment = group.assignment
        added = [
            (form, form.cleaned_data["student"])
            for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("student")
        ]
        if not added:
            return
        if locked := services.marks_locked_reason(group.assignment_id):
            raise ValidationError(locked)
        students = [student for _form, student in added]
        if len(set(students)) != len(students):
            raise ValidationError(_("A student is listed twice."))
        if group.pk:
            # Saved as it was, it said "changed successfully" and logged a false join.
            members = set(
                group.memberships.filter(student__in=students).values_list("student_id", flat=True)
            )
            for form, student in added:
                if student.pk in members:
                    form.add_error("student", _("Already a member of this group."))
        current = group.memberships.count() if group.pk else 0
        already_here = group.memberships.filter(student__in=students).count() if group.pk else 0
        if current - already_here + len(students) > assignment.max_group_size:
            raise ValidationError(
                _(
                    "A group of this project has at most %(max)s members. Remove members "
                    "first (and save), or raise the project's maximum group size."
                ),
                params={"max": assignment.max_group_size},
            )
        for form, student in added:
            if policy.role_in(student, assignment.course_id) != Role.STUDENT:
                form.add_error(
                    "student",
                    _("%(student)s is not enrolled as a student in this course.")
                    % {"student": student},
                )


class MembershipInline(CourseScopedInline, admin.TabularInline):
    """Current members, read-only; tick "delete" to take a student out of the group."""

    model = GroupMembership
    fk_name = "group"
    fields = ("student", "in_the_course", "joined_at")
    readonly_fields = ("student", "in_the_course", "joined_at")
    extra = 0
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # str(membership) names the group: load it with the row, not once per row.
        return super().get_queryset(request).select_related("student", "group").with_is_student()

    @admin.display(description=_("in the course"))
    def in_the_course(self, obj: GroupMembership) -> str:
        # As the grading page says it (probe 101: a removed student looked a member).
        # Removed, or a student no more (a grader now): probe 102.
        return _("yes") if getattr(obj, "is_student", True) else _("no longer a student of it")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def is_locked(self, obj: Group | None) -> bool:
        return _members_locked(obj)


def _hand_in_closed_because(group: Group) -> str:
    """Why GROUP's hand-in is closed, as services.submission_locked_reason decides it, in
    an instructor's words (probe 102: "the grades are released" for a passed extension)."""
    rule = group.assignment.late_version_rule
    if group.grading_started_at is not None and group.graded_submission_id is None:
        return "the grades are released"
    if rule == LateVersionRule.LOCK_AT_DEADLINE and timezone.now() > group.deadline():
        return "the extension has already ended (Late work: “Lock at the deadline”)"
    return (
        "its grading has started, and this project takes no new versions then "
        "(Late work: “Lock when grading starts”)"
    )


def _members_locked(group: Group | None) -> bool:
    return (
        group is not None
        and group.pk is not None
        and bool(services.membership_locked_reason(group))
    )


class AddMembersInline(CourseScopedInline, admin.TabularInline):
    """Empty rows to add students; one already in another group is moved here."""

    model = GroupMembership
    fk_name = "group"
    formset = AddMembersFormSet
    fields = ("student",)
    autocomplete_fields = ("student",)
    extra = 1
    can_delete = False
    verbose_name = _("student to add or move here")
    verbose_name_plural = _(
        "add or move students (a student in another group of this project is moved here)"
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).none()

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "student":
            kwargs["form_class"] = PersonChoiceField  # active students only
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def is_locked(self, obj: Group | None) -> bool:
        return _members_locked(obj)


class ExtensionFormSet(ParentRowsFormSet):
    """Refuse a new or changed extension once the marks are released, on the form,
    before ``extension_grant`` runs (``Extension.clean`` checks its date)."""

    def clean(self) -> None:
        super().clean()
        group = self.instance
        if not group.assignment_id:
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("due_at") or data.get("DELETE"):
                continue
            if form.instance.pk and not form.has_changed():
                continue  # left as it was: it changes no mark
            if locked := services.marks_locked_reason(group.assignment_id):
                raise ValidationError(locked)


class ExtensionInline(CourseScopedInline, admin.StackedInline):
    model = Extension
    formset = ExtensionFormSet
    fields = ("due_at", "reason", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")
    extra = 0
    max_num = 1
    verbose_name = _("deadline extension")
    verbose_name_plural = _("deadline extension")

    def is_locked(self, obj: Group | None) -> bool:
        # A group's extension decides its lateness, hence its mark: fixed once released.
        return _members_locked(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("granted_by", "group__assignment")


class MembershipEventInline(CourseScopedInline, admin.TabularInline):
    model = MembershipEvent
    fields = ("at", "student", "action", "note", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("membership change")
    verbose_name_plural = _("membership history")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("student", "actor", "group")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Group)
class GroupAdmin(InlineRowsMixin, ChoiceMessagesMixin, CourseScopedAdmin):
    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    # One COUNT per page view, not two ("x results (y total)" counts every row again).
    show_full_result_count = False
    list_display = (
        "name",
        "assignment",
        "member_list",
        "member_count",
        "join_code",
        "deadline_display",
        "latest_version",
    )
    list_filter = ("assignment__course", "assignment")
    list_select_related = ("assignment__course", "extension")
    search_fields = (
        "name",
        "join_code",
        "memberships__student__username",
        "memberships__student__display_name",
    )
    inlines = (MembershipInline, AddMembersInline, ExtensionInline, MembershipEventInline)
    readonly_fields = ("join_code", "created_by", "created_at")
    fields = ("assignment", "name", "join_code", "created_by", "created_at")
    actions = ("email_members",)

    @admin.action(
        description=_("Email a message to the members of the selected groups"),
        permissions=["change"],
    )
    def email_members(self, request: HttpRequest, queryset: QuerySet):
        """The enrollments' message page, for the groups' members still students of
        their course (the groups are those of one's courses already)."""
        members = GroupMembership.objects.of_students().filter(group__in=queryset)
        enrollments = Enrollment.objects.filter(
            Exists(
                members.filter(
                    student=OuterRef("user_id"), assignment__course=OuterRef("course_id")
                )
            ),
            role=Role.STUDENT,
        )
        return self.admin_site.get_model_admin(Enrollment).message_page(
            request, enrollments, back=request.get_full_path()
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Subqueries, not joins + GROUP BY: the database then computes them for the
        # page's rows only, and the paginator's COUNT needs neither.
        members = (
            GroupMembership.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        latest = Submission.objects.latest_of(OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=Coalesce(Subquery(members), 0),
                latest=Subquery(latest.values("version")[:1]),
            )
            .prefetch_related(
                Prefetch(
                    "memberships",
                    # By join date within each group, as the default ordering does,
                    # without joining the group, project and course to sort.
                    queryset=GroupMembership.objects.select_related("student")
                    .with_is_student()
                    .order_by("joined_at", "pk"),
                )
            )
        )

    @admin.display(description=_("members"))
    def member_list(self, obj: Group) -> str:
        # Marked as the grading page marks them (probe 101: listed as plain members).
        return (
            ", ".join(
                f"{m.student}" + ("" if m.is_student else " (no longer a student of the course)")
                for m in obj.memberships.all()
            )
            or "—"
        )

    @admin.display(description=_("size"), ordering="member_total")
    def member_count(self, obj: Group) -> int:
        return obj.member_total

    @admin.display(description=_("deadline"))
    def deadline_display(self, obj: Group) -> str:
        deadline = obj.deadline()
        extended = " (extended)" if deadline != obj.assignment.due_at else ""
        return f"{local_text(deadline)}{extended}"

    @admin.display(description=_("latest version"), ordering="latest")
    def latest_version(self, obj: Group) -> str:
        return f"v{obj.latest}" if obj.latest else "—"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A group stays in its project: its members' memberships, submissions and
        # review belong to that project (moving the group left them behind).
        return (*fields, "assignment") if obj is not None else fields

    def locked_reason(self, obj: Group) -> str | None:
        return services.membership_locked_reason(obj)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change) -> None:
        group = form.instance
        if isinstance(formset, AddMembersFormSet):
            formset.save(commit=False)
            for membership in formset.new_objects:
                left = services.membership_move(
                    student=membership.student, to_group=group, actor=request.user
                )
                if left is not None:
                    self.message_user(
                        request, f"{membership.student} moved from “{left}” to “{group}”."
                    )
                    self._warn_if_small(request, left)
                for _receiver, notes in member_added_consequences.send(
                    sender=Group, student=membership.student, group=group
                ):
                    for note in notes or ():
                        self.message_user(request, note, messages.WARNING)
        elif formset.model is GroupMembership:
            formset.save(commit=False)
            for membership in formset.deleted_objects:
                services.membership_remove(membership=membership, actor=request.user)
            if formset.deleted_objects:
                self._warn_if_small(request, group)
        elif formset.model is Extension:
            formset.save(commit=False)
            told = 0
            for extension in formset.deleted_objects:
                told += services.extension_remove(extension)
            changed = [obj for obj, _fields in formset.changed_objects]
            for extension in formset.new_objects + changed:
                told += services.extension_grant(
                    group=group,
                    due_at=extension.due_at,
                    reason=extension.reason,
                    granted_by=request.user,
                )
                group.refresh_from_db(fields=["grading_started_at", "graded_submission"])
                if services.submission_locked_reason(group):
                    # Saved (it still sets the group's lateness), but it reopens nothing
                    # (probe 101: saved unsaid while the student read a countdown).
                    why = _hand_in_closed_because(group)
                    self.message_user(
                        request,
                        f"The extension of “{group}” is saved, but its hand-in stays closed: "
                        f"{why}.",
                        messages.WARNING,
                    )
            if told:
                # Read again: the form's rows, a deleted one too, are cached on the group.
                now = Group.objects.select_related("assignment", "extension").get(pk=group.pk)
                self.message_user(
                    request,
                    f"{told} member{'s' if told > 1 else ''} of “{group}” "
                    f"{'are' if told > 1 else 'is'} emailed the group's deadline "
                    f"({local_text(now.deadline())}).",
                )
        else:
            super().save_formset(request, form, formset, change)

    def _warn_if_small(self, request: HttpRequest, group: Group) -> None:
        """Say so when a move or removal left GROUP smaller than its project asks."""
        size = GroupMembership.objects.filter(group_id=group.pk).count()
        minimum = group.assignment.min_group_size
        if 0 < size < minimum:
            self.message_user(
                request,
                f"“{group}” now has {size} member(s), fewer than the {minimum} this project "
                "asks for: its members may still hand in work, or move them to another group.",
                messages.WARNING,
            )


@admin.register(Submission)
class SubmissionAdmin(CourseScopedAdmin):
    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.group.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    show_full_result_count = False  # as GroupAdmin
    list_display = (
        "__str__",
        "assignment",
        "version",
        "submitted_by",
        "submitted_at",
        "is_late",
        "size",
        "sha_short",
        "download_link",
    )
    list_filter = (
        "group__assignment",
        "is_late",
        GroupNameFilter,
    )
    list_select_related = ("group__assignment__course", "submitted_by")
    search_fields = ("group__name", "sha256", "submitted_by__username", "repository_url")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at",)
    fields = (
        "group",
        "version",
        "submitted_by",
        "submitted_at",
        "is_late",
        "download_link",
        "archive_name",
        "archive_size",
        "sha256",
        "repository_url",
        "commit",
        "note",
    )
    readonly_fields = fields

    @admin.display(description=_("project"), ordering="group__assignment")
    def assignment(self, obj: Submission) -> ProjectAssignment:
        return obj.group.assignment

    @admin.display(description=_("size"), ordering="archive_size")
    def size(self, obj: Submission) -> str:
        return obj.size_display or "—"

    @admin.display(description=_("SHA-256"))
    def sha_short(self, obj: Submission) -> str:
        return obj.short_sha or "—"

    @admin.display(description=_("archive"))
    def download_link(self, obj: Submission) -> str:
        if not obj.archive:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_download_url(), _("Download"))

    # Submissions are the record of what students handed in: nobody edits or
    # deletes them here (a new version is the way to correct one).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
