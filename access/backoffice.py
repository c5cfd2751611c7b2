"""The back office (Django's admin), asking the access policy on every screen.

Instructors see and change only the rows of the courses they teach, in every list,
form, filter, inline, action, history page and autocomplete; superusers see all.
Every ModelAdmin of ours derives from ``CourseScopedAdmin`` (or its history twin),
every inline from ``CourseScopedInline``; none writes its own check.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import policy
from .policy import TEACH


class BackOfficeAuthenticationForm(AuthenticationForm):
    """The back office's login form: for the people the policy lets in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "no_back_office": _(
            "This account teaches no course, so it has no back office. Log in with an "
            "instructor's account, or go back to the site."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not policy.uses_back_office(user):
            raise ValidationError(self.error_messages["no_back_office"], code="no_back_office")


class BackOfficeSite(admin.AdminSite):
    index_title = _("Courses, projects and grading")
    login_form = BackOfficeAuthenticationForm

    # Read on every page, so a changed SITE_NAME (tests, another deployment) shows.
    @property
    def site_header(self) -> str:
        return f"{settings.SITE_NAME} back office"

    @property
    def site_title(self) -> str:
        return f"{settings.SITE_NAME} back office"

    def has_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)


NOT_YOURS = _("That choice is not part of a course you teach (a person must be enrolled in one).")
NOT_YOURS_MANY = _("%(value)s is not part of a course you teach.")


def related_choices(user, queryset: QuerySet) -> QuerySet:
    """Return the rows of QUERYSET that USER may pick in a form: those they teach."""
    model = queryset.model
    if policy.is_superuser(user):
        return queryset
    if model._meta.label == "accounts.User":
        return queryset.filter(pk__in=policy.visible_users(user).values("pk"))
    if model._meta.label in policy.RULES:
        return policy.scope(user, TEACH, queryset)
    return queryset.none()  # anything the policy does not know is for superusers


def may_teach(request: HttpRequest, obj: Model | None) -> bool:
    if obj is None:
        return policy.uses_back_office(request.user)
    try:
        return policy.can(request.user, TEACH, obj)
    except ObjectDoesNotExist:  # a historical version whose course is gone
        return policy.is_superuser(request.user)


class ScopedRelationsMixin:
    """Limit the choices of every relation field (select, autocomplete, raw id) to the
    rows the user teaches, so a posted id of another course fails validation."""

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return related_choices(request.user, queryset)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": NOT_YOURS})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": NOT_YOURS_MANY})
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CourseScopedMixin(ScopedRelationsMixin):
    """A ModelAdmin whose rows, filters, forms and permissions follow the policy."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return policy.scope(request.user, TEACH, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def get_list_filter(self, request: HttpRequest):
        # A plain relation filter lists every course, project or user of the site;
        # RelatedOnly lists those of the rows this user sees.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another course's row is as absent as a deleted one: a plain 404, not a hint.
        raise Http404(_("No such object."))


class CourseScopedAdmin(CourseScopedMixin, admin.ModelAdmin):
    pass


class CourseScopedHistoryAdmin(CourseScopedMixin, SimpleHistoryAdmin):
    """Scoped, with the audit trail readable and never written from the history pages.

    Reverting a historical version would bypass the grading rules (release, regrades),
    and django-simple-history saves a posted version whatever its revert switch says.
    """

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history filters on the id as typed: /review/1e3/history/ raised
        # ValueError (a server error) where Django's own pages answer "does not exist".
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError as exc:
            raise Http404(_("No such object.")) from exc
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(_("The history is read-only; change the current version."))
        return super().history_form_view(request, object_id, version_id, extra_context)


class CourseScopedInline(ScopedRelationsMixin):
    """An inline whose permissions are those of its parent object."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)
