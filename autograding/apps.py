from django.apps import AppConfig


class AutogradingConfig(AppConfig):
    name = "autograding"
    verbose_name = "Autograding"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one service (autograding/receivers.py).
        from . import receivers  # noqa: F401
