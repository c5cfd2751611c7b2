from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Per-course roles; also the names of the site-wide permission groups."""

    STUDENT = "student", _("Student")
    GRADER = "grader", _("Grader")
    INSTRUCTOR = "instructor", _("Instructor")


# Site-wide groups created by a data migration; their permissions are kept in
# sync after every migrate (accounts.apps.sync_role_groups).
INSTRUCTORS_GROUP = "Instructors"
GRADERS_GROUP = "Graders"


class CourseUserManager(UserManager):
    def get_by_login(self, login: str) -> User:
        """Return the user whose username or email matches LOGIN (case-insensitive)."""
        field = "email__iexact" if "@" in login else "username__iexact"
        return self.get(**{field: login})


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("How your name appears to teachers and teammates."),
    )

    objects = CourseUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name()

    def save(self, *args, **kwargs) -> None:
        # Keep email lookups and the case-insensitive constraint predictable.
        self.email = type(self).objects.normalize_email(self.email).lower() if self.email else ""
        super().save(*args, **kwargs)

    @property
    def is_instructor(self) -> bool:
        return self.is_superuser or (self.is_staff and self._in_group(INSTRUCTORS_GROUP))

    @property
    def is_grader(self) -> bool:
        return self._in_group(GRADERS_GROUP)

    def _in_group(self, name: str) -> bool:
        # One query per request at most: group names are cached on the instance.
        if not hasattr(self, "_group_names"):
            self.load_role_names()
        return name in self._group_names

    def load_role_names(self) -> None:
        self._group_names = set(self.groups.values_list("name", flat=True))
