from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Role, name_sort_keys
from accounts.validators import BIDI_CONTROLS
from coursesite.files import delete_file_on_commit
from coursesite.urlpaths import path_of
from practice.syntax import strip_blocks

from .bundle import MAX_QUIZ_TRIES, bad_character, storable_text
from .limits import COURSE_TEXT_MAX_LENGTH, LESSON_BODY_MAX_LENGTH
from .rendering import render_markdown, with_attached_files

# Keys students type to enroll: the generated ones have 12 characters.
ENROLLMENT_KEY_MIN_LENGTH = 8


KEY_TAKEN = "key_taken"  # told to whoever types another course's key (a guess, counted)


def new_enrollment_key() -> str:
    # Short enough to read out in a lecture, long enough not to be guessed.
    return secrets.token_urlsafe(9)


def one_line_refusal(text: str) -> str | None:
    """Return the first character of TEXT that one line shown on a page may not hold.

    Control codes, line and paragraph separators, and the direction overrides that make
    text read as something else: what an exported course's file may not hold either
    (``bundle.bad_character``), so a course saved here exports and imports again.
    """
    return bad_character(text, one_line=True)


def validate_one_line(value: str) -> None:
    """Refuse a title or term that would not read as typed, or not export (one_line_refusal)."""
    char = one_line_refusal(value)
    if char is None:
        return
    if char in BIDI_CONTROLS:
        raise ValidationError(
            _(
                "Remove the invisible text-direction character (U+%(code)04X): it changes "
                "how the text reads on the page. Retype the text rather than pasting it."
            ),
            code="bidi_control",
            params={"code": ord(char)},
        )
    raise ValidationError(
        _(
            "Keep this on one line, without tabs, line breaks or other invisible control "
            "characters (U+%(code)04X here). Retype the text rather than pasting it."
        ),
        code="control_character",
        params={"code": ord(char)},
    )


def percent_of(done: int, total: int) -> int:
    """DONE out of TOTAL as a whole percentage, rounded half up as marks are (1 of 8 is
    13 %, not Python's half-even 12 %), and 100 only when all is done (199 of 200 is
    99 %: a full bar over work left would tell a student they are finished)."""
    if not total:
        return 0
    percent = (200 * done + total) // (2 * total)
    return min(percent, 99) if done < total else percent


@dataclass(frozen=True)
class Progress:
    """Lessons completed out of the published lessons of a course or module."""

    done: int
    total: int

    @classmethod
    def of(cls, lessons, completed) -> Progress:
        """Return the progress over LESSONS (outline entries) that count, COMPLETED being
        the ids of the lessons done."""
        counted = [lesson for lesson in lessons if lesson.counts]
        return cls(sum(1 for lesson in counted if lesson.pk in completed), len(counted))

    @property
    def percent(self) -> int:
        return percent_of(self.done, self.total)

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def _rendered_fields(update_fields, source: str, targets: tuple[str, ...]):
    """Add TARGETS to UPDATE_FIELDS when SOURCE is being saved (keep the HTML in sync)."""
    if update_fields is None:
        return None
    update_fields = set(update_fields)
    if source in update_fields:
        update_fields.update(targets)
    return update_fields


_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def lesson_url_builder(course_slug: str) -> Callable[[str], str]:
    """Return a function slug -> that lesson's URL in COURSE_SLUG.

    An outline links every lesson of a course; reversing the URL pattern once and
    filling in each slug costs a string format instead of a reverse() (or a
    ``url()`` call) per lesson. Slugs that need quoting still go through reverse().
    """
    marker = "lesson-slug-placeholder"
    pattern = reverse("lessons:lesson", kwargs={"course_slug": course_slug, "lesson_slug": marker})
    prefix, suffix = pattern.rsplit(marker, 1)

    def url(slug: str) -> str:
        if _PLAIN_SLUG.fullmatch(slug):
            return f"{prefix}{slug}{suffix}"
        return reverse("lessons:lesson", kwargs={"course_slug": course_slug, "lesson_slug": slug})

    return url


