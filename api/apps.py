from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Public API"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one function (api/receivers.py); the
        # schema module registers drf-spectacular's extensions for our fields and filters.
        from . import receivers, schema  # noqa: F401
