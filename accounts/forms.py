from __future__ import annotations

import logging
from smtplib import SMTPException

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from coursesite.forms import PlainErrorsMixin

from .confirmation import confirmation_send, reset_tokens
from .invitations import invitable
from .models import User
from .tasks import (
    email_changed_notify,
    password_changed_notify,
    send_invitation_emails,
    send_password_reset_email,
)
from .throttle import (
    current_password_checked,
    password_check_throttle,
    password_reset_allowed,
    subject_of_user,
    taken_email_throttle,
)
from .validators import (
    canonical_email,
    normalize_email,
    validate_ascii_username,
    validate_email_characters,
    validate_mail_domain,
    validate_name,
)

logger = logging.getLogger(__name__)


class LoginForm(PlainErrorsMixin, auth_forms.AuthenticationForm):
    username = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That username or email and password do not match an account. "
            "Check for typos; passwords are case-sensitive."
        ),
        "inactive": _(
            "This account is closed (deactivated). If you think this is a mistake, ask "
            "your instructor."
        ),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # Sent back, the form's message gets the focus (static/js/site.js), which
            # the username's autofocus took (probe 61: the error was not read out).
            self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # What did not match is both fields together: each says so to a screen
            # reader, with the message, as a field's own error does (probe 87).
            for name in ("username", "password"):
                attrs = self.fields[name].widget.attrs
                attrs.update({"aria-invalid": "true", "aria-describedby": "form-errors"})
            raise

    def get_invalid_login_error(self) -> forms.ValidationError:
        # Only after the right password (accounts.backends): nobody else learns of it.
        if getattr(self.request, "closed_account_login", False):
            return forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()


class CanonicalEmailField(forms.EmailField):
    """An email address, cleaned into its canonical form (accounts.validators).

    Normalised before the field's checks, so those check what is stored, and an
    invisible character is named as such rather than as "not a valid address".
    """

    def to_python(self, value) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        email = normalize_email(value)
        validate_email_characters(email)
        validate_mail_domain(email)
        return email


def too_many_passwords_error() -> forms.ValidationError:
    return forms.ValidationError(
        _(
            "Too many wrong passwords for this account: wait %(wait)s, then try again. "
            "Nothing was changed."
        ),
        code="too_many_passwords",
        params={"wait": password_check_throttle.wait},
    )


class UniqueEmailMixin:
    """Keep the email address canonical and unique, refusing a taken one in words.

    Checked here, on the form, so a duplicate differing only in case reads as this
    message rather than as the name of the database constraint that would refuse it.
    """

    duplicate_email_message = _("Another account already uses this email address.")

    def clean_email(self) -> str:
        email = canonical_email(self.cleaned_data["email"])
        if self.email_taken(email):
            raise forms.ValidationError(self.duplicate_email_message, code="duplicate_email")
        return email

    def email_taken(self, email: str) -> bool:
        return User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()

    def save(self, commit: bool = True) -> User:
        """Save; a new address of an existing account is unconfirmed, and sent the link
        that confirms it (accounts.confirmation; the back office saves with commit=False
        and sends it itself)."""
        moved = bool(self.instance.pk) and self.cleaned_data.get("email") != self.initial.get(
            "email"
        )
        if moved:
            self.instance.email_confirmed = False
            self.instance.pending_email = ""  # a new address typed before is moot now
        if commit and self.instance.pk and (fields := getattr(self, "saved_fields", None)):
            # Only the form's own columns, and the address's only when it moves: a whole
            # row read when the request began put back a password cleared meanwhile (an
            # instructor's reclaim lost the race), and a change of names alone put back
            # "not confirmed" over a password reset that had just confirmed it.
            address = ["email", "email_confirmed", "pending_email"] if moved else []
            user = super().save(commit=False)
            user.save(update_fields=[*(f for f in fields if f != "email"), *address])
        else:
            user = super().save(commit=commit)
        self.link_sent = commit and moved and confirmation_send(user=user)
        return user


