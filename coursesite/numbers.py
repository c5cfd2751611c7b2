"""Numbers as people type them: digits 0-9, a sign, a decimal point (and an exponent,
as "1e2" is read everywhere).

Python's ``Decimal``, behind Django's and DRF's decimal fields, also reads "1_0" as
10 and digits of other scripts ("٣٠", fullwidth "１５") as numbers: a score typed
"1_0" by mistake was saved as 10 points.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# What the API's schema says a number sent as a string is (PlainDecimalFieldExtension):
# digits and a point, nothing around them (a minus is read, to be told the minimum).
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def is_plain_number(value: object) -> bool:
    return bool(_PLAIN.fullmatch(str(value).strip()))


def without_trailing_zeros(value: Decimal) -> Decimal:
    """Return VALUE without the zeros that end its decimals ("0.330" is 0.33, "7.00" is 7):
    they say nothing of its precision to a grader, who was told "at most 2 decimals" of
    0.330 (probe 64). An exponent's form is kept as it is ("1E+2")."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    kept = list(digits)
    while exponent < 0 and kept and kept[-1] == 0:
        kept.pop()
        exponent += 1
    return Decimal((sign, tuple(kept) or (0,), exponent))


def decimal_places_of(value: Decimal) -> int:
    """Return how many digits VALUE has after its point, as typed ("7.50": 2)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def decimals_to_say(value: Decimal, places: int | None, low, high) -> bool:
    """Return whether VALUE's fault is its decimals: more than PLACES, while in the
    range LOW-HIGH (out of it, the range is what to fix first). Django and DRF count
    all the digits first: 10.123456789 of 40 points was told it was out of range."""
    in_range = (low is None or value >= low) and (high is None or value <= high)
    return places is not None and decimal_places_of(value) > places and in_range


class PlainDecimalField(forms.DecimalField):
    def to_python(self, value):
        if isinstance(value, str) and not value.strip():
            value = ""  # spaces only: left empty, as an empty field (probe 95)
        if value not in self.empty_values and not is_plain_number(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = super().to_python(value)
        return number if number is None else without_trailing_zeros(number)

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and decimals_to_say(
            value, self.decimal_places, self.min_value, self.max_value
        ):
            raise ValidationError(
                self.error_messages["max_decimal_places"],
                code="max_decimal_places",
                params={"max": self.decimal_places, "value": value},
            )


class PlainDecimalSerializerField(serializers.DecimalField):
    # In the site's words (DRF's said "Ensure that there are no more than 6 digits in
    # total." of 1e-400 points).
    default_error_messages = {
        "invalid": "Give a number, such as 7 or 7.5.",
        "max_value": "Give a value of at most {max_value}.",
        "min_value": "Give a value of at least {min_value}.",
        "max_digits": "Give at most {max_digits} digits in all.",
        "max_decimal_places": "Give at most {max_decimal_places} decimals, such as 7.25.",
        "max_whole_digits": "Give at most {max_whole_digits} digits before the decimal point.",
    }

    def to_internal_value(self, data):
        # JSON numbers arrive as float or int: their text is plain, or "inf"/"1e+999".
        if isinstance(data, (int, float)) and not is_plain_number(data):
            self.fail("invalid")
        # A string is plain digits, as the schema says: "+5", "8.5 " or "1e1" were read
        # where a client following its pattern would have been refused them.
        if isinstance(data, str) and data:
            if not _DIGITS.fullmatch(data.removeprefix("-")):
                self.fail("invalid")
            if data.startswith("-") and self.min_value is not None and self.min_value >= 0:
                self.fail("min_value", min_value=self.min_value)  # "-0" too
        return super().to_internal_value(data)

    def validate_precision(self, value):
        value = without_trailing_zeros(value)
        if decimals_to_say(value, self.decimal_places, self.min_value, self.max_value):
            self.fail("max_decimal_places", max_decimal_places=self.decimal_places)
        return super().validate_precision(value)