class CourseQuerySet(models.QuerySet):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    code = models.CharField(
        _("code"),
        max_length=30,
        blank=True,
        validators=[validate_one_line],
        help_text=_("e.g. PYWEB"),
    )
    term = models.CharField(
        _("term"),
        max_length=30,
        blank=True,
        validators=[validate_one_line],
        help_text=_("e.g. 2024-2025"),
    )
    # Shown on every page of the course: a 3 MB summary made each of them 3 MB.
    summary = models.TextField(
        _("summary"), blank=True, max_length=COURSE_TEXT_MAX_LENGTH, help_text=_("Markdown.")
    )
    objectives = models.TextField(
        _("objectives"),
        blank=True,
        max_length=COURSE_TEXT_MAX_LENGTH,
        help_text=_("Markdown list."),
    )
    prerequisites = models.TextField(
        _("prerequisites"),
        blank=True,
        max_length=COURSE_TEXT_MAX_LENGTH,
        help_text=_("Markdown list."),
    )
    summary_html = models.TextField(editable=False, blank=True)
    objectives_html = models.TextField(editable=False, blank=True)
    prerequisites_html = models.TextField(editable=False, blank=True)
    is_published = models.BooleanField(
        _("published"),
        default=False,
        help_text=_(
            "Students see the course, its lessons and projects only while it is published. "
            "At the end of a run, unpublish it to close it: its students keep their "
            "released marks and feedback, and no one enrolls with its key any more."
        ),
    )
    enrollment_key = models.CharField(
        _("enrollment key"),
        max_length=40,
        unique=True,
        default=new_enrollment_key,
        help_text=_("Students type this key to enroll themselves. Rotate it to stop new sign-ups."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moves whenever a module or lesson of the course, or a lesson's questions and
    # exercises, change: pages keep the course's outline (lessons/outline.py) and each
    # lesson's questions (practice/selectors.py) under it, so a new number means fresh ones.
    content_version = models.PositiveIntegerField(default=0, editable=False)

    objects = CourseQuerySet.as_manager()
    # Each save kept, to read or copy an earlier text back (probe 73: a pasted-over
    # description was lost); the rendered HTML is made again from the Markdown.
    history = HistoricalRecords(
        excluded_fields=["summary_html", "objectives_html", "prerequisites_html", "content_version"]
    )

    # The long texts, left out of lists that show titles (``.defer(*Course.TEXTS)``).
    SOURCES = ("summary", "objectives", "prerequisites")  # Markdown, shown as their _html
    TEXTS = tuple(f"{name}{suffix}" for name in SOURCES for suffix in ("", "_html"))

    class Meta:
        ordering = ["-term", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.term})" if self.term else self.title

    def save(self, *args, **kwargs) -> None:
        # The stored HTML is a cache of the Markdown: rendering here keeps every
        # save path (admin, import, shell, factories) from leaving it stale.
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            for name in self.SOURCES:
                if name in update_fields:
                    update_fields.add(f"{name}_html")
            kwargs["update_fields"] = update_fields
        with transaction.atomic():
            former = _slug_before(self, kwargs.get("update_fields"))
            super().save(*args, **kwargs)
            if former != self.slug:
                FormerSlug.remember(course_id=self.pk, lesson_id=None, old=former, new=self.slug)

    def get_absolute_url(self) -> str:
        return path_of("lessons:course", slug=self.slug)

    def clean(self) -> None:
        # Only what changes is checked: a course saved before these rules keeps its
        # slug and key (and stays editable) until someone changes them.
        saved = Course.objects.filter(pk=self.pk).values("slug", "enrollment_key").first() or {}
        others = Course.objects.exclude(pk=self.pk)
        errors = {}
        # /courses/OTHER-COURSE/ beside /courses/other-course/ would be two look-alike
        # addresses of two courses.
        slug = self.slug or ""
        if slug != saved.get("slug") and others.filter(slug__iexact=slug).exists():
            errors["slug"] = _("Another course already uses this slug (in any capitals).")
        elif (
            slug != saved.get("slug")
            and FormerSlug.objects.filter(lesson=None, slug__iexact=slug)
            .exclude(course_id=self.pk)
            .exists()
        ):
            # Its old links (bookmarks, emails of the term) lead to that course: taken
            # by another, they led to the wrong one (probe 73).
            errors["slug"] = _(
                "This was another course's address, and its old links still lead there: "
                "choose another slug."
            )
        key = self.enrollment_key or ""
        if key != saved.get("enrollment_key"):
            if len(key) < ENROLLMENT_KEY_MIN_LENGTH:
                errors["enrollment_key"] = _(
                    "Make the key at least %(n)s characters long: a short one can be "
                    "guessed by anyone with an account."
                ) % {"n": ENROLLMENT_KEY_MIN_LENGTH}
            elif others.filter(enrollment_key__iexact=key).exists():
                errors["enrollment_key"] = ValidationError(
                    _("Another course already uses this key (in any capitals): choose another."),
                    code=KEY_TAKEN,
                )
        if errors:
            raise ValidationError(errors)

    def render(self) -> None:
        for name in self.SOURCES:
            # Stored with plain line ends, as lessons are: a browser's text box sends
            # CRLF, which an export then wrote and its import refused (probe 68).
            setattr(self, name, storable_text(getattr(self, name)))
            setattr(self, f"{name}_html", render_markdown(getattr(self, name)).html)

    def rotate_enrollment_key(self) -> str:
        self.enrollment_key = new_enrollment_key()
        self.save(update_fields=["enrollment_key", "updated_at"])
        return self.enrollment_key

    @property
    def instructors(self):
        return self.members(Role.INSTRUCTOR)

    def members(self, role: str):
        from accounts.models import User

        return User.objects.filter(enrollments__course=self, enrollments__role=role)

    def renumber_modules(self) -> None:
        """Give the modules orders 1..n in their current order, so none collide."""
        renumber(self.modules.order_by("order", "pk"))


class ModuleQuerySet(models.QuerySet):
    def published(self) -> ModuleQuerySet:
        return self.filter(is_published=True)


def free_module_slug(title: str, course_id: int, module_id: int | None = None) -> str:
    """Return a slug made from TITLE that no other module of COURSE_ID uses ("intro",
    "intro-2"; "module" for a title of no Latin letters)."""
    longest = Module._meta.get_field("slug").max_length - 4  # room for "-999"
    base = slugify(title)[:longest] or "module"
    taken = set(
        Module.objects.filter(course_id=course_id, slug__startswith=base)
        .exclude(pk=module_id)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


MODULE_SLUG_TAKEN = _("Another module of this course already has this slug: pick another.")


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        blank=True,
        help_text=_(
            "Names the module's folder in an exported course bundle; left empty, it is "
            "made from the title."
        ),
    )
    summary = models.TextField(
        _("summary"), blank=True, max_length=COURSE_TEXT_MAX_LENGTH, help_text=_("Markdown.")
    )
    summary_html = models.TextField(editable=False, blank=True)
    is_published = models.BooleanField(_("published"), default=False)

    objects = ModuleQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["summary_html"])  # as Course's

    class Meta:
        ordering = ["course_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"],
                condition=~Q(slug=""),
                name="lessons_module_slug_unique",
                # A conditional constraint has no field message of its own in forms.
                violation_error_message=MODULE_SLUG_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            # An empty slug gave an export a folder its import did not find again (a
            # second module on re-import) or gave two modules one folder (probe 68).
            self.slug = free_module_slug(self.title, self.course_id, self.pk)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "slug"}
        self.summary = storable_text(self.summary)  # as Course.render
        self.summary_html = render_markdown(self.summary).html
        kwargs["update_fields"] = _rendered_fields(
            kwargs.get("update_fields"), "summary", ("summary_html",)
        )
        super().save(*args, **kwargs)
        content_changed([self.course_id])

    def get_absolute_url(self) -> str:
        return f"{self.course.get_absolute_url()}#module-{self.pk}"

    def clean(self) -> None:
        # Said on the slug, where forms and the API say a field's error, before the
        # constraint says it of the whole row (probe 86: the API's non_field_errors).
        if self.course_id and self.slug:
            siblings = Module.objects.filter(course_id=self.course_id, slug=self.slug)
            if siblings.exclude(pk=self.pk).exists():
                raise ValidationError({"slug": MODULE_SLUG_TAKEN})

    def delete(self, *args, **kwargs):
        course_id = self.course_id
        result = super().delete(*args, **kwargs)
        content_changed([course_id])
        return result

    def renumber_lessons(self) -> None:
        """Give the lessons orders 1..n in their current order, so none collide."""
        renumber(self.lessons.order_by("order", "pk"))


