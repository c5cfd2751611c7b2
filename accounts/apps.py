from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import signals
        from .roles import sync_role_groups

        signals.connect()

        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
