"""The back office (Django's admin), asking the access policy on every screen.

Instructors see and change only the rows of the courses they teach, in every list,
form, filter, inline, action, history page and autocomplete; superusers see all.
Every ModelAdmin of ours derives from ``CourseScopedAdmin`` (or its history twin),
every inline from ``CourseScopedInline``; none writes its own check.
"""

from __future__ import annotations

import datetime
import itertools
import operator
from functools import partial, wraps
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import URLResolver, path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import capfirst, smart_split
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from coursesite.admin_forms import ParentRowsFormSet
from coursesite.converters import parse_id
from coursesite.dates import local_text
from coursesite.formpages import (
    KEPT,
    form_owner_value,
    keep_signed_out_post,
    kept_fields,
    page_with_form,
)
from coursesite.locks import lock_rows

from . import policy
from .deletion import deleted_objects
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


class _Autocomplete(AutocompleteJsonView):
    """The back office's autocompletes: active people only, each named with their
    username (two students of one name, "Sam Student", could not be told apart)."""

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        # Django answers for any relation named in the query, so ?field_name=grader on a
        # review listed the course's students as candidates: only a field some screen
        # offers as an autocomplete is answered.
        if not self._offered(request, source_field.model, source_field.name):
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name

    def _offered(self, request, model, field_name: str) -> bool:
        for model_admin in self.admin_site._registry.values():
            if model_admin.model is model and field_name in model_admin.get_autocomplete_fields(
                request
            ):
                return True
            for inline in model_admin.inlines:
                if inline.model is model and field_name in inline.autocomplete_fields:
                    return True
        return False

    def get_queryset(self):
        # People are chosen to enroll, grade or join: never a deactivated account.
        queryset = super().get_queryset()
        if issubclass(queryset.model, AbstractBaseUser):
            queryset = queryset.filter(is_active=True)
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, AbstractBaseUser) and result["text"] != obj.get_username():
            result["text"] = f"{result['text']} ({obj.get_username()})"
        return result


class BackOfficeSite(admin.AdminSite):
    index_title = _("Courses, projects and grading")
    login_form = BackOfficeAuthenticationForm

    def autocomplete_view(self, request: HttpRequest):
        return _Autocomplete.as_view(admin_site=self)(request)

    # Read on every page, so a changed SITE_NAME (tests, another deployment) shows.
    @property
    def site_header(self) -> str:
        return f"{settings.SITE_NAME} back office"

    @property
    def site_title(self) -> str:
        return f"{settings.SITE_NAME} back office"

    def has_permission(self, request: HttpRequest) -> bool:
        return policy.uses_back_office(request.user)

    def admin_view(self, view, cacheable=False):
        # Every screen shows a page (GET, HEAD) and takes its form (POST). Django's admin
        # answered any other method (PUT, DELETE, OPTIONS, made-up ones) with the page;
        # like the site's pages, 405 naming what is served, before the login check.
        guarded = super().admin_view(view, cacheable)
        if _keeps_forms(view):
            guarded = self._keeping_signed_out_forms(guarded)
        return page_with_form(guarded)

    def _keeping_signed_out_forms(self, view):
        """Keep what a change or add form brought after its session ended, as the site's
        forms do (coursesite.formpages): Django sent it to the login page and dropped it,
        an instructor's lesson text with it."""

        @wraps(view)
        def keeping(request: HttpRequest, *args, **kwargs):
            if request.method == "POST" and not request.user.is_authenticated:
                login_url = reverse("admin:login", current_app=self.name)
                return keep_signed_out_post(request, request.get_full_path(), login_url=login_url)
            return view(request, *args, **kwargs)

        return keeping

    @method_decorator(page_with_form)
    def login(self, request: HttpRequest, extra_context=None):
        return super().login(request, extra_context)

    def get_urls(self):
        # "View on site" (/admin/r/<content type>/<id>/) redirected to any row of the
        # site, another course's draft lesson included, and told which ids exist.
        return [
            path(
                "r/<id:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            )
            if getattr(pattern, "name", None) == "view_on_site"
            else pattern
            for pattern in _marking_form_pages(super().get_urls())
        ]

    def view_on_site(self, request: HttpRequest, content_type_id: int, object_id: str):
        """Django's shortcut, for rows this person sees in the back office; else 404."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist as exc:
            raise Http404(_("No such object.")) from exc
        model_admin = self._registry.get(model)
        obj = model_admin.get_object(request, unquote(object_id)) if model_admin else None
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise Http404(_("No such object."))
        return shortcut(request, content_type_id, object_id)


# The screens whose form is kept when it cannot be taken (session ended, stale tab).
_FORM_VIEWS = frozenset({"add_view", "change_view"})


def _marking_form_pages(patterns: list) -> list:
    """Return PATTERNS, the add and change screens among them marked as pages whose form
    ``csrf_failure`` keeps, as ``form_view`` marks the site's (a form sent from a tab
    whose session was replaced in another one came back filled in; it was a 403)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _marking_form_pages(pattern.url_patterns)
        elif _keeps_forms(pattern.callback):
            pattern.callback.keeps = True
            pattern.callback.form_page = None  # the screen shows its own form
            pattern.callback.kept_message = KEPT
    return patterns


