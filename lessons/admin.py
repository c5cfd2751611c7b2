"""The instructors' back office: courses, modules, lessons, enrollments, rosters, reports.

Each instructor sees the courses they teach and nothing else (access.backoffice asks
the access policy for every row, choice and permission); superusers see all.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from access import policy
from access.backoffice import CourseScopedAdmin, CourseScopedHistoryAdmin, CourseScopedInline
from accounts.invitations import invitations_resend
from accounts.models import Role, User, name_sort_keys
from accounts.throttle import (
    course_message_throttle,
    enroll_throttle,
    sent_first,
    subject_of_user,
)
from coursesite.admin_forms import (
    ChoiceMessagesMixin,
    InlineRowsMixin,
    KeptWorkFormSet,
    NewRowsLastFormSet,
)
from coursesite.converters import page_number, parse_id, search_text
from coursesite.csvexport import CsvResponse
from coursesite.dates import csv_time
from coursesite.locks import lock_rows
from coursesite.ordering import next_order
from coursesite.wording import counted
from practice import syntax as practice_syntax
from practice.models import Attempt, ExerciseAttempt
from practice.services import (
    answered_blocks_refusal,
    answered_blocks_taken_out,
    lesson_practice_sync,
)

from .bundle import QUIZ_WITHOUT_QUESTIONS
from .models import (
    Course,
    Enrollment,
    Lesson,
    LessonAttachment,
    LessonCompletion,
    Module,
    content_changed,
)
from .services import (
    REPORT_ORDERS,
    course_copy,
    course_message_send,
    course_progress_report,
    course_report_students,
    enrollment_create,
    enrollments_notify,
    enrollments_reclaim,
    enrollments_removed,
    last_instructor_refusals,
    lesson_images_point_at_files,
    lesson_move,
    lesson_practice_checked,
    module_move,
    refuse_if_last_instructor,
    refuse_if_unconfirmed_elsewhere,
    roster_import,
    roster_parse,
)
from .signals import (
    course_hidden_consequences,
    removal_consequences,
    role_change_consequences,
)


class OutlineChangesMixin:
    """Move the content version of the courses whose outline a bulk write changed.

    ``QuerySet.update()`` and ``delete()`` skip the models' save() and delete(), which
    do it for single rows (lessons/outline.py keeps outlines under that version).
    """

    course_path = "course_id"  # from this admin's model to its course

    def outline_courses(self, queryset) -> list[int]:
        return list(queryset.values_list(self.course_path, flat=True).distinct())

    def delete_queryset(self, request, queryset) -> None:
        courses = self.outline_courses(queryset)
        super().delete_queryset(request, queryset)
        content_changed(courses)


def students_work_note(obj: Module | Lesson) -> str:
    """Say what of its students' work deleting OBJ (a module or lesson) takes, or ""."""
    lesson = "lesson" if isinstance(obj, Lesson) else "lesson__module"
    answers = Attempt.objects.filter(**{f"question__{lesson}": obj})
    tries = ExerciseAttempt.objects.filter(**{f"exercise__{lesson}": obj})
    completions = LessonCompletion.objects.filter(**{lesson: obj})
    counts = [
        (answers.count(), "answer to its questions", "answers to its questions"),
        (tries.count(), "try at its exercises", "tries at its exercises"),
        (completions.count(), "lesson marked complete", "lessons marked complete"),
    ]
    said = [counted(n, one, many) for n, one, many in counts if n]
    if not said:
        return ""
    students = (
        set(answers.values_list("user_id", flat=True).distinct())
        | set(tries.values_list("user_id", flat=True).distinct())
        | set(completions.values_list("user_id", flat=True).distinct())
    )
    return (
        f"Deleting “{obj}” deletes the work of {counted(len(students), 'student')} with it: "
        f"{', '.join(said)}. To hide it from students and keep their work, unpublish it "
        "instead."
    )


# A finished run is closed by unpublishing it: said what students keep (probe 88: the
# page said only "changed successfully").
CLOSED_RUN = _(
    "%(course)s is hidden from its students: their released marks and feedback stay "
    "readable, and its key enrolls no one. Publish it again to reopen it."
)


def drafts_around(model, ids: list[int]) -> str:
    """Say what stays a draft around the courses, modules or lessons IDS of MODEL, just
    published, so that students see nothing of it ("" when nothing does)."""
    said = []

    def drafts(count: int, noun: str, of: str) -> None:
        if count:
            verb = "is still a draft" if count == 1 else "are still drafts"
            said.append(f"{counted(count, noun)} {of} {verb}.")

    them = "it" if len(ids) == 1 else "them"
    if model is Course:
        drafts(
            Module.objects.filter(course__in=ids, is_published=False).count(),
            "module",
            f"of {them}",
        )
        drafts(
            Lesson.objects.filter(module__course__in=ids, is_published=False).count(),
            "lesson",
            f"of {them}",
        )
        # A copied run's projects stay drafts (probe 106: published, with no project).
        projects = Course.objects.filter(pk__in=ids).aggregate(
            n=Count("projects", filter=Q(projects__is_published=False))
        )["n"]
        drafts(projects, "project", f"of {them}")
    elif model is Module:
        courses = Course.objects.filter(modules__in=ids, is_published=False).distinct()
        drafts(courses.count(), "course", f"holding {them}")
        drafts(
            Lesson.objects.filter(module__in=ids, is_published=False).count(),
            "lesson",
            f"of {them}",
        )
    elif model is Lesson:
        hidden = Lesson.objects.filter(pk__in=ids).filter(
            Q(module__is_published=False) | Q(module__course__is_published=False)
        )
        if count := hidden.count():
            verb = "is" if count == 1 else "are"
            said.append(f"{counted(count, 'lesson')} {verb} in a module or course still a draft.")
    return " ".join(said)


