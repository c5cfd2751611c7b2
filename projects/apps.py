from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Group projects and grading"

    def ready(self) -> None:
        from coursesite import pagecache

        # Any write here may change what a page shows: retire the cached pages.
        pagecache.watch_app(self)