def _keeps_forms(view) -> bool:
    """Whether VIEW (a ModelAdmin's method, or Django's wrapper of it) is an add or change
    screen that gives back what was kept for it."""
    model_admin = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
    return isinstance(model_admin, KeptFormsMixin) and view.__name__ in _FORM_VIEWS


class KeptFormsMixin:
    """Give a change or add screen back what its form brought when it could not be taken
    (session ended, stale tab): shown bound, with the errors it would meet, not saved."""

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ):
        if request.method == "GET" and (kept := kept_fields(request)):
            request.kept_form_data = _query_dict(kept)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request: HttpRequest, context, *args, **kwargs):
        # Names who the form was shown to, as every form of the site's pages does.
        context["form_owner"] = form_owner_value(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        data = getattr(request, "kept_form_data", None)
        if data is None:
            return form

        class KeptForm(form):
            def __init__(self, *args, **kwargs):
                if not args and "data" not in kwargs:
                    kwargs["data"] = data.copy()
                super().__init__(*args, **kwargs)

        KeptForm.__name__ = form.__name__
        return KeptForm

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        data = getattr(request, "kept_form_data", None)
        if data is not None and "data" not in kwargs:
            kwargs["data"] = data.copy()
        return kwargs


def _query_dict(fields: dict[str, str | list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


class ReadOnlyMixin:
    """Nothing is added or changed here: the rows are written elsewhere (a lesson's
    Markdown, the grading pages).

    Deleting stays as the policy allows it: deleting a lesson, a course or an account
    deletes the rows it holds, and the admin asks for that permission on each.
    """

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SiteWideAdminMixin:
    """For the admins of site-wide records (permission groups, login logs, task
    results: Django's and libraries' own ModelAdmins), superusers only.

    Django looks a row up before asking for the permission: to anyone else an existing
    id answered 403 and a missing one redirected, which counted the site's login-log
    rows. Asked first, both answer 403.
    """

    def _refuse_unless_superuser(self, request: HttpRequest) -> None:
        if not policy.is_superuser(request.user):
            raise PermissionDenied

    # Django's model permissions grant nothing here (probe 80: an instructor given a few
    # made a group of every permission, read and emptied the site's login logs).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return policy.is_superuser(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return policy.is_superuser(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return policy.is_superuser(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return policy.is_superuser(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return policy.is_superuser(request.user) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._refuse_unless_superuser(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._refuse_unless_superuser(request)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_unless_superuser(request)
        return super().history_view(request, object_id, extra_context)


def guard_site_wide_admins(site: admin.AdminSite) -> None:
    """Give every admin that is not course-scoped (registered by Django and libraries)
    the superusers-only guard of ``SiteWideAdminMixin``."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, (CourseScopedMixin, ScopedRelationsMixin)):
            continue
        guarded = type(
            f"SiteWide{type(model_admin).__name__}", (SiteWideAdminMixin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, guarded)


NOT_YOURS_MANY = _("%(value)s is not part of a course you teach.")


def not_yours(db_field) -> str:
    """The refusal of a choice of DB_FIELD outside the user's courses, naming what to choose."""
    model = db_field.remote_field.model
    if model is get_user_model():
        return _("Choose a person enrolled in a course you teach.")
    what = str(model._meta.verbose_name)
    article = "an" if what[:1].lower() in "aeiou" else "a"
    return _("Choose %(article)s %(what)s of a course you teach.") % {
        "article": article,
        "what": what,
    }


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
    if obj.pk is None:
        # A row that does not exist: what a changelist's editable column builds for a
        # posted id outside the page (another course's, or none). Nobody changes it.
        return False
    try:
        return policy.can(request.user, TEACH, obj)
    except ObjectDoesNotExist:  # a historical version whose course is gone
        return policy.is_superuser(request.user)


class _PostedIdsOnly:
    """An autocomplete that redisplays only the posted values an id can be.

    Django's widget looks the posted values up as they are to show them again beside a
    form's errors: ``user=bogus`` (or a NUL, "NaN", 2**70) raised a server error there,
    where the field's own validation says "Select a valid choice".
    """

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if parse_id(v) is not None], attr)


class _NamedBox:
    """An autocomplete whose box is named by its field's label or column heading (select2
    names it by its value only: a new row's box had no name for screen readers)."""

    @property
    def media(self):
        # Listed after Django's autocomplete.js: Media keeps the order within a list.
        names = ["admin/js/autocomplete.js", "js/admin-autocomplete-names.js"]
        return super().media + forms.Media(js=names)


class SafeAutocompleteSelect(_PostedIdsOnly, _NamedBox, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_PostedIdsOnly, _NamedBox, AutocompleteSelectMultiple):
    pass


# Dates a course can have. Far ones broke the saves and lists that convert them between
# the site's zone and UTC (0001-01-01 in Brussels is before year 1 in UTC).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def validate_course_date(value) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(first)s and %(last)s."),
            code="date_range",
            params={"first": EARLIEST_YEAR, "last": LATEST_YEAR},
        )


