from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.core import checks

        from coursesite.checks import (
            emails_are_delivered,
            emails_reach_people,
            site_host_is_allowed,
        )

        from . import signals

        signals.connect()
        # The site's settings have no app of their own: their deploy checks live here.
        for check in (emails_reach_people, emails_are_delivered, site_host_is_allowed):
            checks.register(check, checks.Tags.security, deploy=True)
        # Tasks of workers that died, found by the workers still running (site-wide too).
        from django.tasks.signals import task_started

        from coursesite.lost_tasks import sweep_when_a_task_starts

        task_started.connect(sweep_when_a_task_starts, dispatch_uid="coursesite.lost_tasks")
        # Django's words for a NUL in a form field or an API text field named neither the
        # character nor what to do (probe 58): the validator's message, site-wide.
        from django.core.validators import ProhibitNullCharactersValidator

        from coursesite.forms import NUL_REFUSED

        ProhibitNullCharactersValidator.message = NUL_REFUSED
