from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        from coursesite import pagecache

        # Any write here may change what a page shows: retire the cached pages.
        pagecache.watch_app(self, exclude=("LessonCompletion",))
