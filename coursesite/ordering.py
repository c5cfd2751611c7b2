"""Where a new row goes among its siblings (a course's modules, a module's lessons, a
rubric's criteria): after the last of them."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db.models import Max, Model


def next_order(model: type[Model], **parent) -> int:
    """The order after the last of MODEL's rows under PARENT, at most the largest the
    field holds: an order set at that largest (the API takes it) made every later add a
    500, its next one overflowing the column (probe 86)."""
    last = model.objects.filter(**parent).aggregate(last=Max("order"))["last"] or 0
    return min(last + 1, largest_order(model))


def largest_order(model: type[Model]) -> int:
    """The largest order MODEL's column takes (the database's range for its field)."""
    limits = [
        validator.limit_value
        for validator in model._meta.get_field("order").validators
        if isinstance(validator, MaxValueValidator)
    ]
    return min(limits, default=2**31 - 1)
