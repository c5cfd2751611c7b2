"""What names may hold: they are shown to teachers and teammates as they were typed."""

from __future__ import annotations

from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates: they reorder the text after them, so a name can
# read as another ("Bob\u202eecila" shows as "Bobalice"). The marks LRM and RLM and the
# joiners some scripts need (ZWJ, ZWNJ) stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_no_bidi_controls(value: str) -> None:
    if any(character in BIDI_CONTROLS for character in value):
        raise ValidationError(
            _(
                "Remove the invisible text-direction characters from this name: they "
                "change how it reads on the page."
            ),
            code="bidi_control",
        )


# New usernames in the Latin letters of ASCII: a Cyrillic "е" looks like the Latin "e",
# so "studеnt1" would pass for "student1" on every list. Display names keep every
# alphabet (they are people's names); the username beside them tells two apart.
validate_ascii_username = ASCIIUsernameValidator(
    message=_(
        "Use only the letters a-z and A-Z, digits and @ . + - _ in a username: letters of "
        "other alphabets can look the same as these and pass for someone else's."
    )
)