class FiniteDecimalField(forms.DecimalField):
    """Django's DecimalField, whose "has it changed?" survives ``sNaN``.

    An inline row compares what was posted with its initial value before validating it,
    and comparing a signaling NaN raises (a 500 on the rubric's criteria, a criterion's
    levels, a suite's test groups). Such a row has changed; validation then refuses it
    as it refuses any number that is not finite.
    """

    def has_changed(self, initial, data) -> bool:
        try:
            return super().has_changed(initial, data)
        except ArithmeticError:  # decimal.InvalidOperation
            return True


class ClockChangeDateTimeField(forms.SplitDateTimeField):
    """Django's date and time field, saying in words why a time on a clock-change night
    is refused ("... couldn't be interpreted ...; it may be ambiguous or it may not
    exist" did not say which, nor what to choose), and what shape a date or time takes
    ("Enter a valid date." left a first instructor guessing; probe 44)."""

    default_error_messages = {
        "invalid_date": _(
            "Enter the date as day/month/year (20/12/2026) or year-month-day (2026-12-20), "
            "or pick it from the calendar."
        ),
        "invalid_time": _("Enter the time as hours:minutes on a 24-hour clock, such as 17:00."),
    }

    def compress(self, data_list):
        try:
            return super().compress(data_list)
        except ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
            day, clock = data_list
            naive = datetime.datetime.combine(day, clock)
            zone = timezone.get_current_timezone()
            # A time the clocks skip comes back from UTC moved by the change.
            moved = naive.replace(tzinfo=zone).astimezone(datetime.UTC).astimezone(zone)
            params = {
                "time": clock.strftime("%H:%M"),
                "date": date_format(day, "j F Y"),
                "zone": str(zone),
                "later": moved.strftime("%H:%M"),
            }
            if moved.replace(tzinfo=None) != naive:
                message = _(
                    "There is no %(time)s on %(date)s in %(zone)s: the clocks go forward "
                    "that night. Choose another time, such as %(later)s."
                )
            else:
                message = _(
                    "%(time)s happens twice on %(date)s in %(zone)s: the clocks go back "
                    "that night. Choose a time outside that hour."
                )
            raise ValidationError(message, code="clock_change", params=params) from error


