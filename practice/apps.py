from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Quizzes and exercises"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one function (practice/receivers.py).
        from . import receivers  # noqa: F401
