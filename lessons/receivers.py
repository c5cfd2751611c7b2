"""Where lessons hears of other apps' events; each receiver calls one function."""

from __future__ import annotations

from django.dispatch import receiver

from accounts.history import rows_naming_requested
from accounts.personal_data import personal_data_requested

from . import selectors


@receiver(personal_data_requested, dispatch_uid="lessons-personal-data")
def courses_and_progress_of(sender, user, **kwargs) -> dict:
    return selectors.personal_data_of(user)


@receiver(rows_naming_requested, dispatch_uid="lessons-rows-naming")
def enrollments_of(sender, person, **kwargs) -> list:
    return selectors.rows_naming(person)