class StoredFileInput(forms.ClearableFileInput):
    """A file input naming the stored file, without Django's link to it.

    Uploaded files are not served at MEDIA_URL: each is downloaded through a view that
    asks the policy (a lesson's attachment, a submission), so the link was a 404.
    """

    template_name = "backoffice/widgets/stored_file.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.is_initial(value):
            context["widget"]["file_name"] = PurePosixPath(value.name).name
        return context


def one_bound_each(formfield: forms.IntegerField, db_field: models.IntegerField) -> None:
    """Give FORMFIELD the model's bounds, one each way, in the page's input and in its
    messages: a positive field's form said "at least 0" for -1 (and the browser offered
    0), then the model "at least 1" for 0. The tightest bound wins, its message with it
    (the model's own words when it has some)."""
    for kind, attribute, tighter in (
        (MinValueValidator, "min", operator.gt),
        (MaxValueValidator, "max", operator.lt),
    ):
        model_side = [v for v in db_field.validators if isinstance(v, kind)]
        if not model_side:
            continue
        best = model_side[0]
        for validator in model_side[1:] + [v for v in formfield.validators if isinstance(v, kind)]:
            if tighter(validator.limit_value, best.limit_value):
                best = validator
        formfield.validators = [v for v in formfield.validators if not isinstance(v, kind)]
        formfield.validators.append(best)
        formfield.widget.attrs[attribute] = best.limit_value


class ScopedRelationsMixin:
    """Limit the choices of every relation field (select, autocomplete, raw id) to the
    rows the user teaches, so a posted id of another course fails validation; keep
    dates within the years a course can have; name stored files without a link."""

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if isinstance(db_field, models.DecimalField):
            kwargs.setdefault("form_class", FiniteDecimalField)
        if isinstance(db_field, models.FileField):
            kwargs.setdefault("widget", StoredFileInput)
        if isinstance(db_field, models.DateTimeField):
            kwargs.setdefault("form_class", ClockChangeDateTimeField)
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(formfield, forms.IntegerField) and isinstance(db_field, models.IntegerField):
            one_bound_each(formfield, db_field)
        if formfield is not None and isinstance(db_field, models.DateField):  # and DateTime
            formfield.validators.append(validate_course_date)
        return formfield

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return related_choices(request.user, queryset)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": not_yours(db_field)})
        autocomplete = db_field.name in self.get_autocomplete_fields(request)
        if "widget" not in kwargs and autocomplete:
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = policy.course_path(db_field.related_model)
        # The page's own form only: an inline's empty rows filled in could not be saved
        # untouched (probe 100: a test suite's empty group row needed its criterion cleared).
        own_form = not isinstance(self, admin.options.InlineModelAdmin)
        if path is not None and formfield is not None and not autocomplete and own_form:
            _choose_the_only_one(formfield, request)
        if path and formfield is not None and not autocomplete:
            # A course copied for a new run has modules, projects and rubrics of the same
            # names: each choice names its course, or work went to last year's run.
            formfield.queryset = formfield.queryset.select_related(path)
            formfield.label_from_instance = partial(_with_course, path)
        return formfield

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": NOT_YOURS_MANY})
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _choose_the_only_one(formfield, request: HttpRequest) -> None:
    """On an add form, choose a course, module or project when it is the only choice (probe
    96: an instructor of one course picked it on every form). One query, add forms only."""
    match = request.resolver_match
    if request.method != "GET" or match is None or not match.url_name.endswith("_add"):
        return
    if formfield.initial is None:
        formfield.initial = only_choice(formfield.queryset)