def hidden_consequences(model, ids: list[int]) -> list[str]:
    """What unpublishing the courses, modules or lessons IDS of MODEL takes from students,
    in sentences for the teacher (probe 124: "changed successfully" alone)."""
    if model is Course:
        return [
            note
            for _receiver, notes in course_hidden_consequences.send(sender=Course, course_ids=ids)
            for note in notes or ()
        ]
    lessons = Lesson.objects.filter(module__course__is_published=True)
    if model is Module:
        lessons = lessons.filter(module_id__in=ids, is_published=True)
    else:
        lessons = lessons.filter(pk__in=ids, module__is_published=True)
    # Students' only: an instructor trying the lessons is no one's progress (probe 127).
    completions = LessonCompletion.objects.filter(
        lesson__in=lessons,
        user__enrollments__course=F("lesson__module__course"),
        user__enrollments__role=Role.STUDENT,
    )
    done = completions.count()
    if not done:
        return []
    students = completions.values("user_id").distinct().count()
    return [
        f"{counted(students, 'student')} had marked {counted(done, 'lesson')} of it complete: "
        "they stop counting in their progress while it is hidden, and count again once it "
        "is published."
    ]


class PublishActionsMixin(OutlineChangesMixin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_published" in form.changed_data and not obj.is_published:
            for note in hidden_consequences(self.model, [obj.pk]):
                self.message_user(request, note, messages.WARNING)

    def _counted(self, count: int) -> str:
        """ "1 lesson", "3 modules": the model's own names."""
        meta = self.model._meta
        return f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"

    @admin.action(description=_("Publish the selected items"), permissions=["change"])
    def publish(self, request, queryset):
        courses = self.outline_courses(queryset)
        ids = list(queryset.values_list("pk", flat=True))
        count = queryset.update(is_published=True)
        content_changed(courses)
        said = f"{self._counted(count)} published."
        # Students see a lesson only when it, its module and its course are published:
        # "1 course published." left the modules and lessons drafts, unsaid (probe 83).
        if hidden := drafts_around(self.model, ids):
            self.message_user(
                request, f"{said} Students do not see it all yet: {hidden}", messages.WARNING
            )
        else:
            self.message_user(request, said, messages.SUCCESS)

    @admin.action(
        description=_("Unpublish the selected items (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        courses = self.outline_courses(queryset)
        shown = list(queryset.filter(is_published=True).values_list("pk", flat=True))
        # Counted while still published: what students lose.
        lost = hidden_consequences(self.model, shown) if shown else []
        count = queryset.update(is_published=False)
        content_changed(courses)
        said = (
            f"{self._counted(count)} {'is a draft' if count == 1 else 'are drafts'} again; "
            f"students no longer see {'it' if count == 1 else 'them'}."
        )
        if self.model is Course:  # closing finished runs (CLOSED_RUN)
            keys = "its key enrolls" if count == 1 else "their keys enroll"
            said += (
                f" Their students' released marks and feedback stay readable, and {keys} "
                "no one; publish again to reopen."
            )
        self.message_user(request, said, messages.SUCCESS)
        for note in lost:
            self.message_user(request, note, messages.WARNING)


class OrderedChangelistMixin:
    """Renumber siblings 1..n after the changelist's editable "order" column is saved.

    Renumbering once after all rows are saved (not row by row) keeps the order the
    instructor typed; ties are broken by creation order, so orders never collide.
    """

    parent_field: str

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # Only after a save went through (it redirects), and only among the rows this
        # user's list holds: a posted id of another course renumbers nothing.
        if request.method == "POST" and "_save" in request.POST and response.status_code == 302:
            ids = [value for key, value in request.POST.items() if key.endswith("-id") and value]
            for parent in self._parents(request, ids):
                self._renumber(parent)
        return response

    def save_model(self, request, obj, form, change):
        if not change and not obj.order:
            # Added with the order left at 0, it came first among its siblings.
            parent = f"{self.parent_field}_id"
            obj.order = next_order(type(obj), **{parent: getattr(obj, parent)})
        super().save_model(request, obj, form, change)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if obj is not None and (said := students_work_note(obj)):
            # Django's page lists the answers row by row among the rest: said first, in
            # words, as the lesson's save asks before its answers go (probe 83).
            messages.warning(request, said)
        return super().delete_view(request, object_id, extra_context)

    # Deleting leaves a gap ("2. Introduction to Flask" first): the rest close up.
    def delete_model(self, request, obj) -> None:
        parent = getattr(obj, self.parent_field)
        super().delete_model(request, obj)
        self._renumber(parent)

    def delete_queryset(self, request, queryset) -> None:
        parents = {
            getattr(obj, self.parent_field) for obj in queryset.select_related(self.parent_field)
        }
        super().delete_queryset(request, queryset)
        for parent in parents:
            self._renumber(parent)

    def _parents(self, request, ids: list[str]) -> set:
        pks = [pk for pk in map(parse_id, ids) if pk is not None]  # "²", 2**70: none
        objects = self.get_queryset(request).filter(pk__in=pks)
        return {
            getattr(obj, self.parent_field) for obj in objects.select_related(self.parent_field)
        }


# Students per page of a course's progress report.
REPORT_PAGE_SIZE = 100
DELETE_ON_ITS_PAGE = _("delete it from its own page, which lists what goes with it.")


class ModuleFormSet(NewRowsLastFormSet, KeptWorkFormSet):
    """A course's modules: an empty one may be deleted here, not one holding lessons."""

    def clean(self) -> None:
        super().clean()
        # The slug's constraint is conditional (blank slugs repeat), so Django's formset
        # does not compare the rows of one save: two rows with one slug reached the
        # database, and the page said another person had changed it (probe 96).
        first_with: dict[str, int] = {}
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None) or {}
            slug = data.get("slug")
            if not slug or data.get("DELETE"):
                continue
            if slug in first_with:
                form.add_error(
                    "slug",
                    ValidationError(
                        _("Row %(row)d of this page has this slug too: give each module its own.")
                        % {"row": first_with[slug] + 1},
                        code="duplicate_slug",
                    ),
                )
            else:
                first_with[slug] = index

    def deletion_refusal(self, obj: Module) -> str | None:
        count = obj.lessons.count()
        if not count:
            return None
        return ngettext(
            "Module %(order)s has %(count)d lesson: %(then)s",
            "Module %(order)s has %(count)d lessons: %(then)s",
            count,
        ) % {"order": obj.order, "count": count, "then": DELETE_ON_ITS_PAGE}


class ModuleInline(CourseScopedInline, admin.TabularInline):
    model = Module
    formset = ModuleFormSet
    fields = ("order", "title", "slug", "is_published")
    prepopulated_fields = {"slug": ("title",)}
    extra = 0
    show_change_link = True
    ordering = ("order", "pk")


KEYS_COUNTED = "course_form_keys_counted"


class CourseAdminForm(forms.ModelForm):
    """The course form, counting the keys typed in it.

    "Another course has this key" confirms a guess: typed here without limit, any
    instructor could find other courses' hand-chosen keys. Every new key typed is
    counted with the wrong keys of the enrollment page (``enroll_throttle``, per
    account), whether another course has it or not: counting only the keys found taken
    left the misses free, and a dictionary tried until its first hit (probe 94).
    """

    guesser = ""  # the account typing (CourseAdmin.get_form)
    session = None  # its session (the same)

    def clean_enrollment_key(self):
        key = self.cleaned_data.get("enrollment_key")
        if not key or key == self.instance.enrollment_key:
            return key
        # Once per key (in any capitals, as keys compare): the form sent again after
        # another field's error, or the add form's generated key, is no new guess (probe
        # 97: each sending counted again). The session keeps the last few counted.
        tried = self.session.setdefault(KEYS_COUNTED, []) if self.session is not None else []
        digest = hashlib.sha256(key.casefold().encode()).hexdigest()[:20]
        if digest in tried:
            return key
        if not enroll_throttle.allows(self.guesser):
            raise ValidationError(
                _("Too many keys tried: wait %(wait)s, then try again.")
                % {"wait": enroll_throttle.wait}
            )
        tried.append(digest)
        del tried[:-50]
        if self.session is not None:
            self.session.modified = True
        return key


@admin.register(Course)
class CourseAdmin(InlineRowsMixin, PublishActionsMixin, CourseScopedHistoryAdmin):
    course_path = "pk"
    form = CourseAdminForm
    list_display = (
        "title",
        "code",
        "term",
        "is_published",
        "module_count",
        "student_count",
        "report_link",
    )
    list_filter = ("is_published", "term")
    search_fields = ("title", "code", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = (ModuleInline,)
    actions = ("publish", "unpublish", "rotate_keys")
    fieldsets = (
        (None, {"fields": ("title", "slug", "code", "term", "is_published")}),
        (_("Description (Markdown)"), {"fields": ("summary", "objectives", "prerequisites")}),
        (_("Self-enrollment"), {"fields": ("enrollment_key",)}),
    )

    def get_queryset(self, request):
        # Correlated subqueries, not JOIN + COUNT(DISTINCT): joining modules and
        # enrollments multiplies their rows (modules x students), and every query of
        # the changelist (counts, the term filter) would carry that join.
        modules = Module.objects.filter(course=OuterRef("pk")).order_by().values("course")
        students = (
            Enrollment.objects.filter(course=OuterRef("pk"), role=Role.STUDENT)
            .order_by()
            .values("course")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                module_total=Coalesce(Subquery(modules.annotate(n=Count("pk")).values("n")), 0),
                student_total=Coalesce(Subquery(students.annotate(n=Count("pk")).values("n")), 0),
            )
        )

    @admin.display(description=_("modules"), ordering="module_total")
    def module_count(self, obj: Course) -> int:
        return obj.module_total

    @admin.display(description=_("students"), ordering="student_total")
    def student_count(self, obj: Course) -> int:
        return obj.student_total

    @admin.display(description=_("progress"))
    def report_link(self, obj: Course) -> str:
        url = reverse("admin:lessons_course_progress", args=[obj.pk])
        # Named with its course for a screen reader's list of links (probe 109: "Report"
        # in each row).
        return format_html(
            '<a href="{}">Report<span class="visually-hidden"> on the progress in {}</span></a>',
            url,
            obj,
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        typing = {"guesser": subject_of_user(request.user), "session": request.session}
        return type(form.__name__, (form,), typing)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_published" in form.changed_data and not obj.is_published:
            # Unticked at the end of a run: said what it does, as the action says it.
            messages.info(request, CLOSED_RUN % {"course": obj})
        if not change and not policy.is_superuser(request.user):
            # Otherwise the course would vanish from its author's back office.
            enrollment_create(user=request.user, course=obj, role=Role.INSTRUCTOR)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        course = form.instance
        course.renumber_modules()
        # New modules are drafts: a first course published with all of them so showed its
        # students nothing, and the page said only "changed successfully" (probe 44).
        modules = course.modules.values_list("is_published", flat=True)
        if course.is_published and modules and not any(modules):
            messages.warning(
                request,
                _(
                    "“%(course)s” is published, but all its modules are drafts, so its "
                    "students see no lesson yet. Tick “Published” on the modules (and on "
                    "their lessons) that students may follow."
                )
                % {"course": course},
            )
        elif course.is_published and "is_published" in form.changed_data:
            # Ticked: what stays a draft once the page's modules are saved too, as the
            # publish action says it (probes 106, 108).
            if hidden := drafts_around(Course, [course.pk]):
                messages.warning(request, f"Students do not see it all yet: {hidden}")

    @admin.action(description=_("Rotate the enrollment key (stops sign-ups with the old one)"))
    def rotate_keys(self, request, queryset):
        for course in queryset:
            course.rotate_enrollment_key()
            self.message_user(
                request,
                f"New enrollment key for {course}: {course.enrollment_key}",
                messages.SUCCESS,
            )

    # Progress report and copy ----------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:pk>/copy/", view(self.copy_view), name="lessons_course_copy"),
            path("<id:pk>/progress/", view(self.progress_view), name="lessons_course_progress"),
            path(
                "<id:pk>/progress.csv",
                view(self.progress_csv_view),
                name="lessons_course_progress_csv",
            ),
            *super().get_urls(),
        ]

    def _report_course(self, request, pk: int) -> Course:
        # Only the course's instructors (and superusers) read its report.
        return policy.get_or_refuse(request.user, policy.TEACH, Course.objects, pk=pk)

    def copy_view(self, request, pk: int) -> HttpResponse:
        """Copy the course for a new run (lessons.services.course_copy)."""
        course = self._report_course(request, pk)
        initial = {"title": course.title, "slug": f"{course.slug}-next", "term": ""}
        form = CourseCopyForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            # Copied twice, two runs read alike in every list and choice (probe 106), also
            # with a space or a dash typed otherwise (probe 107).
            wanted = (_as_read(data["title"]), _as_read(data["term"]))
            twin = next(
                (
                    other
                    for other in policy.scope(request.user, policy.TEACH, Course.objects).only(
                        "title", "term", "slug"
                    )
                    if (_as_read(other.title), _as_read(other.term)) == wanted
                ),
                None,
            )
            if twin is not None:
                form.add_error(
                    "term",
                    _(
                        "“%(course)s” exists already (at /courses/%(slug)s/): give this run "
                        "another term or title, or open that one."
                    )
                    % {"course": twin, "slug": twin.slug},
                )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                report = course_copy(
                    course=course,
                    by=request.user,
                    title=data["title"],
                    slug=data["slug"],
                    term=data["term"],
                    shift=timedelta(weeks=data["shift_weeks"]),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                copy = report.course
                projects = copy.projects.count()
                self.message_user(
                    request,
                    f"{course} is copied as {copy}: "
                    + ngettext("%(n)d module", "%(n)d modules", report.modules)
                    % {"n": report.modules}
                    + ", "
                    + ngettext("%(n)d lesson", "%(n)d lessons", report.lessons)
                    % {"n": report.lessons}
                    + ", "
                    + ngettext("%(n)d project", "%(n)d projects", projects) % {"n": projects}
                    + ", with a new enrollment key and nobody enrolled but you. It is "
                    "unpublished: check the projects' dates, then publish it.",
                    messages.SUCCESS,
                )
                for note in report.notes:
                    self.message_user(request, note, messages.WARNING)
                passed = list(
                    copy.projects.filter(due_at__lte=timezone.now()).values_list("title", flat=True)
                )
                if passed:
                    # Moved by too few weeks (probe 106: said only once published).
                    self.message_user(
                        request,
                        ngettext(
                            "The deadline of the copied project %(names)s has already passed: "
                            "move it on its page before publishing it.",
                            "The deadlines of the copied projects %(names)s have already "
                            "passed: move them on their pages before publishing them.",
                            len(passed),
                        )
                        % {"names": ", ".join(f"“{name}”" for name in passed)},
                        messages.WARNING,
                    )
                return redirect("admin:lessons_course_change", copy.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Copy {course} for a new run",
            "course": course,
            "form": form,
        }
        return TemplateResponse(request, "admin/lessons/course/copy.html", context)

    def progress_view(self, request, pk: int) -> TemplateResponse:
        course = self._report_course(request, pk)
        # A page of students at a time, found by name (probe 50: 5,034 rows, 2.3 MB).
        search = search_text(request.GET.get("q"))
        order = _report_order(request)
        students = course_report_students(course, search=search, order=order)
        page = Paginator(students, REPORT_PAGE_SIZE).get_page(page_number(request.GET.get("page")))
        modules, rows = course_progress_report(course=course, students=page.object_list)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Progress report: {course}",
            "course": course,
            "modules": modules,
            "rows": rows,
            "page": page,
            "search": search,
            "order": order,
            "orders": REPORT_ORDERS,
        }
        return TemplateResponse(request, "admin/lessons/course/progress.html", context)

    def progress_csv_view(self, request, pk: int) -> HttpResponse:
        course = self._report_course(request, pk)
        # Every student, in the order the page was sorted in (probe 105: by name always).
        students = course_report_students(course, order=_report_order(request))
        modules, rows = course_progress_report(course=course, students=students)
        response = CsvResponse(f"progress-{slugify(course.slug)}.csv")
        writer = response.writer
        writer.writerow(
            [
                "Student",
                "Username",
                "Email",
                *[f"{m.order}. {m.title} (%)" for m in modules],
                "Overall (%)",
                # Two numbers, not "4/76", which spreadsheets read as a date (probe 101).
                "Quiz questions right",
                "Quiz questions",
                "Last work",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    str(row.user),
                    row.user.username,
                    row.user.email,
                    *[cell.percent for cell in row.modules],
                    row.overall.percent,
                    row.quiz.done,
                    row.quiz.total,
                    csv_time(row.last_work),
                ]
            )
        return response


def _as_read(text: str) -> str:
    """TEXT as it reads in a list: "2025 – 2026", "2025-2026", "２０２５-2026" and
    "2025  -2026" alike, and "Café" however its accent was typed (probe 108)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")  # zero-width
    text = re.sub(r"\s*[-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]\s*", "-", text)
    return " ".join(text.split()).casefold()


def _report_order(request: HttpRequest) -> str:
    """The progress report's order the link asks for; by name for an old or mistyped one."""
    order = request.GET.get("o")
    return order if order in REPORT_ORDERS else "name"


class LessonFormSet(NewRowsLastFormSet, KeptWorkFormSet):
    """A module's lessons: one nobody worked on may be deleted here, not one with
    students' completions, quiz answers or exercise attempts."""

    def deletion_refusal(self, obj: Lesson) -> str | None:
        work = (
            LessonCompletion.objects.filter(lesson=obj).count()
            + Attempt.objects.filter(question__lesson=obj).count()
            + ExerciseAttempt.objects.filter(exercise__lesson=obj).count()
        )
        if not work:
            return None
        return ngettext(
            "Lesson “%(lesson)s” holds %(count)d record of students' work (completions, "
            "quiz answers, exercise attempts): %(then)s",
            "Lesson “%(lesson)s” holds %(count)d records of students' work (completions, "
            "quiz answers, exercise attempts): %(then)s",
            work,
        ) % {"lesson": obj.title, "count": work, "then": DELETE_ON_ITS_PAGE}


class LessonInline(CourseScopedInline, admin.TabularInline):
    model = Lesson
    formset = LessonFormSet
    fields = ("order", "title", "slug", "estimated_minutes", "is_published")
    prepopulated_fields = {"slug": ("title",)}
    extra = 0
    show_change_link = True
    ordering = ("order", "pk")


class MoveActionsMixin:
    def _move(self, request, queryset, step: int) -> None:
        # Move the row nearest the destination first so a block keeps its shape.
        items = sorted(queryset, key=lambda obj: obj.order, reverse=step > 0)
        for obj in items:
            self.move_one(obj, step)
        self.message_user(
            request,
            ngettext("Moved %(n)d item.", "Moved %(n)d items.", len(items)) % {"n": len(items)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Move the selected items up one place"), permissions=["change"])
    def move_up(self, request, queryset):
        self._move(request, queryset, -1)

    @admin.action(description=_("Move the selected items down one place"), permissions=["change"])
    def move_down(self, request, queryset):
        self._move(request, queryset, 1)


@admin.register(Module)
class ModuleAdmin(
    InlineRowsMixin,
    ChoiceMessagesMixin,
    OrderedChangelistMixin,
    MoveActionsMixin,
    PublishActionsMixin,
    CourseScopedHistoryAdmin,
):
    parent_field = "course"
    list_display = ("title", "course", "order", "is_published", "lesson_count")
    list_display_links = ("title",)
    list_editable = ("order", "is_published")
    # RelatedOnly: the filter lists the user's courses, not every course's title.
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "is_published")
    list_select_related = ("course",)
    search_fields = ("title", "summary", "course__title")
    ordering = ("course", "order", "pk")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("course", "title", "slug", "order", "is_published", "summary")
    inlines = (LessonInline,)
    actions = ("publish", "unpublish", "move_up", "move_down")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A module stays in its course, as a project does (probe 59: moved to another
        # course one teaches, its lessons took the students' progress and answers to
        # that course's staff). The next run gets its own copy ("Copy for a new run").
        return fields if obj is None else (*fields, "course")

    @admin.display(description=_("lessons"), ordering="lesson_total")
    def lesson_count(self, obj: Module) -> int:
        return obj.lesson_total

    def move_one(self, obj: Module, step: int) -> None:
        module_move(module=obj, step=step)

    def _renumber(self, course: Course) -> None:
        course.renumber_modules()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.renumber_lessons()


# Files a browser shows as an image (CSP: from the site only, as attachments are).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif")


class LessonAttachmentInline(CourseScopedInline, admin.TabularInline):
    model = LessonAttachment
    fields = ("order", "title", "file", "in_the_text")
    readonly_fields = ("in_the_text",)
    extra = 0

    @admin.display(description=_("in the lesson's text"))
    def in_the_text(self, obj: LessonAttachment) -> str:
        # What to write to show it (probe 83: nothing said how to put an image in a
        # lesson, and the file's address showed nowhere here).
        if obj.pk is None:
            return "—"
        # Its name, not its number: the name travels with a copy or an export.
        shown = "!" if obj.filename.lower().endswith(IMAGE_SUFFIXES) else ""
        title = obj.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return format_html("<code>{}</code>", f"{shown}[{title}]({obj.filename})")


class LessonAdminForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = (
            "module",
            "title",
            "slug",
            "order",
            "estimated_minutes",
            "is_published",
            "quiz_required",
            "quiz_pass_mark",
            "quiz_max_tries",
            "body",
        )
        widgets = {
            "body": forms.Textarea(attrs={"rows": 28, "cols": 100, "class": "vLargeTextField"})
        }
        help_texts = {
            "body": _(
                "Markdown: fenced code blocks (```python), tables and ## headings. Images and "
                "files: attach the file below and write ![what it shows](its-name.png) or "
                "[the slides](slides.pdf). Quiz "
                "questions and exercises are ```question and ```exercise blocks of YAML; "
                "they are shown as forms below the lesson. Rendered and sanitised when saved."
            )
        }

    drop_work = forms.BooleanField(
        required=False,
        label=_("Delete students' answers to the questions taken out"),
        help_text=_(
            "Needed only when a quiz question or exercise that students answered is no "
            "longer in the text (its block removed, or its id changed)."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        module = self.fields.get("module")
        if module is not None and self.instance.pk is not None:
            # A lesson moves between its course's modules only: its completions and
            # answers are its course's students' (probe 59: moved to another course one
            # teaches, they went to that course's staff).
            course = self.instance.module.course
            module.queryset = module.queryset.filter(course_id=course.pk)
            module.error_messages["invalid_choice"] = _(
                "A lesson stays in its course: choose one of the modules of “%(course)s”."
            ) % {"course": str(course).replace("%", "%%")}  # formatted again with the value
        # Left empty (or absent from a scripted post), the pass mark keeps its default.
        self.fields["quiz_pass_mark"].required = False
        if "body" in self.fields:
            # A first-time author had to guess the blocks' keys (probe 44).
            body = self.fields["body"]
            body.help_text = format_html(
                "{} <details><summary>{}</summary><p>{}</p><pre>{}</pre></details>",
                body.help_text,
                _("Example of a question and an exercise"),
                _(
                    "A question's kind is single or multiple (choices), number (answer, "
                    "tolerance), text (answers) or output (code, output). Texts are read "
                    "as typed. A block holding a ``` fence of its own opens and closes "
                    "with four backticks."
                ),
                practice_syntax.EXAMPLE,
            )

    def clean(self):
        cleaned = super().clean()
        practice = getattr(self, "practice", None)
        if practice is not None and cleaned.get("quiz_required") and not practice.questions:
            self.add_error("quiz_required", QUIZ_WITHOUT_QUESTIONS)
        if practice is not None and self.instance.pk and not cleaned.get("drop_work"):
            # Saving deletes a block taken out of the text with its answers: asked first
            # (probe 34: a renamed id took a student's answers, said only after saving).
            lost = answered_blocks_taken_out(self.instance, practice)
            if lost:
                tick = (
                    "tick “Delete students' answers to the questions taken out” below and "
                    "save again"
                )
                self.add_error("body", answered_blocks_refusal(lost, to_delete=tick))
        return cleaned

    def clean_quiz_pass_mark(self) -> int:
        value = self.cleaned_data.get("quiz_pass_mark")
        if value is None:
            return self.instance.quiz_pass_mark or Lesson._meta.get_field("quiz_pass_mark").default
        return value

    def clean_body(self) -> str:
        # The questions and exercises are checked with the form, so a broken block is
        # a form error naming its line, and the lesson is not saved half-updated.
        body = self.cleaned_data["body"]
        self.practice = lesson_practice_checked(body)
        return body


@admin.register(Lesson)
class LessonAdmin(
    InlineRowsMixin,
    ChoiceMessagesMixin,
    OrderedChangelistMixin,
    MoveActionsMixin,
    PublishActionsMixin,
    CourseScopedHistoryAdmin,
):
    course_path = "module__course_id"
    parent_field = "module"
    form = LessonAdminForm
    list_display = (
        "title",
        "module",
        "course",
        "order",
        "is_published",
        "estimated_minutes",
        "updated_at",
        "preview_link",
    )
    list_display_links = ("title",)
    list_editable = ("order", "is_published")
    list_filter = (
        ("module__course", admin.RelatedOnlyFieldListFilter),
        "is_published",
        ("module", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("module__course",)
    search_fields = ("title", "slug", "body")
    ordering = ("module__course", "module__order", "order", "pk")
    prepopulated_fields = {"slug": ("title",)}
    inlines = (LessonAttachmentInline,)
    actions = ("publish", "unpublish", "move_up", "move_down")

    @admin.display(description=_("course"), ordering="module__course__title")
    def course(self, obj: Lesson) -> Course:
        return obj.module.course

    @admin.display(description=_("preview"))
    def preview_link(self, obj: Lesson) -> str:
        # Instructors see drafts on the site with a "Draft" badge; students get 404.
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">View on site</a>', obj.get_absolute_url()
        )

    def move_one(self, obj: Lesson, step: int) -> None:
        lesson_move(lesson=obj, step=step)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # In the admin's transaction: the lesson and its questions are saved together.
        report = lesson_practice_sync(lesson=obj, practice=getattr(form, "practice", None))
        # Answers marked again by a corrected key, or deleted with a removed block.
        for notice in report.notices:
            self.message_user(request, notice, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The files are saved after the text: its images written with a file's name
        # point at that file now (and one taken away is said).
        files_changed = any(
            formset.model is LessonAttachment and formset.has_changed() for formset in formsets
        )
        for problem in lesson_images_point_at_files(form.instance, files_changed=files_changed):
            self.message_user(request, problem, messages.WARNING)

    def _renumber(self, module: Module) -> None:
        module.renumber_lessons()


# A course's new run ---------------------------------------------------------------
class CourseCopyForm(forms.ModelForm):
    """The new run's names; the model's own checks refuse a slug already in use."""

    shift_weeks = forms.IntegerField(
        label=_("Move the projects' dates by (weeks)"),
        min_value=0,
        max_value=520,
        initial=52,
        help_text=_(
            "Opening and due dates of the copied projects, later by this many weeks: whole "
            "weeks keep each date on its weekday, so 52 weeks lands one calendar day earlier "
            "than a year later (two across 29 February)."
        ),
    )

    class Meta:
        model = Course
        fields = ("title", "slug", "term")
        help_texts = {
            "title": _("As students will see it; it may stay the same as this run's."),
            "slug": _(
                "The new run's address, /courses/<slug>/: lowercase letters, digits and "
                "hyphens, not used by another course. Students of this run keep theirs."
            ),
            "term": _("The new run's term, such as 2025-2026."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term"].required = True


# Enrollments and rosters --------------------------------------------------------
class RosterImportForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label=_("Course"))
    file = forms.FileField(
        label=_("Roster (CSV)"),
        help_text=_("UTF-8 CSV with a header line naming the columns email, name, role."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = policy.scope(user, policy.TEACH, Course.objects)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 2 MB; is it really a roster?"))
        self.rows = roster_parse(upload.read())
        if not self.rows:
            raise ValidationError(_("The file has a header but no rows."))
        return upload


class CourseMessageForm(forms.Form):
    """A message an instructor emails to people of their courses (plain text)."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        help_text=_("Sent after the course's code (or its title) in brackets."),
        error_messages={"required": _("Give the message a subject.")},
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=_(
            "Plain text, as typed (no formatting). Each person gets their own email; "
            "their answers come to your address."
        ),
        error_messages={"required": _("Write the message first.")},
    )

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError(_("Give the message a subject."))
        return subject

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError(_("Write the message first."))
        return message


# The most people one message goes to at once (a course of 5,000 is two messages).
MESSAGE_MAX_PEOPLE = 5000


def _people_count(sender: User, enrollments) -> int:
    return enrollments.exclude(user=sender).values("user").distinct().count()


def _message_recipients(sender: User, enrollments) -> list[Enrollment]:
    """ENROLLMENTS as the people a message goes to: one row per person (the first of their
    courses by title: one selected in two courses was emailed twice), not the sender."""
    rows = enrollments.select_related("user", "course").order_by(
        "course__title", "course__term", *name_sort_keys("user__")
    )
    people: dict[int, Enrollment] = {}
    for row in rows.exclude(user=sender)[:MESSAGE_MAX_PEOPLE]:
        people.setdefault(row.user_id, row)
    return list(people.values())


class EnrollmentChangeList(ChangeList):
    # The list shows titles: do not load each row's lesson text, course texts and
    # password hash (the database sorts every enrollment's row to find a page).
    deferred = (
        "user__password",
        *(
            f"course__{name}{suffix}"
            for name in ("summary", "objectives", "prerequisites")
            for suffix in ("", "_html")
        ),
        *(f"last_lesson__{name}" for name in ("body", "body_html", "toc_html", "body_text")),
    )

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*self.deferred)


class EnrollmentAdminForm(forms.ModelForm):
    acting_user = None  # who saves it (EnrollmentAdmin.get_form)

    # The person list holds the people of one's courses only: someone with an account in
    # none of them (a student of last year's course) is found by the address their
    # account uses (probe 96: only a roster of one line worked). New enrollments only.
    email = forms.EmailField(
        required=False,
        label=_("or their email address"),
        help_text=_(
            "Someone who has an account but is in none of your courses: the address their "
            "account uses. For someone without an account, use Users → Add, which emails "
            "them an invitation."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None or "user" not in self.fields:
            self.fields.pop("email", None)
            return
        self.fields["user"].required = False
        self.fields["user"].help_text = _("Someone in one of your courses.")

    def clean(self):
        cleaned = super().clean()
        before = self.instance  # the saved values: the form sets the new ones after clean()
        if "email" in self.fields and not self.has_error("email"):
            self._person_by_email(cleaned)
        user, course = cleaned.get("user"), cleaned.get("course")
        if not before.pk and user and course:
            try:  # saving would reclaim it (save_model): not from another's course
                refuse_if_unconfirmed_elsewhere(user, course, by=self.acting_user)
            except ValidationError as exc:
                self.add_error("user", exc)
        if before.pk and before.role == Role.INSTRUCTOR:
            moved = cleaned.get("course") not in (None, before.course)
            if cleaned.get("role") not in (None, Role.INSTRUCTOR) or moved:
                refuse_if_last_instructor(before)
        return cleaned

    def _person_by_email(self, cleaned: dict) -> None:
        """Take the person of the address typed as the enrollment's, said if none or both."""
        user, email = cleaned.get("user"), cleaned.get("email")
        if user and email:
            self.add_error("email", _("Choose the person or type an address, not both."))
        elif not user and not email:
            self.add_error("user", _("Choose the person, or type their email address below."))
        elif email:
            try:
                cleaned["user"] = User.objects.get_by_login(email)
            except User.DoesNotExist:
                self.add_error(
                    "email",
                    _(
                        "No account uses this address: add the person with Users → Add, "
                        "which emails them an invitation."
                    ),
                )


@admin.register(Enrollment)
class EnrollmentAdmin(ChoiceMessagesMixin, CourseScopedAdmin):
    form = EnrollmentAdminForm
    # By course, role and name, for people (the model's own order avoids those joins).
    ordering = ("course", "role", "user__username")
    # One COUNT per page view, not two ("x results (y total)" counts every row again).
    show_full_result_count = False
    list_display = ("user", "user_email", "course", "role", "created_at", "last_lesson")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "role")
    list_select_related = ("user", "course", "last_lesson")
    search_fields = ("user__username", "user__email", "user__display_name", "course__title")
    autocomplete_fields = ("user",)
    readonly_fields = ("last_lesson", "created_at")
    fields = ("user", "course", "role", "last_lesson", "created_at")
    change_list_template = "admin/lessons/enrollment/change_list.html"

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:  # nothing read-only to show on an empty form; the address field
            return ("user", "email", "course", "role")
        return self.fields

    actions = ("email_people", "resend_invitation")

    @admin.display(description=_("email"), ordering="user__email")
    def user_email(self, obj: Enrollment) -> str:
        return obj.user.email

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return EnrollmentChangeList

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user})

    def save_model(self, request: HttpRequest, obj: Enrollment, form, change: bool) -> None:
        if not change:
            # The person's row first, as a roster import locks it before enrolling them:
            # enrolled first, then locked to be reclaimed, the two deadlocked (probe 98:
            # a 500 here, and the import saved nothing).
            lock_rows(User.objects.filter(pk=obj.user_id))
        was = form.initial.get("role") if change else None
        super().save_model(request, obj, form, change)
        if change and was and was != obj.role:
            for _receiver, notes in role_change_consequences.send(
                sender=Enrollment, enrollment=obj, was=was
            ):
                for note in notes or ():
                    self.message_user(request, note, messages.WARNING)
        if not change:
            if enrollments_reclaim([obj]):
                self.message_user(
                    request,
                    # The name too, said (probe 101: only the password was).
                    f"The address {obj.user.email} was never confirmed by its owner: the "
                    "account's password and name were cleared (whoever typed them is not "
                    "known to hold the address), and an invitation to choose a password is "
                    "emailed to it.",
                    messages.WARNING,
                )
            enrollments_notify([obj])  # the person hears of it once saved

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return self.readonly_fields
        # Only the role changes: moving an enrollment to another person or course took
        # someone out without the removal's record (they could rejoin with the key) and
        # handed the first person's history to the second. Remove, then enroll, instead.
        return ("user", "course", *self.readonly_fields)

    def lock_for_write(self, obj: Enrollment) -> None:
        # The course's row, as refuse_if_last_instructor does: two instructors removing
        # each other at once both passed the check below, and left the course with none.
        lock_rows(Course.objects.filter(pk=obj.course_id))
        super().lock_for_write(obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # The bulk action's confirmation: checked again under the courses' locks.
        with transaction.atomic():
            rows = list(queryset)
            courses = {row.course_id for row in rows}
            lock_rows(Course.objects.filter(pk__in=courses))
            _deleted, _counts, _perms, protected = self.get_deleted_objects(rows, request)
            if protected:
                raise ValidationError(protected)
            super().delete_queryset(request, queryset)
            enrollments_removed(rows)

    def delete_model(self, request: HttpRequest, obj: Enrollment) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            enrollments_removed([obj])

    def get_deleted_objects(self, objs, request):
        # A course keeps an instructor: the admin's delete pages (one row or the bulk
        # action) list the refusal as what protects the rows, and delete nothing.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected.extend(last_instructor_refusals(objs))
        # What the removal hides or strands, said before it is confirmed (probe 73: six
        # students' released marks vanished from their pages under "Enrollments: 6").
        rows = list(objs)
        request.removal_notes = [
            note
            for _receiver, notes in removal_consequences.send(sender=Enrollment, enrollments=rows)
            for note in notes or ()
        ]
        return deleted, counts, perms_needed, protected

    @admin.action(description=_("Email a message to the selected people"), permissions=["change"])
    def email_people(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Write a message to the selected people of one's courses, each emailed it alone,
        answers coming to the instructor (probe 101: no way to reach a student or a group
        from the back office). Sent by ``message_view``."""
        changelist = reverse("admin:lessons_enrollment_changelist")
        return self.message_page(request, queryset, back=request.get_full_path() or changelist)

    def message_page(
        self, request: HttpRequest, enrollments, *, back: str, form=None
    ) -> HttpResponse:
        """The message page for ENROLLMENTS (those of one's courses), or back to BACK with a
        warning when none of them can be emailed."""
        rows = _message_recipients(request.user, enrollments)
        reachable = [row for row in rows if row.user.is_active and row.user.email]
        if not reachable and form is None:
            self.message_user(
                request,
                _(
                    "Nobody among those selected can be emailed (yourself aside): each needs an "
                    "active account with an address."
                ),
                messages.WARNING,
            )
            return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Email a message"),
            "form": form or CourseMessageForm(),
            "rows": rows,
            "reachable": reachable,
            "unreachable": [row for row in rows if row not in reachable],
            # Said, not dropped unsaid (probe 109).
            "sender_selected": enrollments.filter(user=request.user).exists(),
            "courses": sorted({str(row.course) for row in rows}),
            # One field, not one per person: past Django's 1,000 fields a form is refused
            # whole, and the message typed lost (probe 107: 1,007 people selected).
            "people": ",".join(str(row.pk) for row in rows),
            # Past the most one message takes, said (probe 108: cut unsaid at 5,000).
            "beyond": max(0, _people_count(request.user, enrollments) - len(rows)),
            "most": MESSAGE_MAX_PEOPLE,
            "back": back,
            "reply_to": request.user.email,
            # Sent once whatever the clicks: the message goes with the first (probe 123).
            "sending": secrets.token_urlsafe(16),
        }
        return TemplateResponse(request, "admin/lessons/enrollment/email.html", context)

    def message_view(self, request: HttpRequest) -> HttpResponse:
        """Send the message written on ``message_page`` (POST), to the people it listed
        who are still in one's courses."""
        changelist = reverse("admin:lessons_enrollment_changelist")
        if request.method != "POST":
            return redirect(changelist)
        if not self.has_change_permission(request):
            raise PermissionDenied
        back = request.POST.get("back", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith(
            reverse("admin:index")
        ):
            back = changelist
        ids = [pk for pk in map(parse_id, request.POST.get("people", "").split(",")) if pk]
        enrollments = self.get_queryset(request).filter(pk__in=ids[:MESSAGE_MAX_PEOPLE])
        form = CourseMessageForm(request.POST)
        if not form.is_valid() or not request.user.email:
            if form.is_valid():
                form.add_error(
                    None,
                    _(
                        "Your account has no email address, so answers could not reach you: "
                        "add one to your profile first. Your message is kept here."
                    ),
                )
            return self.message_page(request, enrollments, back=back, form=form)
        rows = _message_recipients(request.user, enrollments)
        reachable = [row for row in rows if row.user.is_active and row.user.email]
        if not reachable:
            # Removed from one's courses since the page was read (or oneself from the
            # course): the message is kept, and the reason is the true one (probe 108).
            form.add_error(
                None,
                _(
                    "None of the people this message was for can be emailed now: removed from "
                    "your courses since this page was opened, or without an active account "
                    "with an address. Nothing was sent; your message is kept here."
                ),
            )
            return self.message_page(request, enrollments, back=back, form=form)
        if not course_message_throttle.allows(subject_of_user(request.user)):
            form.add_error(
                None,
                _(
                    "You have sent %(limit)d messages in the last %(wait)s: this one is kept "
                    "here, send it later."
                )
                % {"limit": course_message_throttle.limit, "wait": course_message_throttle.wait},
            )
            return self.message_page(request, enrollments, back=back, form=form)
        # The page's token and what is sent: the same message sent again from the page
        # (a double click) goes once; another written on it after Back goes too (probe
        # 127: "sent already" named a subject never sent).
        sending = request.POST.get("sending", "")
        written = hashlib.sha256(
            "\0".join(
                [form.cleaned_data["subject"], form.cleaned_data["message"], *map(str, ids)]
            ).encode()
        ).hexdigest()[:32]
        key = f"{request.user.pk}:{sending}:{written}"  # one's own page (probe 128)
        if sending and not sent_first("course-message", key, timedelta(days=1)):
            course_message_throttle.forgive(subject_of_user(request.user))
            self.message_user(
                request,
                _(
                    "“%(subject)s” was sent already, by the first click on Send: it went "
                    "once, and not again."
                )
                % {"subject": form.cleaned_data["subject"]},
                messages.INFO,
            )
            return redirect(back)
        told = course_message_send(
            by=request.user,
            enrollments=reachable,
            subject=form.cleaned_data["subject"],
            message=form.cleaned_data["message"],
        )
        left_out = len(rows) - len(told)
        gone = len(set(ids)) - len(rows)  # no longer in one's courses
        text = ngettext(
            "“%(subject)s” is being emailed to %(count)d person.",
            "“%(subject)s” is being emailed to %(count)d people.",
            len(told),
        ) % {"subject": form.cleaned_data["subject"], "count": len(told)}
        if left_out:
            text += " " + ngettext(
                "%(count)d selected person has no active account with an address, and was "
                "left out.",
                "%(count)d selected people have no active account with an address, and were "
                "left out.",
                left_out,
            ) % {"count": left_out}
        if gone > 0:
            text += " " + ngettext(
                "%(count)d person of the page is no longer in your courses, and was left out.",
                "%(count)d people of the page are no longer in your courses, and were left out.",
                gone,
            ) % {"count": gone}
        level = messages.WARNING if left_out or gone > 0 else messages.SUCCESS
        self.message_user(request, text, level)
        return redirect(back)

    @admin.action(
        description=_("Email the invitation again (to those without a password yet)"),
        permissions=["change"],
    )
    def resend_invitation(self, request: HttpRequest, queryset) -> None:
        # The rows are already those the user teaches; invitations_resend asks again.
        users = User.objects.filter(pk__in=queryset.values("user_id"))
        resend = invitations_resend(by=request.user, users=users)
        level = messages.SUCCESS if resend.complete else messages.WARNING
        self.message_user(request, resend.report(), level)

    def get_urls(self):
        return [
            path(
                "message/",
                self.admin_site.admin_view(self.message_view),
                name="lessons_enrollment_message",
            ),
            path(
                "import-roster/",
                self.admin_site.admin_view(self.import_roster_view),
                name="lessons_enrollment_import_roster",
            ),
            *super().get_urls(),
        ]

    def import_roster_view(self, request) -> TemplateResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        # Opened from a course's page, that course is chosen (when this user teaches it:
        # another id is no choice of the form's).
        initial = {"course": parse_id(request.GET.get("course", ""))}
        form = RosterImportForm(
            request.POST or None, request.FILES or None, user=request.user, initial=initial
        )
        results = None
        if request.method == "POST" and form.is_valid():
            course = form.cleaned_data["course"]
            results = roster_import(course=course, rows=form.rows, by=request.user)
            accepted = sum(1 for row in results if row.accepted)
            invited = sum(1 for row in results if row.invited)
            level = messages.SUCCESS if accepted == len(results) else messages.WARNING
            self.message_user(
                request,
                f"Roster for {course}: {accepted} row(s) accepted, "
                f"{len(results) - accepted} rejected, {invited} invited by email. "
                "Details below.",
                level,
            )
            if accepted and not course.is_published:
                # Last year's run chosen by mistake reads as this one (probe 106).
                self.message_user(
                    request,
                    f"{course} is not published: the people enrolled cannot open it until it "
                    "is. If the roster was meant for another run, remove them from this one "
                    "(Enrollments, filtered by course) and import it there.",
                    messages.WARNING,
                )
        elif request.method == "POST":
            self.message_user(
                request, "The roster was not imported: see the errors below.", messages.ERROR
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a roster from CSV",
            "form": form,
            "results": results,
            "invited": [row for row in results or () if row.invited],
            "timeout_days": settings.INVITATION_TIMEOUT_DAYS,
        }
        return TemplateResponse(request, "admin/lessons/enrollment/import_roster.html", context)
