from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.core import checks

        from coursesite.checks import emails_reach_people

        from . import signals

        signals.connect()
        # The site's settings have no app of their own: their deploy checks live here.
        checks.register(emails_reach_people, checks.Tags.security, deploy=True)