def only_choice(queryset) -> int | None:
    """The primary key of QUERYSET's one row, if it has exactly one (one query)."""
    choices = list(queryset.values_list("pk", flat=True)[:2])
    return choices[0] if len(choices) == 1 else None


def _with_course(path: str, obj: Model) -> str:
    course = obj
    for hop in path.split("__"):
        course = getattr(course, hop)
    return f"{obj} · {course}"


NOTHING_SAVED = _("Nothing was saved.")
CHANGED_MEANWHILE = _(
    "Someone changed this at the same moment, so nothing was saved. Check the page as it "
    "is now and try again."
)


class ActionIdsMixin:
    """Run the back office's actions on the posted ids that are ids, and on no other.

    Django passes the posted ``_selected_action`` values to a query as they are: one
    that is not a number (``abc``, ``1.5``, empty) beside a valid id was a 500.
    """

    def response_action(self, request: HttpRequest, queryset: QuerySet, **kwargs):
        posted = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ids = [str(pk) for pk in map(parse_id, posted) if pk is not None]
        if ids != posted:
            cleaned = request.POST.copy()
            cleaned.setlist(helpers.ACTION_CHECKBOX_NAME, ids)
            request.POST = cleaned
        # Django runs an action on the posted ids that are among this person's rows:
        # with none (another course's ids), the action ran on nothing and said it was
        # done, or said nothing at all (the people list's resend).
        across = request.POST.get("select_across", "0") != "0"
        refusal = None
        if across and not queryset.exists():  # "select all" of a list filtered to nothing
            refusal = _("There is nothing in this list: nothing was done.")
        elif posted and not across and not queryset.filter(pk__in=ids).exists():
            if self.get_queryset(request).filter(pk__in=ids).exists():  # a stale page
                refusal = _(
                    "None of the selected items is in this list as it is filtered now: "
                    "nothing was done. Reload the page and select again."
                )
            else:
                refusal = _(
                    "None of the selected items is in a course you teach: nothing was done."
                )
        if refusal:
            self.message_user(request, refusal, messages.WARNING)
            return None
        return super().response_action(request, queryset, **kwargs)


# Django's search adds a group of ORs across the search fields per word: 1,300 words
# took 42 s on the enrollments. Nobody searches with more than a few.
MAX_SEARCH_TERMS = 10


class BoundedSearchMixin:
    """Search the back office's lists (and autocompletes) with the first words typed."""

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        terms = itertools.islice(smart_split(search_term), MAX_SEARCH_TERMS)
        return super().get_search_results(request, queryset, " ".join(terms))


class _FixedFieldsChecked:
    """A change form whose read-only fields still count in its unique checks.

    Django leaves the fields a form does not show out of its unique and constraint
    checks: renaming a group to the name of another group of its project (the project
    read-only on the change page) passed the form and failed in the database, reported
    as someone else's edit with what was typed lost. Errors of such checks that name a
    field the form does not show are the form's own.
    """

    fixed_fields: frozenset[str] = frozenset()

    def validate_unique(self) -> None:
        self._checked(self.instance.validate_unique)

    def validate_constraints(self) -> None:
        self._checked(self.instance.validate_constraints)

    def _checked(self, check) -> None:
        try:
            check(exclude=self._get_validation_exclusions() - self.fixed_fields)
        except ValidationError as error:
            moved: dict[str, list] = {}
            for name, errors in error.update_error_dict({}).items():
                shown = name if name in self.fields else NON_FIELD_ERRORS
                moved.setdefault(shown, []).extend(errors)
            self._update_errors(ValidationError(moved))


class AppliedRelatedOnlyFilter(admin.RelatedOnlyFieldListFilter):
    """Django's RelatedOnly filter, applied whenever its parameter is in the address.

    With a single choice (an instructor of one course) Django hides the filter and
    drops its parameter unapplied: ``?course__id__exact=<another course>`` listed every
    row of one's own course, and "select all" then acted on all of them.
    """

    def has_output(self) -> bool:
        return super().has_output() or bool(self.used_parameters)


