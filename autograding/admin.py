"""Back office for autograding: test suites with their groups and build, and the runs.

A suite is saved here (its zip, requirements, limits, groups of tests linked to rubric
criteria); saving queues the build of its environment in the background. Runs are
read here and re-run by an action; they are never edited.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access import policy
from access.backoffice import CourseScopedAdmin, CourseScopedInline
from projects.models import ProjectAssignment

from . import environments, services
from .models import Run, TestGroup, TestResult, TestSuite


class TestSuiteForm(forms.ModelForm):
    class Meta:
        model = TestSuite
        fields = (
            "assignment",
            "archive",
            "requirements",
            "settings_module",
            "run_scope",
            "is_active",
            "wall_seconds",
            "memory_mb",
        )

    def clean_archive(self):
        archive = self.cleaned_data.get("archive")
        if isinstance(archive, UploadedFile):
            sha256, requirements = services.suite_check_archive(archive)
            self.instance.sha256 = sha256
            self.instance.archive_name = (archive.name or "tests.zip")[-255:]
            self.found_requirements = requirements
        return archive

    def clean_requirements(self):
        text = self.cleaned_data.get("requirements", "")
        environments.clean_requirements(text)  # raises with the bad lines named
        return text

    def clean(self):
        data = super().clean()
        found = getattr(self, "found_requirements", "")
        if found and not data.get("requirements", "").strip():
            try:
                environments.clean_requirements(found)
            except ValidationError as exc:
                raise ValidationError(
                    {"archive": [f"requirements.txt: {message}" for message in exc.messages]}
                ) from exc
            data["requirements"] = found
        return data


class TestGroupInline(CourseScopedInline, admin.TabularInline):
    model = TestGroup
    extra = 1
    fields = ("order", "name", "patterns", "points", "visibility", "criterion")


@admin.register(TestSuite)
class TestSuiteAdmin(CourseScopedAdmin):
    def lock_for_write(self, obj) -> None:
        ProjectAssignment.objects.lock(obj.assignment_id)  # first, as the services do
        super().lock_for_write(obj)

    form = TestSuiteForm
    list_display = ("assignment", "course", "build_status", "run_scope", "is_active", "queue")
    list_filter = ("build_status", "assignment__course")
    list_select_related = ("assignment__course",)
    search_fields = ("assignment__title",)
    inlines = (TestGroupInline,)
    readonly_fields = ("archive_name", "sha256", "build_status", "built_at", "build_log_text")
    fieldsets = (
        (None, {"fields": ("assignment", "archive", "archive_name", "sha256")}),
        (
            _("Environment"),
            {
                "fields": (
                    "requirements",
                    "settings_module",
                    "build_status",
                    "built_at",
                    "build_log_text",
                )
            },
        ),  # fmt: skip
        (_("Runs"), {"fields": ("run_scope", "is_active", "wall_seconds", "memory_mb")}),
    )
    actions = ("rebuild", "run_final_versions", "run_every_version")

    @admin.display(description=_("course"))
    def course(self, obj: TestSuite):
        return obj.assignment.course

    @admin.display(description=_("queue"))
    def queue(self, obj: TestSuite) -> str:
        return format_html('<a href="{}">{}</a>', reverse("autograding:queue"), _("Runs"))

    @admin.display(description=_("build log"))
    def build_log_text(self, obj: TestSuite) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.build_log or "-")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.suite_prepare(obj)

    @admin.action(description=_("Rebuild the environment"))
    def rebuild(self, request, queryset):
        for suite in queryset:
            suite.build_status = "failed"  # forces a new build of the same requirements
            services.suite_prepare(suite)
        self.message_user(request, _("The builds are queued."), messages.SUCCESS)

    def _run_all(self, request, queryset, *, final_only: bool) -> None:
        for suite in queryset.select_related("assignment"):
            try:
                runs = services.runs_request_for_assignment(
                    assignment=suite.assignment, by=request.user, final_only=final_only
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request, f"{suite.assignment}: {len(runs)} run(s) queued.", messages.SUCCESS
                )

    @admin.action(description=_("Run the tests on each group's final version"))
    def run_final_versions(self, request, queryset):
        self._run_all(request, queryset, final_only=True)

    @admin.action(description=_("Run the tests on every version"))
    def run_every_version(self, request, queryset):
        self._run_all(request, queryset, final_only=False)


class TestResultInline(CourseScopedInline, admin.TabularInline):
    model = TestResult
    extra = 0
    fields = ("nodeid", "group", "outcome", "duration", "output")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Run)
class RunAdmin(CourseScopedAdmin):
    """Runs to read and re-run; what they found is never edited."""

    list_display = ("__str__", "assignment", "status", "tests", "queued_at", "duration", "worker")
    list_filter = ("status", "submission__group__assignment__course")
    list_select_related = ("submission__group__assignment",)
    search_fields = ("submission__group__name",)
    inlines = (TestResultInline,)
    actions = ("run_again",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description=_("project"))
    def assignment(self, obj: Run):
        return obj.submission.group.assignment

    @admin.display(description=_("tests passed"))
    def tests(self, obj: Run) -> str:
        return f"{obj.tests_passed}/{obj.tests_total}" if obj.tests_total else "-"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return policy.is_superuser(request.user)

    @admin.action(description=_("Run the tests again on these versions"))
    def run_again(self, request, queryset):
        count = 0
        for run in queryset.select_related("submission__group"):
            if policy.can(request.user, policy.TEACH, run.submission):
                count += (
                    services.run_request(submission=run.submission, by=request.user) is not None
                )
        self.message_user(request, f"{count} run(s) queued.", messages.SUCCESS)
