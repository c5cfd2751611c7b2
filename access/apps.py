from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access policy and back office"


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the policy-driven site as ``admin.site``."""

    default = False  # listed by its full path in INSTALLED_APPS
    default_site = "access.backoffice.BackOfficeSite"

    def ready(self) -> None:
        super().ready()  # every app's admin module registered
        from django.contrib import admin

        from .backoffice import guard_site_wide_admins

        guard_site_wide_admins(admin.site)
