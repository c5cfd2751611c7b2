from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .invitations import invitable, invitation_send
from .models import User
from .validators import validate_ascii_username, validate_no_bidi_controls


class LoginForm(auth_forms.AuthenticationForm):
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
        "inactive": _("This account is inactive. Ask your instructor to reactivate it."),
    }


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "first_name", "last_name", "email")
        help_texts = {"email": _("Used to sign in and to reset your password.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("display_name", "first_name", "last_name"):
            self.fields[name].validators.append(validate_no_bidi_controls)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError(_("Another account already uses this email address."))
        return email


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(validate_ascii_username)
        self.fields["display_name"].validators.append(validate_no_bidi_controls)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Send a reset link, or the invitation again to an account still waiting for one.

    Django sends nothing to an account without a usable password, so a student whose
    invitation expired would wait forever. The page answers alike whether an account
    exists, has a password or is invited: only the mailbox's owner learns which.
    """

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        email = self.cleaned_data["email"]
        for user in invitable(User.objects.filter(email__iexact=email)):
            invitation_send(user=user)
