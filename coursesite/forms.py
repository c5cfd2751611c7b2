"""Error messages of the site's forms in words a student reads without a manual.

Django's defaults ("This field is required.", "Ensure this value is less than or equal
to 40.00.") name no field and speak of values; shown in a list or read by a screen
reader they say nothing of which field is wrong. The site's forms (not the back
office's) take ``PlainErrorsMixin`` first in their bases.
"""

from __future__ import annotations

from functools import cache

from django import forms

_NUMBERS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _named(field: forms.Field, name: str) -> str:
    """Return the field's label as it reads inside a sentence ("the join code")."""
    label = str(field.label or name.replace("_", " ").capitalize())
    # "Display name" -> "display name"; an acronym or a name ("URL", "GitHub") stays.
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def plain_messages(field: forms.Field, name: str) -> dict[str, str]:
    """Return the messages FIELD (named NAME) shows instead of Django's, by error code."""
    label = _named(field, name).replace("%", "%%")  # the messages are %-formatted
    if isinstance(field, forms.BooleanField):
        messages = {"required": "Tick this box to go on."}
    elif isinstance(field, forms.FileField):
        return {"required": "Choose a file to upload.", "empty": "This file is empty."}
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        messages = {
            "required": f"Choose {label}.",
            "invalid_choice": f"Choose one of the options offered for {label}.",
        }
    else:
        messages = {"required": f"Enter {label}."}
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
