"""Throttles: failed logins per account and per address (django-axes), refused sign-ups.

Logins. django-axes counts failures in its AccessAttempt table, one row per typed
username, address and browser. Two rules, each with its own limit:

- an account is locked after AXES_FAILURE_LIMIT failures from anywhere, however its
  name was typed: ``login_throttle_key`` gives axes the account's username, lowercased,
  for "Bob", " bob " and "BOB@example.org" alike (an unknown name is lowercased and
  stripped, so made-up accounts are throttled the same way and tell nothing);
- an address is locked after AXES_IP_FAILURE_LIMIT failures on any accounts. That
  limit is higher: a classroom shares one address, and one student's typos must not
  lock the others out.

Sign-ups. ``signup_throttle`` counts refused sign-ups per address in the database;
``enroll_throttle`` wrong course keys per account.

Password resets. ``password_reset_allowed`` counts requests per address and per email
address in the database; over either limit, nothing is sent and the page answers the
same.
"""

from __future__ import annotations

from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.timesince import timesince
from django.utils.timezone import now

from coursesite.clientip import client_ip

from .models import ThrottleCount, User


def login_throttle_key(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """Return the account a login attempt is for: the username axes counts failures under."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    if not isinstance(typed, str):
        return None
    typed = typed.strip()
    # Axes asks several times per attempt; one query per typed name is enough.
    known = getattr(request, "_login_throttle_keys", {}) if request is not None else {}
    if typed not in known:
        try:
            # The key forget_login_failures() clears too.
            known[typed] = User.objects.get_by_login(typed).username.lower()
        except User.DoesNotExist:
            known[typed] = typed.lower()[:255]  # AccessAttempt.username's length
        if request is not None:
            request._login_throttle_keys = known
    return known[typed]


def forget_login_failures(user: User) -> int:
    """Unlock USER's account: forget its failed logins from every address."""
    return AccessAttempt.objects.filter(username=user.username.lower()).delete()[0]


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler, locking an address as well as an account (see above).

    Set AXES_LOCKOUT_PARAMETERS = ["username"]: axes then counts an account's failures
    from every address, and a successful login forgets that account's failures only,
    so logging in to one's own account cannot clear an address's count.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if self.address_is_locked(request):
            # Axes compares one count with one limit: an address over its own limit
            # counts as an account at its limit.
            failures = max(failures, get_failure_limit(request, credentials))
        return failures

    def address_is_locked(self, request) -> bool:
        recent = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )
        failures = recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
        return failures >= settings.AXES_IP_FAILURE_LIMIT


def human_duration(delta: timedelta) -> str:
    """Return DELTA in words, as "15 minutes" or "1 hour"."""
    start = now()
    return timesince(start, start + delta)


class Throttle:
    """Count events per subject (the client's address, unless given another) in the
    database; refuse all once there are too many.

    The count starts with the first event and is forgotten WINDOW later. It is kept in
    ``ThrottleCount``, which every worker shares (the cache is per worker without
    Redis: the limit would be multiplied by their number). A request that may be
    refused is counted before it is checked (``allows``, one locked step) and forgiven
    if it turns out allowed (``forgive``): counted after, every request in flight at
    the limit was checked. Only sign-ups, course keys and resets are counted, so the
    writes are few. The limit and the window are read from the settings named.
    """

    def __init__(self, name: str, limit_setting: str, window_setting: str) -> None:
        self.name = name
        self.limit_setting = limit_setting
        self.window_setting = window_setting

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    @property
    def window(self) -> timedelta:
        return getattr(settings, self.window_setting)

    def subject(self, request: HttpRequest) -> str:
        # The same address as the login throttle's (AXES_CLIENT_IP_CALLABLE).
        return client_ip(request)

    def _key(self, subject: str) -> str:
        return f"{self.name}:{subject}"[: ThrottleCount._meta.get_field("key").max_length]

    @transaction.atomic
    def add_for(self, subject: str) -> int:
        """Count one event of SUBJECT; return its count in the window.

        The row is locked while counted (SQLite: the write transaction), so concurrent
        requests cannot all slip in under the limit together.
        """
        moment = now()
        row, created = ThrottleCount.objects.select_for_update().get_or_create(
            key=self._key(subject), defaults={"count": 1, "expires_at": moment + self.window}
        )
        if created:
            # Now and then, as counts start: the rows whose window is over go.
            ThrottleCount.objects.filter(expires_at__lte=moment).delete()
            return row.count
        if row.expires_at <= moment:  # a new window
            row.count, row.expires_at = 1, moment + self.window
        else:
            row.count += 1
        row.save(update_fields=["count", "expires_at"])
        return row.count

    def forgive(self, subject: str) -> None:
        """Take back one event of SUBJECT, counted before it turned out to be allowed."""
        ThrottleCount.objects.filter(
            key=self._key(subject), expires_at__gt=now(), count__gt=0
        ).update(count=F("count") - 1)

    def allows(self, subject: str) -> bool:
        """Count one event of SUBJECT; return whether it is within the limit."""
        return self.add_for(subject) <= self.limit

    def is_spent(self, subject: str) -> bool:
        """Return whether SUBJECT has had its events of the window, counting nothing."""
        return ThrottleCount.objects.filter(
            key=self._key(subject), expires_at__gt=now(), count__gte=self.limit
        ).exists()

    @property
    def wait(self) -> str:
        return human_duration(self.window)


