from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


def new_enrollment_key() -> str:
    # Short enough to read out in a lecture, long enough not to be guessed.
    return secrets.token_urlsafe(9)


class CourseQuerySet(models.QuerySet):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)

    def visible_to(self, user) -> CourseQuerySet:
        """Return the courses USER may open: enrolled ones, published unless they teach it."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(enrollments__user=user, is_published=True)
            | Q(enrollments__user=user, enrollments__role=Role.INSTRUCTOR)
        ).distinct()


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    code = models.CharField(_("code"), max_length=30, blank=True, help_text=_("e.g. PYWEB"))
    term = models.CharField(_("term"), max_length=30, blank=True, help_text=_("e.g. 2024-2025"))
    summary = models.TextField(_("summary"), blank=True, help_text=_("Markdown."))
    objectives = models.TextField(_("objectives"), blank=True, help_text=_("Markdown list."))
    prerequisites = models.TextField(_("prerequisites"), blank=True, help_text=_("Markdown list."))
    is_published = models.BooleanField(_("published"), default=False)
    enrollment_key = models.CharField(
        _("enrollment key"),
        max_length=40,
        unique=True,
        default=new_enrollment_key,
        help_text=_("Students type this key to enroll themselves. Rotate it to stop new sign-ups."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-term", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.term})" if self.term else self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:course", kwargs={"slug": self.slug})

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


class ModuleQuerySet(models.QuerySet):
    def published(self) -> ModuleQuerySet:
        return self.filter(is_published=True)


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def get_absolute_url(self) -> str:
        return f"{self.course.get_absolute_url()}#module-{self.pk}"


class LessonQuerySet(models.QuerySet):
    def published(self) -> LessonQuerySet:
        """Return lessons students may see: the lesson and its module are both published."""
        return self.filter(is_published=True, module__is_published=True)

    def in_course_order(self) -> LessonQuerySet:
        return self.order_by("module__order", "module__pk", "order", "pk")


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=15)
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__order", "order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "lessons:lesson",
            kwargs={"course_slug": self.module.course.slug, "lesson_slug": self.slug},
        )


class EnrollmentQuerySet(models.QuerySet):
    def students(self) -> EnrollmentQuerySet:
        return self.filter(role=Role.STUDENT)


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
        ordering = ["course", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="lessons_enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course} · {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        return self.course.get_absolute_url()

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def can_grade(self) -> bool:
        return self.role in (Role.GRADER, Role.INSTRUCTOR)


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
