from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        # Site-wide: an id too large for any column matches no row instead of crashing
        # the database driver (see coursesite/lookups.py).
        from django.db.models.signals import post_delete

        from coursesite import lookups

        from .models import LessonAttachment, attachment_file_delete

        lookups.register()
        post_delete.connect(attachment_file_delete, sender=LessonAttachment, dispatch_uid="lessons")
        from django.db.backends.signals import connection_created

        from .search import register_casefold

        connection_created.connect(register_casefold, dispatch_uid="lessons.casefold")

        from . import receivers  # noqa: F401  hooks, not logic (lessons/receivers.py)
