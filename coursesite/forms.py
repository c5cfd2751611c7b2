"""Error messages of the site's forms in words a student reads without a manual.

Django's defaults ("This field is required.", "Ensure this value is less than or equal
to 40.00.") name no field and speak of values; shown in a list or read by a screen
reader they say nothing of which field is wrong. The site's forms (not the back
office's) take ``PlainErrorsMixin`` first in their bases.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache

from django import forms
from django.core.exceptions import ValidationError

_NUMBERS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _named(field: forms.Field, name: str) -> str:
    """Return the field's label as it reads inside a sentence ("join code")."""
    label = str(field.label or name.replace("_", " ").capitalize()).strip()
    if label[-1:] in ("?", ".", ":", "!"):
        # A question or a sentence ("Why should it be regraded?") names nothing to enter
        # or keep short: the answer is the person's own, named by the field.
        return "your " + name.replace("_", " ").strip()
    label = label.removesuffix("(optional)").strip()
    # "Display name" -> "display name"; an acronym or a name ("URL", "GitHub") stays.
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _number(value) -> str | None:
    """Return VALUE, a field's bound, as a message writes it ("100", "7.5"); None for a
    bound that is not a plain number (a callable)."""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError, TypeError):
        return None


def plain_messages(field: forms.Field, name: str) -> dict[str, str]:
    """Return the messages FIELD (named NAME) shows instead of Django's, by error code."""
    named = _named(field, name)
    # The messages of the checks are %-formatted with their limits; "required" is not.
    label = named.replace("%", "%%")
    if isinstance(field, forms.BooleanField):
        messages = {"required": "Tick this box to go on."}
    elif isinstance(field, forms.FileField):
        return {"required": "Choose a file to upload.", "empty": "This file is empty."}
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        messages = {
            "required": f"Choose {named}.",
            "invalid_choice": f"Choose one of the options offered for {label}.",
        }
    else:
        messages = {"required": f"Enter {named}."}
    if getattr(field, "max_length", None) is not None:
        messages["max_length"] = (
            f"Keep {label} to %(limit_value)d characters or fewer (it has %(show_value)d)."
        )
    if getattr(field, "min_length", None) is not None:
        messages["min_length"] = (
            f"Make {label} at least %(limit_value)d characters long (it has %(show_value)d)."
        )
    if isinstance(field, _NUMBERS):
        messages["invalid"] = "Enter a number, such as 7 or 7.5."
        messages["max_value"] = f"Give {label} a value of at most %(limit_value)s."
        messages["min_value"] = f"Give {label} a value of at least %(limit_value)s."
    if isinstance(field, forms.DecimalField):
        messages["max_decimal_places"] = "Use at most %(max)s decimal places."
        messages["max_digits"] = "Use at most %(max)s digits in all."
        messages["max_whole_digits"] = "Use at most %(max)s digits before the decimal point."
    low = _number(getattr(field, "min_value", None))
    high = _number(getattr(field, "max_value", None))
    if isinstance(field, _NUMBERS) and low is not None and high is not None:
        # One message naming the range, whichever check a number out of it fails first
        # (too large is also too many digits): PlainErrorsMixin keeps it once.
        between = f"Give {label} a value between {low} and {high}."
        for code in ("min_value", "max_value", "max_digits", "max_whole_digits"):
            messages[code] = between
    return messages


@cache
def _defaults(field_class: type[forms.Field]) -> dict[str, object]:
    """Django's messages for FIELD_CLASS, as ``Field.__init__`` gathers them."""
    messages: dict[str, object] = {}
    for cls in reversed(field_class.__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


class PlainErrorsMixin:
    """Give the form's fields the messages of ``plain_messages`` when it is checked, so
    fields a form adds in its ``__init__`` get them too. A message a field was given
    (``error_messages=``) stays its own."""

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            defaults = _defaults(type(field))
            for code, message in plain_messages(field, name).items():
                current = field.error_messages.get(code)
                if current is None or current is defaults.get(code):
                    field.error_messages[code] = message
        super().full_clean()
        # A number out of range fails two checks with the same message (above its
        # maximum, and too many digits): say it once.
        for errors in self._errors.values():
            seen: set[tuple[str, ...]] = set()
            unique = []
            for error in errors.data:
                text = tuple(ValidationError(error).messages)
                if text not in seen:
                    seen.add(text)
                    unique.append(error)
            errors.data[:] = unique

    def error_text(self) -> str:
        """Return the form's errors as sentences, for the message above the page."""
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


# Every form field and API text field refuses a NUL (Django's validator): said in these
# words rather than Django's "Null characters are not allowed." (accounts/apps.py).
NUL_REFUSED = (
    "This text holds an invisible control character (NUL, U+0000), which often comes "
    "with text pasted from a file that is not text. Remove it, or type the text again, "
    "and send it again."
)


def refuse_undecoded(value: str) -> None:
    """Refuse "\ufffd" in text sent with files (multipart): Django puts it where the bytes
    sent were not UTF-8, and saved the text so (url-encoded forms are refused whole by
    ``coursesite.middleware.UndecodableFormMiddleware``)."""
    if "\ufffd" in value:
        raise ValidationError(
            "This text holds “\ufffd”, the mark of characters that could not be read. "
            "Remove it, or type the text again, and send it again.",
            code="undecodable",
        )
