from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access policy and back office"


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the policy-driven site as ``admin.site``."""

    default = False  # listed by its full path in INSTALLED_APPS
    default_site = "access.backoffice.BackOfficeSite"
