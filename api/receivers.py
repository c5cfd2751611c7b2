"""Where the API hears of accounts' events; each receiver calls one function of tokens.py."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver

from accounts.personal_data import personal_data_requested

from .tokens import personal_data_of, tokens_revoke_all


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="api-revoke-tokens")
def revoke_tokens_when_locked_out(sender, instance, update_fields=None, **kwargs) -> None:
    # Whatever set a new password (set_password, a reset, the back office's "disable
    # password-based authentication", which locks a compromised account out), or closed
    # the account (reopened later, its old tokens worked again: probe 110): compared with
    # the row, as a save that cannot change either skips the read.
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    if instance.is_active and instance._password is None and instance.has_usable_password():
        # Not set_password(): Django's login re-hashing the same password with the
        # preferred hasher (after an upgrade), which revoked every token of its owner.
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    if stored is None:
        return
    password, was_active = stored
    if password != instance.password or (was_active and not instance.is_active):
        tokens_revoke_all(user_id=instance.pk)


@receiver(personal_data_requested, dispatch_uid="api-personal-data")
def tokens_of(sender, user, **kwargs) -> dict:
    return personal_data_of(user)
