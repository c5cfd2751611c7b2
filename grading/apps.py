from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one service (grading/receivers.py).
        from . import receivers  # noqa: F401
