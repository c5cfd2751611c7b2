"""People in the back office (registered here, it needs the courses people are in).

Instructors see the people enrolled in the courses they teach and add someone to one
of their courses; they may correct the names of those who are in their courses only
(names are shown site-wide: someone also in another instructor's course, or a staff
account, opens read-only). Only superusers change what is site-wide: email addresses,
passwords, active and superuser flags, groups, permissions, and deleting accounts.
Roles are per course, on enrollments.
"""

from __future__ import annotations

from collections import Counter

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from access import policy
from access.backoffice import (
    ActionIdsMixin,
    BoundedSearchMixin,
    KeptFormsMixin,
    ScopedRelationsMixin,
    only_choice,
)
from access.deletion import deleted_objects
from grading.models import Review
from lessons.models import Course, Enrollment
from lessons.services import enrollment_create, last_instructor_refusals
from projects.models import GroupMembership

from .confirmation import confirmation_send
from .forms import AdminPasswordChangeForm, AdminUserChangeForm, AdminUserCreationForm
from .invitations import invitation_send, invitations_resend, is_invitable
from .models import Role, User
from .services import account_anonymise
from .tasks import email_changed_notify
from .views import personal_data_file


def _once_a_request(request: HttpRequest, key: tuple, answer) -> bool:
    """ANSWER() for KEY, worked out once per REQUEST (the admin asks its permissions again
    and again on one page)."""
    answers = request.__dict__.setdefault("_user_admin_answers", {})
    if key not in answers:
        answers[key] = answer()
    return answers[key]


def _naming(person: User):
    """Yield, for each course-scoped kind of row that names a person (a review's grader, a
    comment's author, a group's member...), PERSON's rows and their path to the course."""
    for model in apps.get_models():
        path = policy.course_path(model)
        if not path or model is Enrollment:  # no course, or the course itself
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                yield model._default_manager.filter(**{field.name: person}), path


