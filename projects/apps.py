from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Group projects"

    def ready(self) -> None:
        # Hooks, not logic: each receiver calls one service (projects/receivers.py).
        from . import receivers  # noqa: F401