class ProfileForm(PlainErrorsMixin, UniqueEmailMixin, forms.ModelForm):
    """One's names and email address; a new address only with the current password.

    Password resets go to the address: whoever found a session left open could
    otherwise make the account theirs by typing their own address, then resetting the
    password. The old address is told of the change (``save``).
    """

    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your email address."),
    )

    saved_fields = ("display_name", "first_name", "last_name", "email")
    pending = False  # set when a new address waits for its link (``_save_pending``)

    class Meta:
        model = User
        fields = ("display_name", "first_name", "last_name", "email")
        field_classes = {"email": CanonicalEmailField}
        help_texts = {"email": _("Used to sign in and to reset your password.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("display_name", "first_name", "last_name"):
            self.fields[name].validators.append(validate_name)
        # What each field is, for browsers to fill in (WCAG 1.3.5; sign-up said it).
        purposes = {"display_name": "nickname", "first_name": "given-name"}
        purposes.update({"last_name": "family-name", "email": "email"})
        for name, purpose in purposes.items():
            self.fields[name].widget.attrs["autocomplete"] = purpose
        # Read before the form sets the typed values on the instance (after clean()).
        self.old_email = self.instance.email
        self.old_confirmed = self.instance.email_confirmed

    @property
    def email_changed(self) -> bool:
        email = self.cleaned_data.get("email")
        return email is not None and email != normalize_email(self.old_email or "")

    def clean_email(self) -> str:
        # Whether another account has the address is said only after the current
        # password (clean()): anyone at a session left open could otherwise ask the site
        # which addresses have accounts.
        return canonical_email(self.cleaned_data["email"])

    # The model's own "User with this Email address already exists." (and its
    # case-insensitive constraint's) came before the password was checked: clean() says
    # it, after the password, in words.
    def validate_unique(self) -> None:
        try:
            self.instance.validate_unique(exclude=self._without_email())
        except forms.ValidationError as error:
            self._update_errors(error)

    def validate_constraints(self) -> None:
        try:
            self.instance.validate_constraints(exclude=self._without_email())
        except forms.ValidationError as error:
            self._update_errors(error)

    def _without_email(self) -> set[str]:
        return self._get_validation_exclusions() | {"email"}

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.email_changed:
            return cleaned
        password = cleaned.get("current_password")
        checked = current_password_checked(self.instance, password) if password else False
        if not password:
            self.add_error(
                "current_password",
                forms.ValidationError(
                    _("To change your email address, type your current password here."),
                    code="password_required",
                ),
            )
        elif checked is None:
            self.add_error("current_password", too_many_passwords_error())
        elif not checked:
            self.add_error(
                "current_password",
                forms.ValidationError(
                    _(
                        "This is not your current password (passwords are "
                        "case-sensitive): your email address was not changed."
                    ),
                    code="password_incorrect",
                ),
            )
        elif taken_email_throttle.is_spent(subject_of_user(self.instance)) or (
            # Counted in the locked row before it is said: a burst of requests passed
            # the check above together and told one more (probe 77).
            self.email_taken(cleaned["email"])
            and not taken_email_throttle.allows(subject_of_user(self.instance))
        ):
            # Said whatever the address: "taken" or "saved" would still tell which.
            self.add_error(
                "email",
                forms.ValidationError(
                    _(
                        "You typed several addresses that belong to other accounts: your "
                        "address cannot be changed for %(wait)s. Check the new address "
                        "with its owner, or ask your instructor."
                    ),
                    code="taken_email_throttled",
                    params={"wait": taken_email_throttle.wait},
                ),
            )
        elif self.email_taken(cleaned["email"]):
            self.add_error(
                "email",
                forms.ValidationError(self.duplicate_email_message, code="duplicate_email"),
            )
        return cleaned

    def save(self, commit: bool = True) -> User:
        """Save, and once saved tell the old address that the account left it.

        A new address is refused (ValidationError) if the password checked for it, or
        the address itself, changed since the request read them: a squatter's change
        landing just after an instructor's reclaim, or after the owner's password reset,
        kept the account under the squatter's address.
        """
        with transaction.atomic():
            # Names too, under the row's lock: a save in flight while a superuser
            # anonymised the account put the real name back on it (probe 77).
            if not self.instance.lock_if_unchanged("username", "is_active"):
                raise forms.ValidationError(
                    _(
                        "Your account changed while this form was open: nothing was saved. "
                        "Log in again."
                    ),
                    code="account_changed",
                )
            changed = self.email_changed and not self.instance.lock_if_unchanged(
                "password", email=self.old_email
            )
            if changed:
                raise forms.ValidationError(
                    _(
                        "Your password or email address changed while this form was open "
                        "(a password reset, or an instructor who enrolled your address "
                        "before you confirmed it): nothing was saved. Log in again."
                    ),
                    code="account_changed",
                )
            if self.email_changed and self.old_confirmed and commit:
                return self._save_pending()
            try:
                with transaction.atomic():
                    user = super().save(commit=commit)
            except IntegrityError as exc:  # confirmed by another account a moment ago
                raise forms.ValidationError(
                    self.duplicate_email_message, code="duplicate_email"
                ) from exc
            self.old_told = bool(
                commit
                and self.email_changed
                and self.old_email
                and email_changed_notify(
                    user=user, old_email=self.old_email, old_confirmed=self.old_confirmed
                )
            )
        return user

    def _save_pending(self) -> User:
        """Keep the confirmed address until the new one's owner opens the link sent to
        it (accounts.confirmation.pending_email_confirm), saving the names meanwhile."""
        user = self.instance
        user.pending_email, user.email = user.email, self.old_email  # as the form set it
        user.save(update_fields=[*self.saved_fields, "pending_email"])
        self.pending = True
        self.old_told = False  # told once the address moves
        self.link_sent = confirmation_send(user=user)
        return user


class AdminUserCreationForm(UniqueEmailMixin, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")
        field_classes = {
            **auth_forms.AdminUserCreationForm.Meta.field_classes,
            "email": CanonicalEmailField,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(validate_ascii_username)
        self.fields["username"].help_text = USERNAME_HELP
        self.fields["display_name"].validators.append(validate_name)


USERNAME_HELP = _("150 characters or fewer: letters a-z and A-Z, digits and . + - _ only.")


class AdminUserChangeForm(UniqueEmailMixin, auth_forms.UserChangeForm):
    # The address the page showed: the person may have moved to a new one since (their
    # link opened), and the page's old address, posted back, counted as a change.
    email_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        field_classes = {
            **auth_forms.UserChangeForm.Meta.field_classes,
            "email": CanonicalEmailField,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("display_name", "first_name", "last_name"):
            if name in self.fields:  # the instructor's form may leave some out
                self.fields[name].validators.append(validate_name)
        if "username" in self.fields:  # the rule of a new account's, said alike (probe 83)
            self.fields["username"].help_text = USERNAME_HELP
        self.fields["email_shown"].initial = self.instance.email

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        # Only a new one: an older account's name (an "@" Django allowed) stays savable.
        if "username" in self.changed_data:
            validate_ascii_username(username)
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        shown = cleaned.get("email_shown")
        posted = cleaned.get("email")
        # Before the form sets what was typed on the instance: the row as stored now. A
        # post without the address it showed (a page drawn before this check existed, or
        # made by hand) may not change the address either: it may be undoing a move.
        stale = shown != self.instance.email if shown else posted != self.instance.email
        if "email" in self.fields and posted and stale:
            self.add_error(
                "email",
                forms.ValidationError(
                    _(
                        "This person's email address changed while this page was open: it "
                        "is now %(now)s. Nothing was saved; reload the page to see it."
                    ),
                    code="email_changed_meanwhile",
                    params={"now": self.instance.email},
                ),
            )
        return cleaned


class PasswordResetForm(PlainErrorsMixin, auth_forms.PasswordResetForm):
    """Send a reset link, or the invitation again to an account still waiting for one.

    Django sends nothing to an account without a usable password, so a student whose
    invitation expired would wait forever. The page answers alike whether an account
    exists, has a password or is invited: only the mailbox's owner learns which. So
    that the time it takes does not tell either, the request only queues the address;
    the worker looks the accounts up and sends (``send``). Requests over the limits of
    ``password_reset_allowed`` queue nothing and answer the same.
    """

    email = CanonicalEmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    unsent = False  # set by send_mail when the mail server refused a reset link

    def save(self, *, request: HttpRequest | None = None, **kwargs) -> None:
        email = self.cleaned_data["email"]
        if request is not None and not password_reset_allowed(request, email):
            return
        send_password_reset_email.enqueue(email=email)

    def send(self) -> bool:
        """Email the accounts of the address their reset link or invitation (the worker);
        return False if a reset link could not be sent (the task tries again later)."""
        self.unsent = False
        super().save(
            # Links from SITE_URL, not from the Host header of whoever asked.
            domain_override=settings.SITE_NAME,
            token_generator=reset_tokens,
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            html_email_template_name=self.html_email_template_name,
            extra_email_context={
                "site_name": settings.SITE_NAME,
                "site_url": settings.SITE_URL,
                # How long the link works (probe 55: the email did not say).
                "valid_for": _duration_in_words(settings.PASSWORD_RESET_TIMEOUT),
            },
        )
        waiting = invitable(User.objects.filter(email=self.cleaned_data["email"]))
        ids = list(waiting.values_list("pk", flat=True))
        if ids:
            send_invitation_emails.call(user_ids=ids)  # already in the worker (and retries)
        return not self.unsent

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        # Django's writes the same message but only logs a failure: noted here, so that
        # the task tries again (accounts.tasks.send_password_reset_email).
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        message = EmailMultiAlternatives(
            subject, render_to_string(email_template_name, context), from_email, [to_email]
        )
        if html_email_template_name is not None:
            html = render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except (SMTPException, OSError):
            logger.exception("A password reset email to user %s was not sent", context["user"].pk)
            self.unsent = True


def _duration_in_words(seconds: int) -> str:
    days, hours = seconds // 86400, seconds // 3600
    if days and seconds % 86400 == 0:
        return f"{days} day{'s' if days > 1 else ''}"
    return f"{max(hours, 1)} hour{'s' if hours > 1 else ''}"


class SetPasswordForm(PlainErrorsMixin, auth_forms.SetPasswordForm):
    """Choosing a new password from a link sent to the account's address (reset,
    invitation), worded as sign-up words it. Using the link confirms the address."""

    error_messages = {
        **auth_forms.SetPasswordForm.error_messages,
        "password_mismatch": _("The two passwords differ."),
        "account_changed": _(
            "This account changed while this page was open (its password or its email "
            "address): nothing was saved. Open the link from your email again; if it no "
            "longer works, ask for a new one with “Forgot your password?”."
        ),
    }
    # What the link was checked against: if either changed since, the link is stale.
    unchanged_fields = ("password", "email")
    stale_message = "account_changed"
    confirms_address = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].label = _("New password, again")

    def set_other_fields(self) -> list[str]:
        """Set on the user what the form takes besides the password; return their names."""
        return []

    def save(self, commit: bool = True) -> User:
        """Save the new password alone, refusing (ValidationError) if the account's row
        changed since it was read: Django's saved the whole row as read, so a reset
        undid an address change saved meanwhile, or confirmed a squatter's new one."""
        with transaction.atomic():
            if not self.user.lock_if_unchanged(*self.unchanged_fields):
                raise forms.ValidationError(
                    self.error_messages[self.stale_message], code=self.stale_message
                )
            self.user.set_password(self.cleaned_data["new_password1"])
            saved = ["password", *self.set_other_fields()]
            if self.confirms_address:
                self.user.email_confirmed = True  # the link came to the address
                saved.append("email_confirmed")
            if commit:
                self.user.save(update_fields=saved)
        return self.user


class InvitationForm(SetPasswordForm):
    """The first password, from an invitation; and the person's name when whoever made
    the account gave none (a roster row with an address only), as sign-up asks for one:
    a nameless account showed as its username to teammates, graders and instructors."""

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        if user is not None and not user.get_full_name():
            name = forms.CharField(
                label=_("Your name"),
                max_length=User._meta.get_field("display_name").max_length,
                validators=[validate_name],
                help_text=_("As your instructors and teammates will see it."),
                widget=forms.TextInput(attrs={"autocomplete": "name"}),
            )
            self.fields = {"display_name": name, **self.fields}

    def set_other_fields(self) -> list[str]:
        if "display_name" not in self.fields:
            return []
        self.user.display_name = self.cleaned_data["display_name"]  # stripped by the field
        return ["display_name"]


class PasswordChangeForm(SetPasswordForm, auth_forms.PasswordChangeForm):
    """Changing one's password: the current one, then the new one twice."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_mismatch": _("The two passwords differ."),
        "password_changed": _(
            "Your password changed while this form was open (a password reset, or an "
            "instructor who enrolled your address before you confirmed it): nothing was "
            "saved. Log in again, or use “Forgot your password?”."
        ),
    }

    # Its own password checked, not a link: it confirms nothing of the address. An
    # instructor's reclaim (accounts.confirmation) landing between the check of the
    # current password and the write was otherwise undone by it.
    unchanged_fields = ("password",)
    stale_message = "password_changed"
    confirms_address = False

    def clean_old_password(self) -> str:
        # As Django's, with the guesses counted per account (current_password_checked).
        password = self.cleaned_data["old_password"]
        checked = current_password_checked(self.user, password)
        if checked is None:
            raise too_many_passwords_error()
        if not checked:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return password

    def clean(self) -> dict:
        cleaned = super().clean()
        new = cleaned.get("new_password1")
        if new and new == cleaned.get("old_password"):
            # Nothing would change, yet the address would be told it did.
            self.add_error(
                "new_password1",
                forms.ValidationError(
                    _("The new password is your current one: choose another."),
                    code="password_unchanged",
                ),
            )
        return cleaned


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """A superuser sets another person's password: the person's address hears of it."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if commit:
            # The password only: the whole row, as read when the form was posted, undid
            # what its person changed meanwhile (a new address, confirmed).
            user.save(update_fields=["password"])
            if user.has_usable_password():
                password_changed_notify(user=user, how="set", was_confirmed=user.email_confirmed)
        return user