class EnrollingUserCreationForm(AdminUserCreationForm):
    """Create an account and enroll it in one of the instructor's courses, together."""

    # Said where a busy person tries first (probe 96: no hint where else to go).
    duplicate_email_message = _(
        "Another account already uses this email address. To enroll its owner in your "
        "course, type the address in Enrollments → Add (“or their email address”)."
    )

    course = forms.ModelChoiceField(
        queryset=None,
        label=_("Enroll in"),
        help_text=_("You see the people of your courses: the new account joins this one."),
        error_messages={"invalid_choice": _("Choose a course you teach: the account joins it.")},
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STUDENT, label=_("as"))

    def __init__(self, *args, courses, optional: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        if not optional and not self.is_bound:  # one's only course, as the other add forms
            # choose (not a superuser's optional one: a colleague became a student; probe 102)
            self.fields["course"].initial = only_choice(courses)
        if "display_name" in self.fields:  # filled in for someone else (probe 96: "your")
            self.fields["display_name"].help_text = _(
                "How their name appears to teachers and teammates."
            )
        if optional:
            # A superuser's: a new colleague who teaches no course yet is added with the
            # course made for them (probe 83: only Enrollments → Add was left, and the
            # invitation, sent before it, named no course).
            self.fields["course"].required = False
            self.fields["course"].help_text = _(
                "Optional: the course the new account joins, with the role below; the "
                "invitation names it."
            )
            self.fields["role"].required = False  # a student's, if left out
        # An instructor should not know a student's password: by default the person
        # is emailed an invitation to choose their own (UserAdmin.save_model).
        usable = self.fields["usable_password"]
        usable.initial = "false"
        usable.label = _("Password")
        usable.choices = {
            "false": _("Email an invitation to choose one"),
            "true": _("Set one now"),
        }
        usable.help_text = _(
            "The invitation's link works once, for a limited time; you can send it again "
            "from the list of people."
        )

    @transaction.atomic
    def save(self, commit: bool = True) -> User:
        user = super().save(commit=True)
        if course := self.cleaned_data.get("course"):
            role = self.cleaned_data.get("role") or Role.STUDENT
            enrollment_create(user=user, course=course, role=role)
        return user


@admin.register(User)
class UserAdmin(
    KeptFormsMixin, BoundedSearchMixin, ActionIdsMixin, ScopedRelationsMixin, BaseUserAdmin
):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    change_password_form = AdminPasswordChangeForm
    actions = ("resend_invitation", "download_personal_data", "anonymise_accounts")
    list_display = ("username", "email", "display_name", "course_roles", "last_login")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "display_name",
                    "first_name",
                    "last_name",
                    "email",
                    "email_shown",
                    "email_status",
                )
            },
        ),
        (
            _("Site-wide permissions (superusers only)"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "display_name", "usable_password"),
            },
        ),
        (None, {"fields": ("password1", "password2")}),
    )
    enrolling_add_fieldsets = (
        (None, {"fields": ("course", "role")}),
        *add_fieldsets,
    )
    # What an instructor may correct for a person of their courses.
    instructor_fieldsets = (
        (None, {"fields": ("username",)}),
        (
            _("Personal info"),
            {"fields": ("display_name", "first_name", "last_name", "email", "email_status")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request: HttpRequest):
        enrollments = Prefetch(
            "enrollments", queryset=self._enrollments_shown(request).select_related("course")
        )
        return policy.visible_users(request.user).prefetch_related(enrollments)

    def _enrollments_shown(self, request: HttpRequest):
        return policy.scope(request.user, policy.TEACH, Enrollment.objects)

    @admin.display(description=_("roles in your courses"))
    def course_roles(self, obj: User) -> str:
        roles = [f"{e.course.title}: {e.get_role_display()}" for e in obj.enrollments.all()]
        return "; ".join(roles) or "—"

    # Permissions: the people of one's courses; site-wide changes for superusers.
    def _sees(self, request: HttpRequest, obj: User | None) -> bool:
        if obj is None:
            return policy.uses_back_office(request.user)
        return _once_a_request(
            request,
            ("sees", obj.pk),
            lambda: policy.visible_users(request.user).filter(pk=obj.pk).exists(),
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._sees(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not self._sees(request, obj):
            return False
        if obj is None:
            return True
        # Asked several times a page (the form, its fields, the buttons): answered once,
        # as it reads every kind of row naming the person (probe 97: 150 queries a page).
        return _once_a_request(
            request, ("changes", obj.pk), lambda: self._changes(request.user, obj)
        )

    def _changes(self, by: User, person: User) -> bool:
        """Return whether BY may change PERSON (already seen): names are site-wide.

        A person's names show in every course they are in, so only someone who teaches
        all of those may correct them: not a co-teacher's student elsewhere, nor a
        staff or superuser account. The others' pages open read-only.
        """
        if policy.is_superuser(by) or person.pk == by.pk:
            return True
        if person.is_staff or person.is_superuser:
            return False
        # Not person.enrollments: get_queryset prefetched only those of BY's courses.
        enrollments = Enrollment.objects.filter(user=person).only("course_id")
        if not all(policy.can(by, policy.TEACH, enrollment) for enrollment in enrollments):
            return False
        # The name also shows in courses the person has left: their groups, and the
        # reviews, comments and answers they wrote there (probe 94: an instructor of
        # another course renamed a removed grader, whose reviews then read so).
        taught = policy.courses_where(by, policy.TEACHERS)
        return not any(
            rows.exclude(**{f"{path}__in": taught}).exists() for rows, path in _naming(person)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # A person's back-office log spans every course they are in: an instructor who
        # enrolled someone read what another course's instructor changed, and when.
        # Their own log, and anyone's for superusers.
        if not (policy.is_superuser(request.user) or object_id == str(request.user.pk)):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return policy.is_superuser(request.user)

    def get_list_filter(self, request: HttpRequest):
        if policy.is_superuser(request.user):
            return ("is_superuser", "is_active", "groups")
        return ()

    # What the list and the change page show an instructor, so what they may filter it
    # by: Django allows a filter on any column typed in the address, and
    # ?is_staff__exact=1 told which of their people had the flags they are not shown.
    instructor_filterable = frozenset(
        {"id", "pk", "username", "email", "display_name", "first_name", "last_name", "last_login"}
    )

    def lookup_allowed(self, lookup, value, request) -> bool:
        if not policy.is_superuser(request.user):
            if lookup.split(LOOKUP_SEP, 1)[0] not in self.instructor_filterable:
                return False
        return super().lookup_allowed(lookup, value, request)

    # On one's own account: the email address changes on the profile page.
    own_personal_info = (
        _("Personal info"),
        {
            "fields": ("display_name", "first_name", "last_name", "email", "email_status"),
            "description": _(
                "Change your own email address on your profile page: it asks for your "
                "current password and tells your old address."
            ),
        },
    )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        superuser = policy.is_superuser(request.user)
        if obj is None:
            return self.enrolling_add_fieldsets
        own = obj.pk == request.user.pk
        if superuser:
            if own:
                return (self.fieldsets[0], self.own_personal_info, *self.fieldsets[2:])
            return self.fieldsets
        if own:  # one's own password, via its change page
            return (
                (None, {"fields": ("username", "password")}),
                self.own_personal_info,
                *self.instructor_fieldsets[2:],
            )
        return self.instructor_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ()
        # The login and password-reset address: one's own changes where the current
        # password is asked (on a session left open, anyone could take the account
        # through "Forgot your password?"); another person's, by superusers only.
        if policy.is_superuser(request.user):
            return ("email", "email_status") if obj.pk == request.user.pk else ("email_status",)
        return ["username", "last_login", "date_joined", "email", "email_status"]

    @admin.display(description=_("Address"))
    def email_status(self, obj: User) -> str:
        # Why a person says they get no mail at the address they typed: it waits.
        if obj.pending_email:
            return _(
                "Confirmed. The person asked to move to %(pending)s: the account keeps the "
                "address above, for logins and password resets, until they open the link "
                "sent there."
            ) % {"pending": obj.pending_email}
        if obj.email_confirmed:
            return _("Confirmed.")
        return _(
            "Not confirmed yet: its owner has not opened an invitation, a password reset or "
            "a confirmation link sent to it."
        )

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        if obj is None:
            courses = policy.scope(request.user, policy.TEACH, Course.objects)
            optional = policy.is_superuser(request.user)
            form = super().get_form(request, obj, **{**kwargs, "form": EnrollingUserCreationForm})

            class BoundCoursesForm(form):
                def __init__(self, *args, **form_kwargs) -> None:
                    super().__init__(*args, courses=courses, optional=optional, **form_kwargs)

            return BoundCoursesForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        # As stored (the form has already unconfirmed a new address on OBJ); read only
        # when the address changes.
        old_confirmed = (
            change
            and "email" in form.changed_data
            and User.objects.filter(pk=obj.pk, email_confirmed=True).exists()
        )
        if change:
            # The columns the form changed only: the whole row, as read when the page was
            # posted, undid what the person did meanwhile (their new address confirmed).
            columns = {field.name for field in User._meta.concrete_fields} - {"password"}
            changed = [name for name in form.changed_data if name in columns]
            if "email" in changed:
                changed += ["email_confirmed", "pending_email"]
            if changed:
                obj.save(update_fields=changed)
        else:
            super().save_model(request, obj, form, change)
        old_email = form.initial.get("email")
        if change and "email" in form.changed_data and old_email:
            # As the profile page does: the address the account left hears of it, and
            # the new one gets the link that confirms it (the form unconfirmed it).
            email_changed_notify(
                user=obj, old_email=old_email, old_confirmed=old_confirmed, by_administrator=True
            )
            confirmation_send(user=obj)
        if not change and is_invitable(obj):
            invitation_send(user=obj)  # on commit: not if the add fails after this
            self.message_user(
                request, f"An invitation to choose a password is emailed to {obj.email}."
            )

    @admin.action(
        description=_("Email the invitation again (to those without a password yet)"),
        permissions=["change"],
    )
    def resend_invitation(self, request: HttpRequest, queryset) -> None:
        resend = invitations_resend(by=request.user, users=queryset)
        level = messages.SUCCESS if resend.complete else messages.WARNING
        self.message_user(request, resend.report(), level)

    @admin.action(
        description=_("Download this person's data (JSON, for a data-protection request)"),
        permissions=["export"],
    )
    def download_personal_data(self, request: HttpRequest, queryset):
        people = list(queryset[:2])
        if len(people) != 1:
            self.message_user(
                request, _("Tick one person: their data is one file."), messages.WARNING
            )
            return None
        return personal_data_file(people[0])

    @admin.action(
        description=_("Anonymise (a former member asking to be forgotten)"),
        permissions=["export"],
    )
    def anonymise_accounts(self, request: HttpRequest, queryset):
        people = list(queryset[: MAX_ANONYMISED + 1])
        if len(people) > MAX_ANONYMISED:
            self.message_user(
                request,
                _("Anonymise at most %(max)d people at a time.") % {"max": MAX_ANONYMISED},
                messages.WARNING,
            )
            return None
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "people": people,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": _("Anonymise"),
            }
            return TemplateResponse(request, "admin/accounts/anonymise_confirmation.html", context)
        for person in people:
            try:
                done = account_anonymise(person=person, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(
                request,
                _(
                    "%(former)s is now %(now)s: account closed, %(logins)d login record(s) "
                    "and %(tasks)d background task(s) naming them (emails sent or waiting) "
                    "deleted; their course work stays under the new name."
                )
                % {
                    "former": done.former_name,
                    "now": done.person,
                    "logins": done.logins,
                    "tasks": done.tasks,
                },
                messages.SUCCESS,
            )
        return None

    def has_export_permission(self, request: HttpRequest) -> bool:
        # A person's whole record spans every course: superusers (the site's data
        # controller) only; each person downloads their own from their profile.
        return policy.is_superuser(request.user)

    def user_change_password(self, request: HttpRequest, id, form_url=""):
        user = self.get_object(request, id)
        if user is not None and user.pk == request.user.pk:
            # The back office's form sets a password without the current one: on a
            # session left open, anyone could take the account for good.
            self.message_user(
                request, _("Change your own password here: it asks for your current one.")
            )
            return redirect("accounts:password_change")
        if user is not None and not policy.is_superuser(request.user):
            raise PermissionDenied(_("Only superusers set another person's password."))
        return super().user_change_password(request, id, form_url)

    def get_deleted_objects(self, objs, request):
        # Read in bulk, as every course-scoped screen's (access/deletion.py): Django's
        # named each answer of each student with a query for its question (probe 92:
        # 7,935 queries, 5 s, to confirm deleting 100 students).
        deleted, counts, perms_needed, protected = deleted_objects(objs, request, self.admin_site)
        reasons = _why_accounts_stay(list(objs))
        if reasons:  # said in words; they also explain the rows one may not delete
            return deleted, counts, set(), [*reasons, *protected]
        return deleted, counts, perms_needed, protected

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(_("No such person."))


MAX_ANONYMISED = 100  # a page of the list: each is its own transaction and report

DEACTIVATE = _(
    "To close the account, untick “Active” on its page instead: it can no longer log in. "
    "Someone who asked to be forgotten is anonymised (the list's action “Anonymise”, "
    "superusers): their work and marks stay under a pseudonym."
)


def _why_accounts_stay(users: list[User]) -> list[str]:
    """Return why USERS' accounts may not be deleted (nothing if they may).

    Deleting an account deletes what hangs on it: the last instructor's course would be
    left without one, a grader's reviews are the record of marks, a student's peer
    ratings in a released project would change their teammates' released marks, and a
    member of a group that handed in work would leave the group's record.
    """
    ids = [user.pk for user in users]
    teaching = Enrollment.objects.filter(user_id__in=ids, role=Role.INSTRUCTOR)
    reasons = last_instructor_refusals(teaching.select_related("user", "course"))
    graded = Counter(Review.objects.filter(grader_id__in=ids).values_list("grader_id", flat=True))
    released = set(
        GroupMembership.objects.filter(student_id__in=ids, assignment__grade_release__isnull=False)
        .values_list("student_id", flat=True)
        .distinct()
    )
    # Before the release too (probe 49): deleting a member of a group that handed in
    # work took them out of the group and its history ("created the group", "submitted
    # by"), and a group of one was left with a review and no one to give its mark to.
    memberships = GroupMembership.objects.filter(
        student_id__in=ids, assignment__grade_release__isnull=True, group__submissions__isnull=False
    )
    handed_in = Counter(
        student for student, _group in set(memberships.values_list("student_id", "group_id"))
    )
    for user in users:
        if graded[user.pk]:
            reasons.append(
                f"{user} is the grader of {graded[user.pk]} group(s): reviews are the "
                "record of marks and are kept (reassign those not done). To stop them "
                f"grading, remove them from the course (their enrollment). {DEACTIVATE}"
            )
        if user.pk in released:
            reasons.append(
                f"{user} has marks released to students: deleting the account would remove "
                f"their peer ratings and change their teammates' released marks. {DEACTIVATE}"
            )
        if handed_in[user.pk]:
            reasons.append(
                f"{user} is a member of {handed_in[user.pk]} group(s) that handed in work: "
                "deleting the account would take them out of the group and its history, "
                "and leave their mark to no one. To take them out of a course, remove "
                f"their enrollment. {DEACTIVATE}"
            )
    return reasons
