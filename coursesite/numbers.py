"""Numbers as people type them: digits 0-9, a sign, a decimal point (and an exponent,
as "1e2" is read everywhere).

Python's ``Decimal``, behind Django's and DRF's decimal fields, also reads "1_0" as
10 and digits of other scripts ("٣٠", fullwidth "１５") as numbers: a score typed
"1_0" by mistake was saved as 10 points.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_plain_number(value: object) -> bool:
    return bool(_PLAIN.fullmatch(str(value).strip()))


class PlainDecimalField(forms.DecimalField):
    def to_python(self, value):
        if value not in self.empty_values and not is_plain_number(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PlainDecimalSerializerField(serializers.DecimalField):
    def to_internal_value(self, data):
        # JSON numbers arrive as float or int: their text is plain, or "inf"/"1e+999".
        if isinstance(data, (str, int, float)) and not is_plain_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)
