from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from accounts.validators import validate_name
from coursesite.forms import PlainErrorsMixin, refuse_undecoded

from .archives import format_bytes
from .models import ProjectAssignment
from .services.submissions import EMPTY_FILE, NOTE_MAX_LENGTH
from .uploads import ONE_ARCHIVE


class GroupCreateForm(PlainErrorsMixin, forms.Form):
    name = forms.CharField(
        label="Group name",
        max_length=80,
        validators=[validate_name],
        help_text=(
            "Your teammates will see this name; your group can rename itself until the "
            "deadline (or its grading, if sooner). You can share the join code afterwards."
        ),
    )


class GroupRenameForm(PlainErrorsMixin, forms.Form):
    name = forms.CharField(
        label="The group's new name",
        max_length=80,
        validators=[validate_name],
        help_text="Until the deadline, or until its grading starts if that comes first.",
    )


class GroupJoinForm(PlainErrorsMixin, forms.Form):
    join_code = forms.CharField(
        label="Join code",
        max_length=20,
        help_text="Ask a member of the group for its 8-character code.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, ask_handed_in: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ask_handed_in:
            # The code asked about goes back with the box: ticked, it holds for that group
            # only (probe 93: ticked for one group, it joined another whose code was typed).
            self.data = self.data.copy()
            self.data["asked_code"] = self.data.get("join_code", "")
            self.data.pop("knows_handed_in", None)  # asked anew: a tick was for another
        if ask_handed_in or (self.is_bound and "knows_handed_in" in self.data):
            # The group of the code has handed in work (services.groups.HANDED_IN, said
            # on this box): asked once the code says which group it is.
            self.fields["knows_handed_in"] = forms.BooleanField(
                label="I understand: join this group for good.", required=False
            )
            self.fields["asked_code"] = forms.CharField(
                required=False, max_length=20, widget=forms.HiddenInput
            )

    def knows_handed_in(self) -> bool:
        """Whether the box was ticked for the group of the code sent (valid forms only)."""
        data = self.cleaned_data
        return data.get("knows_handed_in", False) and same_join_code(
            data.get("asked_code", ""), data["join_code"]
        )


def same_join_code(one: str, other: str) -> bool:
    """Whether two typed join codes are the same (spaces and case aside, as a join reads)."""
    return "".join(one.split()).upper() == "".join(other.split()).upper()


class SubmissionForm(PlainErrorsMixin, forms.Form):
    """What a student submits; the checks themselves live in ``submission_create``."""

    archive = forms.FileField(
        label="Zip archive",
        required=False,
        error_messages={"empty": EMPTY_FILE},
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    repository_url = forms.CharField(
        label="Repository URL",
        required=False,
        max_length=500,
        validators=[refuse_undecoded],
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/team/project"}),
        help_text="The public https:// address of the repository.",
    )
    commit = forms.CharField(
        label="Commit",
        required=False,
        max_length=40,
        validators=[refuse_undecoded],
        help_text="Optional: the commit to grade (7 to 40 hexadecimal characters).",
    )
    note = forms.CharField(
        label="Note for the graders",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[refuse_undecoded],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args, assignment: ProjectAssignment, late_confirmation: str = "", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.late_confirmation = late_confirmation
        if late_confirmation:
            # A late version after one on time, which it replaces as the one graded:
            # asked first (probe 90: the group lost 20 % to a teammate's late version).
            # Required, checked in clean_confirm_late (which says what changed).
            self.fields["confirm_late"] = forms.BooleanField(
                label=late_confirmation,
                required=False,
                widget=forms.CheckboxInput(attrs={"required": True}),
            )
            # The words ticked go back with the box, so that a tick holds for what it
            # said (probe 93: a page opened on the first late day, sent after midnight,
            # handed in at 20 % with a box that said 10 %); shown again as they are now,
            # unticked.
            self.fields["late_asked"] = forms.CharField(required=False, widget=forms.HiddenInput)
            if self.is_bound:
                self.late_changed = (
                    "confirm_late" in self.data
                    and self.data.get("late_asked", "") != late_confirmation
                )
                self.data = self.data.copy()
                self.data["late_asked"] = late_confirmation
                if self.late_changed:
                    self.data.pop("confirm_late")
            else:
                self.initial["late_asked"] = late_confirmation
        if assignment.accepts_zip:
            limit = format_bytes(assignment.max_upload_bytes)
            self.fields["archive"].help_text = (
                f"A .zip of your code, at most {limit}. Leave out virtual environments "
                "and node_modules."
            )
            self.fields["archive"].widget.attrs["data-max-bytes"] = assignment.max_upload_bytes
        else:
            del self.fields["archive"]
        if not assignment.accepts_url:
            del self.fields["repository_url"]
            del self.fields["commit"]

    def clean_confirm_late(self) -> bool:
        if self.late_changed:
            raise ValidationError(
                "Nothing was submitted: what handing in late costs has changed since the "
                "page was opened. Read the box again, as it is now, and tick it to hand in.",
                code="late_changed",
            )
        if not self.cleaned_data["confirm_late"]:
            raise ValidationError(
                "Nothing was submitted: tick this box to hand in a late version after your "
                "group's on-time one (or keep that one by not submitting).",
                code="required",
            )
        return True

    def clean_archive(self):
        # The file input takes one file; a request carrying several would have the
        # last one submitted without a word about the others.
        archive = self.cleaned_data.get("archive")
        getlist = getattr(self.files, "getlist", None)
        if archive and getlist is not None and len(getlist(self.add_prefix("archive"))) > 1:
            raise ValidationError(ONE_ARCHIVE, code="too_many_files")
        return archive

    @classmethod
    def refused(cls, error: ValidationError, *, assignment: ProjectAssignment) -> SubmissionForm:
        """Return an empty form showing ERROR, for a request whose body was not read in full.

        The fields sent after the file were never read, so none of them is shown again.
        """
        form = cls(QueryDict(), assignment=assignment)
        form.is_valid()
        form.add_error("archive" if "archive" in form.fields else None, error)
        return form