signup_throttle = Throttle("signup", "SIGNUP_FAILURE_LIMIT", "SIGNUP_COOLOFF_TIME")
# Wrong course keys typed by a logged-in person, per account (``subject_of_user``): one
# student guessing keys must not stop a whole classroom behind one address.
enroll_throttle = Throttle("enroll", "SIGNUP_FAILURE_LIMIT", "SIGNUP_COOLOFF_TIME")
# Wrong group join codes typed by a student, per account: a code opens a group, its
# versions and its feedback (probe 35: 300 guesses in 3 seconds, none refused).
join_throttle = Throttle("group-join", "SIGNUP_FAILURE_LIMIT", "SIGNUP_COOLOFF_TIME")
# Forms kept while signed out (coursesite/formpages.py), per address: each is a session.
kept_form_throttle = Throttle("kept-form", "SIGNED_OUT_KEPT_LIMIT", "SIGNED_OUT_KEPT_WINDOW")


# Addresses of other accounts typed on one's profile, per account (accounts.forms).
taken_email_throttle = Throttle("taken-email", "TAKEN_EMAIL_LIMIT", "TAKEN_EMAIL_WINDOW")
# The same, per network address, at sign-up with a course key (lessons.views.signup):
# a classroom (or a whole campus behind one proxy) shares it, hence a larger limit and a
# shorter window: at most an hour without sign-ups from there (probe 78).
signup_taken_throttle = Throttle("signup-taken", "SIGNUP_TAKEN_LIMIT", "SIGNUP_TAKEN_WINDOW")


# One's data downloaded, per account: a heavy record takes seconds of a worker to write
# (probe 77: 8-14 s for 20,000 answers), so not on a loop.
personal_data_throttle = Throttle("personal-data", "PERSONAL_DATA_LIMIT", "PERSONAL_DATA_WINDOW")
# Messages an instructor emails to the people of their courses, per account: each may
# reach a thousand inboxes.
course_message_throttle = Throttle(
    "course-message", "COURSE_MESSAGE_LIMIT", "COURSE_MESSAGE_WINDOW"
)


def subject_of_user(user) -> str:
    return f"user:{user.pk}"


# The current password typed to change one's email address or password, per account:
# whoever found a session left open may not guess it faster than the login form lets
# them (the same limit and cool-off).
password_check_throttle = Throttle("password-check", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME")


def current_password_checked(user: User, password: str) -> bool | None:
    """Return whether PASSWORD is USER's current password, or None (unchecked) once too
    many wrong ones were typed for the account within the cool-off time."""
    subject = subject_of_user(user)
    if not password_check_throttle.allows(subject):
        return None
    if not user.check_password(password):
        return False
    password_check_throttle.forgive(subject)
    return True


# Password-reset requests, per address and per email address typed. Each one queues
# an email, so without a limit anyone can flood a mailbox; per email a few an hour
# serve someone who lost the first one, per address more, as a classroom shares one.
reset_address_throttle = Throttle(
    "reset-address", "PASSWORD_RESET_ADDRESS_LIMIT", "PASSWORD_RESET_WINDOW"
)
reset_email_throttle = Throttle(
    "reset-email", "PASSWORD_RESET_EMAIL_LIMIT", "PASSWORD_RESET_WINDOW"
)


@transaction.atomic
def sent_first(name: str, token: str, window: timedelta) -> bool:
    """Whether form NAME's one-time TOKEN (written on the page that holds the form) is
    sent for the first time within WINDOW: a double click sent a course's message twice
    to everyone (probe 123). In the database every worker shares; two sent at once wait
    for each other on the key's uniqueness."""
    moment = now()
    _row, created = ThrottleCount.objects.get_or_create(
        key=f"{name}:{token}"[: ThrottleCount._meta.get_field("key").max_length],
        defaults={"count": 1, "expires_at": moment + window},
    )
    return created


def mailbox_of(email: str) -> str:
    """Return EMAIL as the mailbox it reaches: lowercase, without a "+tag" (most mail
    services deliver ann+1@ and ann+2@ to ann@, so each counted apart multiplied a limit)."""
    local, _, domain = email.lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


def email_key(kind: str, email: str) -> str:
    """The throttle subject of EMAIL's mailbox for KIND: a keyed hash, so the table holds
    no email address, and none can be guessed back from the keys."""
    return salted_hmac(
        f"accounts.throttle.{kind}", mailbox_of(email), algorithm="sha256"
    ).hexdigest()


def password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Count a password-reset request for EMAIL (canonical); return whether to send.

    Every request is counted, for accounts or not, so being refused tells nothing;
    the caller answers the same either way and only sends nothing.
    """
    by_address = reset_address_throttle.allows(reset_address_throttle.subject(request))
    by_email = reset_email_throttle.allows(email_key("reset-email", email))
    return by_address and by_email


# Mail that an account's owner sends to an address they typed (the confirmation link,
# "your account moved"), per address: the address may be anyone's, and an account
# could change its address back and forth, or ask for the link again, without end.
address_mail_throttle = Throttle(
    "address-mail", "PASSWORD_RESET_EMAIL_LIMIT", "PASSWORD_RESET_WINDOW"
)


def _address_mail_subject(kind: str, email: str) -> str:
    return f"{kind}:{email_key(kind, email)}"


def address_mail_allowed(kind: str, email: str) -> bool:
    """Count one email of KIND to EMAIL; return whether to send it."""
    return address_mail_throttle.allows(_address_mail_subject(kind, email))


def address_mail_spent(kind: str, email: str) -> bool:
    """Return whether EMAIL had its emails of KIND this hour (nothing counted)."""
    return address_mail_throttle.is_spent(_address_mail_subject(kind, email))
