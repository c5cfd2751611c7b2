from __future__ import annotations

import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coursesite.dates import local_text

from .validators import normalize_email


class Role(models.TextChoices):
    """A user's role in one course, held by their enrollment (access/policy.py reads it)."""

    STUDENT = "student", _("Student")
    GRADER = "grader", _("Grader")
    INSTRUCTOR = "instructor", _("Instructor")


class ByCodePoint(Func):
    """Compare text by code point, as Python compares ``str``.

    SQLite's default collation (BINARY) already does; PostgreSQL's follows the
    database's locale, so ask it for "C". (Not ``Collate``: in an index, Django
    moves that out of the expression and cannot leave it out on SQLite.)
    """

    arity = 1
    template = '%(expressions)s COLLATE "C"'

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


def name_sort_key_expression() -> Lower:
    """Return SQL for ``str(user).casefold()``, stored as ``User.sort_name``.

    ``str(user)`` is the display name, else "first last" stripped, else the username.
    SQL lower() matches ``casefold()`` on ASCII; beyond it PostgreSQL folds capitals as
    Python does but for a few letters such as ß, and SQLite folds none.
    """
    full_name = Trim(Concat("first_name", Value(" "), "last_name"))
    return Lower(
        Coalesce(NullIf("display_name", Value("")), NullIf(full_name, Value("")), "username")
    )


def name_sort_keys(prefix: str = "") -> tuple[ByCodePoint, ByCodePoint]:
    """Return SQL for ``(str(user).casefold(), user.username)``, how lists sort people.

    PREFIX leads to the user from another model (``"user__"``). Both are stored columns,
    which the index ``accounts_user_name_order`` keeps in this order.
    """
    return ByCodePoint(F(f"{prefix}sort_name")), ByCodePoint(F(f"{prefix}username"))


def people_matching(text: str, prefix: str = "") -> Q:
    """Return a filter for the people whose name, username or email holds TEXT, in any
    capitals (SQLite folds ASCII capitals only). PREFIX leads to the user from another
    model (``"student__"``).

    The stored ``sort_name`` is the name lists show ("first last", or the display name)
    in small letters: a full name typed matches it, where first or last name alone would
    not.
    """
    text = unicodedata.normalize("NFC", text)  # as names are stored
    return (
        Q(**{f"{prefix}sort_name__icontains": text})
        | Q(**{f"{prefix}first_name__icontains": text})
        | Q(**{f"{prefix}last_name__icontains": text})
        | Q(**{f"{prefix}username__icontains": text})
        | Q(**{f"{prefix}email__icontains": text})
    )


class CourseUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # Made by whoever runs manage.py on the server: their address is theirs.
        extra_fields.setdefault("email_confirmed", True)
        return super().create_superuser(username, email, password, **extra_fields)

    def get_by_login(self, login: str) -> User:
        """Return the user whose username or email matches LOGIN (case-insensitive).

        Emails are stored canonical (``normalize_email``), so the canonical form of what
        was typed finds its account exactly. Ignoring case may find two: PostgreSQL's
        ``UPPER`` makes the dotless "ı" an "I", so "ınstructor@example.org", which the
        case-insensitive constraint (``LOWER``) lets exist beside
        "instructor@example.org", matched it too and every login of the real account
        was a server error. An exact match wins; two others match nobody.
        """
        if "@" in login:
            exact, loose = {"email": normalize_email(login)}, {"email__iexact": login}
        else:
            exact, loose = {"username": login}, {"username__iexact": login}
        found = list(self.filter(**exact)[:1]) or list(self.filter(**loose)[:2])
        if len(found) != 1:
            raise self.model.DoesNotExist(f"No single account has the login {login!r}.")
        return found[0]


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("How your name appears to teachers and teammates."),
    )
    # Whether the owner of the address has shown they hold this account: by its
    # invitation, a password reset, or the confirmation link while logged in. Anyone
    # can type someone else's address at sign-up (or an instructor can for an account
    # they make); an instructor enrolling that address then reclaims the account for
    # its mailbox instead of handing a course to whoever typed it
    # (accounts.confirmation.reclaim_unconfirmed).
    email_confirmed = models.BooleanField(
        _("email address confirmed"),
        default=False,
        help_text=_(
            "Set once the owner of the address has shown they hold this account: its "
            "invitation, a password reset or the confirmation link. Changing the address "
            "clears it."
        ),
    )
    # A new address typed on the profile of an account whose address is confirmed: the
    # account keeps its address (logins, password resets) until the new one's owner
    # opens the link sent to it. Changed at once, a typo handed the account to whoever
    # held the mistyped address ("Forgot your password?" went there).
    pending_email = models.EmailField(
        _("new email address, not confirmed yet"),
        blank=True,
        default="",
        help_text=_(
            "Typed on the profile; it replaces the address once its link is opened. Not "
            "used for logins or password resets until then."
        ),
    )

    # Kept by the database from the fields above (name_sort_key_expression): a page of a
    # list sorted by name then walks the index below instead of computing every
    # person's name and sorting them all. Never read in Python (str(user) is the name).
    sort_name = models.GeneratedField(
        expression=name_sort_key_expression(),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("name, for sorting"),
    )

    objects = CourseUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]
        # Lets a page of a long list sorted by name (the gradebook) read that page only.
        indexes = [models.Index(*name_sort_keys(), name="accounts_user_name_order")]

    def __str__(self) -> str:
        return self.name_of(self.display_name, self.first_name, self.last_name, self.username)

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name()

    @staticmethod
    def name_of(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """Return ``str()`` of a user with these fields.

        For long lists read with ``values_list``: a model instance per row costs more
        than the query.
        """
        # get_full_name(), then the username.
        return display_name or f"{first_name} {last_name}".strip() or username

    def lock_if_unchanged(self, *fields: str, **read) -> bool:
        """Lock this account's row (inside a transaction) and return whether its stored
        FIELDS still hold the values this instance was read with (or those given as
        READ, for fields a form has set since).

        A form checks the password, or a link, against the account as its request read
        it; an instructor's reclaim, a password reset or another form may have written
        the row since. Saving over them gave the account back to whoever lost it.
        """
        expected = {name: getattr(self, name) for name in fields} | read
        stored = type(self).objects.select_for_update().filter(pk=self.pk).values(*expected).first()
        return stored == expected

    def save(self, *args, **kwargs) -> None:
        # Keep email lookups and the case-insensitive constraint predictable: whatever
        # path an address comes by, it is stored canonical (forms also refuse invisibles).
        self.email = normalize_email(self.email) if self.email else ""
        # One spelling of each accent (NFC): typed as separate marks (a Mac's names in a
        # roster, some keyboards) the same name was another, identical to the eye
        # (probe 53: two "Zoë Müller", searches finding one of them).
        for name in ("display_name", "first_name", "last_name"):
            setattr(self, name, unicodedata.normalize("NFC", getattr(self, name)))
        super().save(*args, **kwargs)


class ThrottleCount(models.Model):
    """Refused sign-ups, wrong course keys, password-reset requests: counted per
    throttle and subject until ``expires_at`` (accounts/throttle.py).

    In the database, which every worker shares: the cache is each worker's own without
    Redis, so five workers let through five times the limit.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {local_text(self.expires_at)}"


class SessionCacheGeneration(models.Model):
    """The generation of the sessions cached in Redis (accounts/cached_sessions.py), in
    their keys. Raised when Redis missed a session's deletion (a logout while it was
    unreachable), so that no copy cached before is read again, by any process, even one
    started since. One row."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Session cache generation {self.number}"