class CourseScopedMixin(KeptFormsMixin, BoundedSearchMixin, ActionIdsMixin, ScopedRelationsMixin):
    """A ModelAdmin whose rows, filters, forms and permissions follow the policy."""

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        concrete = {field.name for field in self.model._meta.concrete_fields}
        fixed = frozenset(concrete.intersection(self.get_readonly_fields(request, obj)))
        if obj is None or not fixed:
            return form
        return type(form.__name__, (_FixedFieldsChecked, form), {"fixed_fields": fixed})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return policy.scope(request.user, TEACH, super().get_queryset(request))

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        form = super().get_changelist_form(request, **kwargs)

        class NamedColumnsForm(form):
            """A list's editable columns, each input named for screen readers ("Order of
            “Flask basics”"): Django's had no label, only the column's heading."""

            def __init__(self, *args, **form_kwargs) -> None:
                super().__init__(*args, **form_kwargs)
                for name, field in self.fields.items():
                    if name != self._meta.model._meta.pk.name:
                        label = f"{capfirst(field.label or name)} of “{self.instance}”"
                        field.widget.attrs.setdefault("aria-label", label)

        return NamedColumnsForm

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

    def action_checkbox(self, obj):
        # Django's own HTML, formatted here: Django renders each row's checkbox through
        # the form renderer's templates, a quarter of a 100-row list's Python calls.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_list_filter(self, request: HttpRequest):
        # A plain relation filter lists every course, project or user of the site;
        # RelatedOnly lists those of the rows this user sees.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, AppliedRelatedOnlyFilter)
            elif isinstance(entry, tuple) and entry[1] is admin.RelatedOnlyFieldListFilter:
                entry = (entry[0], AppliedRelatedOnlyFilter)
            filters.append(entry)
        return filters

    def changelist_view(self, request: HttpRequest, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # its queries run here, inside the try
        except OverflowError:
            # A filter on a date no zone conversion can reach (?due_at__gte=0001-01-01).
            messages.error(
                request, _("A filter's date is out of range; the list is shown unfiltered.")
            )
            return HttpResponseRedirect(request.path)
        except ValidationError as exc:  # an action refused by a rule, checked under its lock
            messages.error(request, " ".join(exc.messages) + " " + NOTHING_SAVED)
            return HttpResponseRedirect(request.get_full_path())
        return response

    # Writes at the same moment ----------------------------------------------------
    def lock_for_write(self, obj: Model) -> None:
        """Lock what a save or delete of OBJ decides on, until the page's transaction ends.

        OBJ's own row by default: a row a student's write refers to at the same moment
        (a completion of a lesson being deleted) waits for the delete, or the delete for
        it, instead of failing at commit. The project's admins lock their project first,
        as the services do (ProjectAssignment.objects.lock), so a rubric or deadline
        edit and the release, or a review's delete and its save, queue one at a time.
        """
        lock_rows(type(obj)._default_manager.filter(pk=obj.pk))

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None or request.method != "POST" or transaction.get_autocommit():
            return obj
        # A save or a delete (Django runs them in a transaction): decided on the row as
        # it is under the lock, not as it was read before it.
        self.lock_for_write(obj)
        return super().get_object(request, object_id, from_field)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusal_as_message(
            request, super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if (
            obj is not None
            and self.has_view_or_change_permission(request, obj)
            and not self.has_delete_permission(request, obj)
            and (reason := self.locked_reason(obj))
        ):
            # Locked for a reason its page says (released marks): said on the refusal
            # that follows too, not Django's bare "403 Forbidden" (probe 83).
            messages.error(request, reason)
        return self._refusal_as_message(
            request, super().delete_view, request, object_id, extra_context
        )

    def _refusal_as_message(self, request: HttpRequest, view, *args):
        """Run VIEW; a rule a service enforces, or a row another request changed at the
        same moment, is a message on the same page (nothing was saved: the page's
        transaction rolled back), not a 500."""
        try:
            return view(*args)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages) + " " + NOTHING_SAVED)
        except IntegrityError:
            messages.error(request, CHANGED_MEANWHILE)
        return HttpResponseRedirect(request.get_full_path())

    def locked_reason(self, obj: Model) -> str | None:
        """Why part or all of OBJ's change form is read-only (shown above it), or None."""
        return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and (reason := self.locked_reason(obj)):
            self.message_user(request, reason, messages.INFO)
        if request.method == "POST" and request.FILES:
            # Shown again for what is wrong: the text typed is kept, but no browser lets a
            # page choose a file for its user (probe 83: the file was dropped unsaid).
            names = ", ".join(sorted({upload.name for upload in request.FILES.values()}))
            self.message_user(
                request,
                _(
                    "Nothing was saved, and the files chosen (%(names)s) must be chosen again "
                    "before saving: a page sent back cannot keep them."
                )
                % {"names": names},
                messages.WARNING,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_deleted_objects(self, objs, request: HttpRequest):
        # Django's reads each row the deletion takes one by one (access/deletion.py).
        deleted, counts, perms_needed, protected = deleted_objects(objs, request, self.admin_site)
        if perms_needed:
            # No permission an instructor could be given: these are the records the back
            # office only reads (scores, completed reviews, releases...), kept as they are.
            # Django's "your account doesn't have permission" sent them looking for one.
            kinds = ", ".join(sorted(str(kind) for kind in perms_needed))
            kept = _(
                "Submitted work and its grading, kept for the record (%(kinds)s): never "
                "deleted from the back office."
            ) % {"kinds": kinds}
            return deleted, counts, set(), [*protected, kept]
        return deleted, counts, perms_needed, protected

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another course's row is as absent as a deleted one: a plain 404, not a hint.
        raise Http404(_("No such object."))

    def response_change(self, request: HttpRequest, obj):
        # A change may take the person's own access away (an instructor who made
        # themselves a student): Django said "You may edit it again below" and then
        # "You are not authorized" on the page it sent them to.
        policy.forget(request.user)
        if not may_teach(request, obj):
            return self._left_behind(request, obj, _("was changed"))
        return super().response_change(request, obj)

    def response_delete(self, request: HttpRequest, obj_display, obj_id):
        policy.forget(request.user)
        if not self.admin_site.has_permission(request):
            return self._left_behind(request, obj_display, _("was deleted"))
        return super().response_delete(request, obj_display, obj_id)

    def _left_behind(self, request: HttpRequest, obj, done: str) -> HttpResponseRedirect:
        """Say what was done and that its course is out of the person's reach now; go
        where they may still be (the back office's index, else the site)."""
        self.message_user(
            request,
            _("“%(obj)s” %(done)s. You no longer teach its course, so it is not shown to you.")
            % {"obj": obj, "done": done},
            messages.SUCCESS,
        )
        if self.admin_site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))
        return HttpResponseRedirect(reverse("lessons:dashboard"))