class LessonQuerySet(models.QuerySet):
    def published(self) -> LessonQuerySet:
        """Return lessons students may see: the lesson and its module are both published."""
        return self.filter(is_published=True, module__is_published=True)

    def in_course_order(self) -> LessonQuerySet:
        return self.order_by("module__order", "module__pk", "order", "pk")


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    slug = models.SlugField(_("slug"), max_length=100)
    body = models.TextField(
        _("body"),
        blank=True,
        max_length=LESSON_BODY_MAX_LENGTH,
        help_text=_(
            "Markdown: fenced code blocks (```python), tables and ## headings. "
            "Rendered and sanitised when saved."
        ),
    )
    body_html = models.TextField(editable=False, blank=True)
    toc_html = models.TextField(editable=False, blank=True)
    body_text = models.TextField(editable=False, blank=True, help_text=_("For search."))
    # Shown to students as the lesson's length: ten hours is past any single lesson.
    estimated_minutes = models.PositiveIntegerField(
        _("estimated minutes"),
        default=15,
        validators=[
            MaxValueValidator(
                600, _("A lesson takes at most 600 minutes (10 hours): split a longer one.")
            )
        ],
    )
    is_published = models.BooleanField(_("published"), default=False)
    quiz_required = models.BooleanField(
        _("quiz required"),
        default=False,
        help_text=_("The lesson counts as complete only once its quiz is passed."),
    )
    quiz_pass_mark = models.PositiveSmallIntegerField(
        _("quiz pass mark (%)"),
        default=70,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Share of the lesson's questions a student must have right, rounded up to "
            "whole questions: 70% of 3 questions is all 3."
        ),
    )
    quiz_max_tries = models.PositiveSmallIntegerField(
        _("tries per question"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(1, _("Give at least 1 try, or leave it empty for no limit.")),
            MaxValueValidator(
                MAX_QUIZ_TRIES, _("At most %(limit_value)s tries: leave it empty for no limit.")
            ),
        ],
        help_text=_(
            "How many times a student may answer each question of the lesson's quiz; "
            "their last answer counts. Empty: as often as they like."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()
    # Each save of the text kept (probe 73: a lesson pasted over was lost for good);
    # what is made from it (HTML, contents, search text) is made again.
    history = HistoricalRecords(excluded_fields=["body_html", "toc_html", "body_text"])

    class Meta:
        ordering = ["module__order", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["module", "slug"], name="lessons_lesson_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # See Course.save: the HTML, TOC and search text are caches of the body.
        self.render()
        kwargs["update_fields"] = _rendered_fields(
            kwargs.get("update_fields"), "body", ("body_html", "toc_html", "body_text")
        )
        with transaction.atomic():
            former = _slug_before(self, kwargs["update_fields"])
            super().save(*args, **kwargs)
            if former != self.slug:
                course_id = Module.objects.values_list("course_id", flat=True).get(
                    pk=self.module_id
                )
                FormerSlug.remember(
                    course_id=course_id, lesson_id=self.pk, old=former, new=self.slug
                )
        content_changed(Module.objects.filter(pk=self.module_id).values("course_id"))

    def get_absolute_url(self) -> str:
        return path_of("lessons:lesson", course_slug=self.module.course.slug, lesson_slug=self.slug)

    def delete(self, *args, **kwargs):
        courses = list(Module.objects.filter(pk=self.module_id).values_list("course_id", flat=True))
        result = super().delete(*args, **kwargs)
        content_changed(courses)
        return result

    def clean(self) -> None:
        # Lesson URLs are /courses/<course>/<lesson>/, so slugs are unique per course,
        # which a constraint on this table alone cannot express.
        if self.module_id and self.slug:
            clash = Lesson.objects.filter(
                module__course_id=self.module.course_id, slug=self.slug
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"slug": _("Another lesson of this course already uses this slug.")}
                )

    def render(self, attached: dict[str, str] | None = None) -> None:
        """Render the body; ATTACHED: ``attached_files()``, if read already."""
        # Stored with the line ends it is written with, not the CRLF a browser's text
        # box (or a file from Windows) sends; the practice blocks read either.
        self.body = storable_text(self.body)
        # Questions and exercises are shown as forms (practice/), not as code blocks.
        rendered = render_markdown(strip_blocks(self.body))
        if attached is None:
            attached = self.attached_files()
        self.body_html = with_attached_files(rendered.html, attached)
        self.toc_html = rendered.toc_html
        self.body_text = rendered.text

    def attached_files(self) -> dict[str, str]:
        """Return {file name: its address from the lesson's page} of the files attached
        to the lesson (the first under a name), for images and links written with a
        file's name. A file stored under a name already taken in its folder got a suffix
        (``diagram_a1B2c3d.png``: a file replaced, imported again, or exported so): it
        answers to the name it was given too, unless another file has that name."""
        if self.pk is None:
            return {}
        attached: dict[str, str] = {}
        given: dict[str, str] = {}
        for pk, path in LessonAttachment.objects.filter(lesson_id=self.pk).values_list(
            "pk", "file"
        ):
            name = path.rsplit("/", 1)[-1]
            attached.setdefault(name, f"files/{pk}/")
            given.setdefault(_STORAGE_SUFFIX.sub(r"\1\2", name), f"files/{pk}/")
        return given | attached

    @property
    def is_visible_to_students(self) -> bool:
        return self.is_published and self.module.is_published and self.module.course.is_published


def _slug_before(row: Course | Lesson, update_fields) -> str | None:
    """Return ROW's slug as stored, if this save may change it (None: a new row)."""
    if row.pk is None or (update_fields is not None and "slug" not in update_fields):
        return row.slug
    return type(row).objects.filter(pk=row.pk).values_list("slug", flat=True).first()


class FormerSlug(models.Model):
    """A slug a course (``lesson`` empty) or one of its lessons had before it changed.

    Links to the old address (bookmarks, other lessons' text, emails, another site)
    still lead there: a page not found at an old address is redirected to the new one
    for whoever may see it (lessons.middleware.FormerAddressMiddleware). A current slug
    always wins over a former one.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="former_slugs")
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, null=True, blank=True, related_name="former_slugs"
    )
    slug = models.SlugField(max_length=100)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(lesson=None), name="lessons_formerslug_course"
            ),
            models.UniqueConstraint(
                fields=["course", "slug"],
                condition=Q(lesson__isnull=False),
                name="lessons_formerslug_lesson",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def remember(cls, *, course_id: int, lesson_id: int | None, old: str | None, new: str) -> None:
        """Record that a course (or its lesson LESSON_ID) left slug OLD for NEW."""
        if lesson_id is None:
            lookup = {"lesson": None}  # course slugs are the site's
            cls.objects.filter(lesson=None, course_id=course_id, slug=new).delete()
        else:
            lookup = {"course_id": course_id, "lesson__isnull": False}
            cls.objects.filter(lesson_id=lesson_id, slug=new).delete()
        # NEW's row went above: named back to a former slug, it is current again.
        if old:
            # The latest to leave a slug keeps it.
            cls.objects.update_or_create(
                slug=old,
                **lookup,
                defaults={
                    "course_id": course_id,
                    "lesson_id": lesson_id,
                    "changed_at": timezone.now(),
                },
            )


# What Django's storage adds to a name already taken in its folder (get_available_name).
_STORAGE_SUFFIX = re.compile(r"^(.+)_[A-Za-z0-9]{7}(\.[^./]*)?$")


def _attachment_path(instance: LessonAttachment, filename: str) -> str:
    return f"lessons/{instance.lesson_id}/{filename}"


# A stored attachment's path is "lessons/<lesson id>/<file name>" and holds at most 255
# characters (the column). The name the instructor chose gets what the folder leaves,
# with room for a lesson id of 12 digits and for the 8 characters ("_a1B2c3d") the
# storage adds to a name already taken in that folder.
ATTACHMENT_PATH_MAX_LENGTH = 255
ATTACHMENT_NAME_MAX_LENGTH = ATTACHMENT_PATH_MAX_LENGTH - len("lessons//") - 12 - 8


def validate_attachment_name(value: File) -> None:
    """Refuse a file whose name leaves no room for its folder (ATTACHMENT_NAME_MAX_LENGTH)."""
    name = (getattr(value, "name", None) or "").rsplit("/", 1)[-1]
    if len(name) <= ATTACHMENT_NAME_MAX_LENGTH:
        return
    # Browsers' names past 255 characters reach us cut to 255 (Django's upload): the
    # count said is then a lower bound.
    length = f"{len(name)} or more" if len(name) >= 255 else str(len(name))
    raise ValidationError(
        _(
            "The file's name is too long: a lesson's file may have a name of at most "
            "%(max)d characters, its extension included (this one has %(length)s). "
            "Rename the file to something shorter, then choose it again."
        ),
        code="name_too_long",
        params={"max": ATTACHMENT_NAME_MAX_LENGTH, "length": length},
    )


class LessonAttachment(models.Model):
    """A file students download from a lesson (slides, starter code)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"),
        upload_to=_attachment_path,
        max_length=ATTACHMENT_PATH_MAX_LENGTH,
        validators=[validate_attachment_name],
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["lesson_id", "order", "pk"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        stored = None
        if self.pk is not None:
            stored = LessonAttachment.objects.filter(pk=self.pk).values_list("file", flat=True)
            stored = stored.first()
        super().save(*args, **kwargs)
        if stored and stored != self.file.name:
            # A file replaced by another (stored under a name of its own): the old one
            # left the server only with its row (probe 85: it stayed).
            delete_file_on_commit(self.file.storage, stored)

    def get_absolute_url(self) -> str:
        return reverse(
            "lessons:attachment",
            kwargs={
                "course_slug": self.lesson.module.course.slug,
                "lesson_slug": self.lesson.slug,
                "pk": self.pk,
            },
        )

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class EnrollmentQuerySet(models.QuerySet):
    def students(self) -> EnrollmentQuerySet:
        return self.filter(role=Role.STUDENT)

    def order_by_user_name(self, *, descending: bool = False) -> EnrollmentQuerySet:
        """Order by the user's name, as ``accounts.models.name_sort_keys`` defines it."""
        keys = name_sort_keys("user__")
        return self.order_by(*(key.desc() if descending else key.asc() for key in keys))


class Enrollment(models.Model):
    """A user's role in one course; roles are per course, not site-wide."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.STUDENT)
    created_at = models.DateTimeField(auto_now_add=True)
    last_lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The lesson last opened, for 'Continue where you left off'."),
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["course_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="lessons_enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course} · {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        return self.course.get_absolute_url()

    def unique_error_message(self, model_class, unique_check):
        # Django's "Enrollment with this User and Course already exists." named neither
        # the person nor what to do.
        if list(unique_check) != ["user", "course"]:
            return super().unique_error_message(model_class, unique_check)
        role = (
            Enrollment.objects.filter(user_id=self.user_id, course_id=self.course_id)
            .exclude(pk=self.pk)
            .values_list("role", flat=True)
            .first()
        )
        return ValidationError(
            _(
                "%(person)s is already enrolled in %(course)s as %(role)s: open that "
                "enrollment to change their role."
            ),
            code="unique_together",
            params={
                "person": self.user,
                "course": self.course,
                "role": Role(role).label.lower() if role in Role.values else _("someone"),
            },
        )


def attachment_file_delete(sender, instance: LessonAttachment, **kwargs) -> None:
    """Remove a deleted attachment's file from the storage (connected in apps.py).

    However its row goes (the lesson form's inline, the lesson's, module's or course's
    deletion), a handout taken down must not stay on the server. After the commit, so
    that a deletion rolled back keeps its file.
    """
    delete_file_on_commit(instance.file.storage, instance.file.name)


class Removal(models.Model):
    """A person a teacher removed from a course: they may not enroll again with its key.

    Without it, a student removed from a course (who knows its key) enrolled again at
    once and found their group, its files and their feedback where they left them. A
    teacher may still enroll them again (the back office, a roster, the API).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="removals")
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="lessons_removal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} removed from {self.course}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lessons_completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"


def renumber(objects) -> None:
    """Give OBJECTS, in their current sequence, the orders 1..n; save only what changed."""
    changed = []
    for position, obj in enumerate(objects, start=1):
        if obj.order != position:
            obj.order = position
            changed.append(obj)
    if changed:
        # bulk_update skips save(): no re-rendering, no updated_at bump for a reorder.
        model = type(changed[0])
        model.objects.bulk_update(changed, ["order"])
        parent = "course_id" if model is Module else "module__course_id"
        content_changed(model.objects.filter(pk=changed[0].pk).values(parent))


def content_changed(course_ids) -> None:
    """Move the content version of COURSE_IDS (ids, or a queryset of them): their
    outlines changed. For writes that skip save(), such as ``QuerySet.update()``."""
    Course.objects.filter(pk__in=course_ids).update(content_version=F("content_version") + 1)
