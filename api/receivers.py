"""Where the API hears of accounts' events; each receiver calls one function of tokens.py."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver

from .tokens import tokens_revoke_all


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="api-revoke-tokens")
def revoke_tokens_on_new_password(sender, instance, **kwargs) -> None:
    # set_password() keeps the new password in _password until the save; every way of
    # changing one goes through it (the site's forms, a reset, the back office, manage.py).
    if instance.pk is not None and getattr(instance, "_password", None) is not None:
        tokens_revoke_all(user_id=instance.pk)