class CourseScopedAdmin(CourseScopedMixin, admin.ModelAdmin):
    pass


def named_safely(obj) -> str:
    """OBJ's name, or its kind and id when the name reads a row deleted since."""
    try:
        return str(obj)
    except ObjectDoesNotExist:
        return f"{obj._meta.verbose_name} #{obj.pk}"


class NamedRow:
    """A row as a history page's breadcrumb shows it: its id, its name read safely."""

    def __init__(self, obj) -> None:
        self.pk = obj.pk
        self.name = named_safely(obj)

    def __str__(self) -> str:
        return self.name


class HistoryValues(HistoricalRecordContextHelper):
    """A change's old and new values as the back office writes them elsewhere (probe 101:
    "Due at: 2026-12-12 11:50:51+00:00" beside "Sat 12 Dec 2026, 12:50 CET" on the
    project's page, and "Deleted user (pk=None)" for a field that was only empty)."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return "—"
        field = self.model._meta.get_field(change.field)
        # As the forms say them ("Late policy: penalty → none" read as stored; probe 107).
        if isinstance(field, models.BooleanField):
            return _("yes") if value else _("no")
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, DeletedObject):
            return _("a deleted %(type)s (id %(id)s)") % {
                "type": value.model._meta.verbose_name,
                "id": value.pk,
            }
        if isinstance(value, datetime.datetime):
            return local_text(value, seconds=True)
        return value


class CourseScopedHistoryAdmin(CourseScopedMixin, SimpleHistoryAdmin):
    """Scoped, with the audit trail readable and never written from the history pages.

    Reverting a historical version would bypass the grading rules (release, regrades),
    and django-simple-history saves a posted version whatever its revert switch says.
    """

    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryValues(self.model, historical_record)

    # A row is named by what it points to ("Bob rated Dana: 3"): the history of one
    # deleted with an account (a peer rating, an override) read that account, gone, and
    # its pages were a server error (probes 107, 108).
    def history_view_title(self, request, obj):
        return _("View history: %s") % named_safely(obj)

    def history_form_view_title(self, request, obj):
        return _("View %s") % named_safely(obj)

    def history_view(self, request, object_id, extra_context=None):
        self._check_ids(object_id)
        try:
            return super().history_view(request, object_id, extra_context)
        except PermissionDenied as exc:
            # Another course's row: absent, as on its change page (a 403 said it exists).
            raise Http404(_("No such object.")) from exc

    def render_history_view(self, request, template, context, **kwargs):
        # Each record is named by the object it was then ("Review of Team A by Grace"):
        # django-simple-history builds that object anew at each read, without the related
        # rows its records were read with, so every name read them again (60 queries for
        # 25 records). Built once here, with those rows.
        for record in context.get("page_obj") or ():
            shown = record.history_object
            for field in shown._meta.concrete_fields:
                if field.is_relation and field.name in record._state.fields_cache:
                    shown._state.fields_cache[field.name] = record._state.fields_cache[field.name]
            record.shown_object = named_safely(shown)
        if context.get("object") is not None:  # the breadcrumb's name, and its id
            context["object"] = NamedRow(context["object"])
        return super().render_history_view(request, template, context, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(_("The history is read-only; change the current version."))
        self._check_ids(object_id, version_id)
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except PermissionDenied as exc:
            raise Http404(_("No such object.")) from exc
        except ObjectDoesNotExist as exc:  # its form reads an account deleted since
            raise Http404(
                _(
                    "This version names a person or a row deleted since: its page cannot be "
                    "shown. The list of changes says what changed."
                )
            ) from exc

    def _check_ids(self, object_id, version_id=None) -> None:
        # django-simple-history filters on the ids as typed: /review/1e3/history/ and
        # /review/1/history/abc/ raised ValueError (a server error) where Django's own
        # pages answer "does not exist".
        try:
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                self.model.history.model._meta.pk.to_python(unquote(version_id))
        except ValidationError as exc:
            raise Http404(_("No such object.")) from exc


class CourseScopedInline(ScopedRelationsMixin):
    """An inline whose permissions are those of its parent object, unless ``is_locked``;
    its rows are its parent's only (ParentRowsFormSet)."""

    formset = ParentRowsFormSet

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if isinstance(self, admin.TabularInline) and isinstance(db_field, models.TextField):
            # Django's 40 x 10 text box pushed a table's last columns (a criterion's
            # maximum points) out of sight at 1280 px; it grows as the text is typed.
            kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 28}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if isinstance(self, admin.TabularInline):
            # A table's inputs have their column's header, not a label: screen readers
            # announced "edit text" alone (axe: form elements must have labels).
            for name, field in formset.form.base_fields.items():
                widget = getattr(field.widget, "widget", field.widget)  # related-field wrapper
                widget.attrs.setdefault("aria-label", str(field.label or name))
        return formset

    def is_locked(self, obj: Model | None) -> bool:
        """Whether the rows under OBJ (the parent) are fixed: shown, never added,
        changed or deleted (records that stop changing, as a released project's)."""
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj) and not self.is_locked(obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj) and not self.is_locked(obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_teach(request, obj) and not self.is_locked(obj)
