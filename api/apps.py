from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Public API"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one function (api/receivers.py).
        from . import receivers  # noqa: F401
