from __future__ import annotations

import re

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import CanonicalEmailField
from accounts.models import User
from accounts.throttle import signup_taken_throttle
from accounts.validators import validate_ascii_username, validate_name
from coursesite.forms import PlainErrorsMixin

from .models import Course
from .services import course_for_key, typed_key


class EnrollmentKeyField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Enrollment key"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("Your instructor gives it out in class or by email."))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        # Before the length is checked: what was pasted around the key is not part of it.
        return typed_key(super().to_python(value))


class EnrollForm(PlainErrorsMixin, forms.Form):
    key = EnrollmentKeyField()

    @classmethod
    def showing(cls, data) -> EnrollForm:
        """Return an unchecked form that shows the key typed in DATA."""
        return cls(initial={"key": data.get("key", "")})

    def clean_key(self) -> str:
        key = typed_key(self.cleaned_data["key"])
        self.course = course_for_key(key)  # ValidationError lands on the field
        return key


EMAIL_TAKEN, TAKEN_SPENT = "email_taken", "taken_spent"


class SignupForm(PlainErrorsMixin, forms.Form):
    """Sign-up with a course key. TAKEN_SPENT: the network address has been told of
    too many taken addresses today (the view counts them: probe 76, a key holder listed
    who has an account here, as the profile no longer lets them)."""

    taken_spent = False
    count_taken = None  # the view's: counts a taken address, False once too many

    key = EnrollmentKeyField()
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters a-z, digits and . + - _ only."),
        validators=[validate_ascii_username],
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    # Cleaned into its canonical form before Django's checks: "X@LOCALHOST" or a
    # fullwidth letter read "Enter a valid email address." with no reason (probe 22).
    email = CanonicalEmailField(
        label=_("Email"),
        max_length=User._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        validators=[validate_name],
        help_text=_("How your name appears to teachers and teammates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    course: Course

    @classmethod
    def showing(cls, data) -> SignupForm:
        """Return an unchecked form that shows what was typed in DATA, passwords aside."""
        typed = ("key", "username", "email", "display_name")
        return cls(initial={name: data.get(name, "") for name in typed})

    def clean_key(self) -> str:
        key = typed_key(self.cleaned_data["key"])
        self.course = course_for_key(key)
        return key

    # Whether a username or an email address has an account is told only to people
    # holding a valid key (the key field is cleaned first): to anyone else the form
    # says nothing about who has an account.
    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if "key" not in self.cleaned_data:
            return username
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is taken. Choose another one."))
        return username

    def clean_email(self) -> str:
        from accounts.validators import canonical_email

        # Canonical before the check, so a look-alike of a taken address is taken too.
        email = canonical_email(self.cleaned_data["email"])
        if "key" not in self.cleaned_data:
            return email
        taken = User.objects.filter(email__iexact=email).exists()
        # A taken address is counted (in a locked row) before it is said: a burst of
        # requests passed the view's check together and told one more (probe 77).
        if self.taken_spent or (taken and self.count_taken is not None and not self.count_taken()):
            # Said whatever the address: "taken" or not would still tell which.
            raise ValidationError(
                _(
                    "Sign-ups from your network typed several addresses that already have "
                    "accounts: no address is taken here for %(wait)s. If you have an "
                    "account, log in; otherwise ask your instructor to enroll you."
                ),
                code=TAKEN_SPENT,
                params={"wait": signup_taken_throttle.wait},
            )
        if taken:
            raise ValidationError(
                _(
                    "An account already uses this email address. Log in and enroll with "
                    "the key from your dashboard instead."
                ),
                code=EMAIL_TAKEN,
            )
        return email

    def clean(self) -> dict:
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            probe = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                display_name=data.get("display_name", ""),
            )
            try:
                validate_password(password1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class SearchForm(PlainErrorsMixin, forms.Form):
    q = forms.CharField(
        label=_("Search lessons"),
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("e.g. cookies, blueprint, ORM")}),
    )

    def clean_q(self) -> str:
        # Longer words searched nothing and showed an empty page: the first 200
        # characters are searched (the page shows what was searched). Without the
        # characters that turn text's direction: shown back, a right-to-left override
        # reversed the page's sentence and title (probe 126).
        return _BIDI_CONTROLS.sub("", self.cleaned_data["q"][:200]).strip()
