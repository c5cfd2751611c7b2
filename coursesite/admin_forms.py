"""Forms and messages the back office's admins share (lessons, grading, projects).

The scoping itself (which rows a person sees and picks) is access.backoffice's; these
say, in the instructor's words, why a choice or a deletion is refused.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coursesite.ordering import next_order

NOT_DELETED_HERE = _("Nothing was saved: a row below cannot be deleted here.")
ROWS_GONE = _("Nothing was saved: a row below is not one of this page's any more.")


class ParentRowsFormSet(BaseInlineFormSet):
    """An inline that saves rows of its parent only, and says when a row is not.

    A row posted with the id of a row that exists but is not the parent's (another
    course's, or moved meanwhile) passed Django's check of the id, was skipped when
    saving, and the page said the save succeeded: the edit was lost in silence. Such a
    row is refused on the row (templates/admin/edit_inline/_hidden_errors.html).
    """

    def clean(self) -> None:
        # Ticked for deletion too: nothing was deleted and the page said it saved (probe
        # 94). A row deleted meanwhile is no row anywhere, and its id is refused by Django.
        foreign = [
            form
            for form in self.initial_forms
            if form.instance.pk is None
            and self._pk_field.name not in form.errors
            and (
                not self._should_delete_form(form)
                or getattr(form, "cleaned_data", {}).get(self._pk_field.name) is not None
            )
        ]
        for form in foreign:
            form.add_error(
                self._pk_field.name,
                ValidationError(_("Not a row of this page."), code="invalid_choice"),
            )
        if foreign:
            raise ValidationError(ROWS_GONE, code="rows_gone")
        super().clean()


class KeptWorkFormSet(ParentRowsFormSet):
    """An inline whose rows are deleted here only when nothing goes with them.

    Ticking "Delete?" on a row deleted what cascades from it (a module's lessons, the
    students' completions and attempts) with no confirmation; the row's own delete
    page lists all that first. Subclasses say why a row must go through that page.
    """

    def deletion_refusal(self, obj: Model) -> str | None:
        """Return why OBJ (a row ticked for deletion) cannot be deleted inline, or None."""
        return None

    def clean(self) -> None:
        # Before Django's checks: its unique check validates the rows, and an inline's
        # row ticked for deletion raises there when something PROTECTs it.
        refused = False
        for form in self.forms:
            ticked = getattr(form, "cleaned_data", {}).get("DELETE")
            if (
                ticked
                and form.instance.pk is not None
                and (reason := self.deletion_refusal(form.instance))
            ):
                form.add_error(None, ValidationError(reason, code="delete_elsewhere"))
                refused = True
        if refused:
            # A deleted row's own errors never stop a formset's save: this one does.
            raise ValidationError(NOT_DELETED_HERE, code="delete_elsewhere")
        super().clean()


def choose_message(model: type[Model]) -> str:
    """Return what to say of a posted choice of MODEL that is not among the choices.

    A row of another course, one deleted meanwhile, or no id at all ("abc"): the person
    can only pick from the list, so say what the list holds.
    """
    label = model._meta.label
    if label == "lessons.Course":
        return gettext("Choose a course you teach.")
    if label == "accounts.User":
        return format_html(
            '{} <a href="{}">{}</a>{}',
            gettext(
                "Choose a person enrolled in a course you teach. To enroll someone new to "
                "your courses, import a one-line roster with their email address at"
            ),
            reverse("admin:lessons_enrollment_import_roster"),
            gettext("Import a roster"),
            gettext(" (Enrollments)."),
        )
    name = model._meta.verbose_name
    return gettext("Choose a %(name)s of a course you teach.") % {"name": name}


class ChoiceMessagesMixin:
    """Refuse a relation choice with "Choose a course you teach." and the like, where
    access.backoffice's generic message named neither what to pick nor how."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        messages = {"invalid_choice": choose_message(db_field.remote_field.model)}
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    """A choice among the active people of QUERYSET, each named with their username (two
    "Sam Student" could not be told apart).

    One of QUERYSET whose account is deactivated, posted from a page opened before or a
    crafted post, is refused as deactivated rather than as a stranger; anyone outside
    QUERYSET gets the field's own message (it says nothing of who exists).
    """

    def __init__(self, queryset, **kwargs) -> None:
        super().__init__(queryset.filter(is_active=True), **kwargs)
        self.deactivated = queryset.filter(is_active=False)

    def label_from_instance(self, obj) -> str:
        name, username = str(obj), obj.get_username()
        return name if name == username else f"{name} ({username})"

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as refusal:
            person = self._deactivated(value)
            if person is None:
                raise
            raise ValidationError(
                _("%(person)s's account is deactivated: choose someone active."),
                code="inactive",
                params={"person": self.label_from_instance(person)},
            ) from refusal

    def _deactivated(self, value):
        try:
            return self.deactivated.filter(**{self.to_field_name or "pk": value}).first()
        except (ValueError, TypeError, ValidationError):  # "abc", 1.5: no id at all
            return None


class _RowsAsPostedFormSet(helpers.InlineAdminFormSet):
    """Django's inline rows, each posted row shown with the object it was posted for.

    Django pairs the posted rows with the objects as they are now, by position: with a
    row deleted in another tab, the rows after it showed their neighbour's name and
    link, and the last one (what was typed in it, its error) was not shown at all.
    """

    def __iter__(self):
        rows = list(super().__iter__())
        if not self.formset.is_bound:
            yield from rows
            return
        initial = self.formset.initial_forms
        paired = min(len(initial), len(self.formset.get_queryset()))  # Django's zip
        readonly = self.readonly_fields
        if not self.has_change_permission:
            readonly = readonly + flatten_fieldsets(self.fieldsets)
        for form in initial:
            original = form.instance if form.instance.pk is not None else None
            yield helpers.InlineAdminForm(
                self.formset,
                form,
                self.fieldsets,
                self.prepopulated_fields,
                original,
                readonly,
                model_admin=self.opts,
                view_on_site_url=self.opts.get_view_on_site_url(original),
            )
        yield from rows[paired:]


class InlineRowsMixin:
    """A ModelAdmin whose inline rows show as posted when a save is refused (see
    _RowsAsPostedFormSet); templates/admin/edit_inline shows their hidden fields' errors."""

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            inline_formset.__class__ = _RowsAsPostedFormSet
        return inline_formsets


class NewRowsLastFormSet(BaseInlineFormSet):
    """Rows added with their order left at 0 go after their siblings, in the order they
    were added: at 0 they came first (students saw the newest lesson first)."""

    def save_new(self, form, commit=True):
        if not form.instance.order:
            # The existing rows are saved before the new ones: their orders are in.
            form.instance.order = next_order(self.model, **{self.fk.name: self.instance})
        return super().save_new(form, commit)
