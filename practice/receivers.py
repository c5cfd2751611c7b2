"""Where practice hears of other apps' events; each receiver calls one function."""

from __future__ import annotations

from django.dispatch import receiver

from accounts.history import rows_naming_requested
from accounts.personal_data import personal_data_requested

from . import selectors


@receiver(personal_data_requested, dispatch_uid="practice-personal-data")
def answers_of(sender, user, **kwargs) -> dict:
    return selectors.personal_data_of(user)


@receiver(rows_naming_requested, dispatch_uid="practice-rows-naming")
def answers_and_tries_of(sender, person, **kwargs) -> list:
    return selectors.rows_naming(person)
