from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        # Site-wide: an id too large for any column matches no row instead of crashing
        # the database driver (see coursesite/lookups.py).
        from coursesite import lookups

        lookups.register()
