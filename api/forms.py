from __future__ import annotations

from django import forms

from coursesite.forms import PlainErrorsMixin

from .models import TokenLifetime, TokenScope


class TokenForm(PlainErrorsMixin, forms.Form):
    """A new personal access token, on the profile page (api.tokens.token_create checks it)."""

    name = forms.CharField(
        label="Token name",
        max_length=80,
        help_text="Where you use it, e.g. “roster sync” or “marks export”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="What your role allows, read only or also changes. Read only is safer.",
    )
    lifetime = forms.TypedChoiceField(
        label="Works for",
        choices=TokenLifetime.choices,
        coerce=int,
        initial=TokenLifetime.QUARTER,
        help_text="After that it stops working: make a new one then. Shorter is safer.",
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"),
            "Choose how long the token works: 30 days, 90 days or 1 year.",
        ),
    )
