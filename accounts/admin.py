from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import AdminUserCreationForm
from .models import Role, User
from .services import user_set_site_role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = AdminUserCreationForm
    list_display = ("username", "email", "display_name", "is_staff", "site_roles", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "display_name", "password1", "password2"),
            },
        ),
    )
    actions = ("make_instructor", "make_grader", "make_student")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("site roles"))
    def site_roles(self, obj: User) -> str:
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    def _set_role(self, request, queryset, role: str) -> None:
        for user in queryset:
            user_set_site_role(user=user, role=role)
        self.message_user(
            request,
            f"{queryset.count()} user(s) are now {Role(role).label.lower()}s.",
            messages.SUCCESS,
        )

    @admin.action(description=_("Make the selected users instructors (admin access)"))
    def make_instructor(self, request, queryset):
        self._set_role(request, queryset, Role.INSTRUCTOR)

    @admin.action(description=_("Make the selected users graders"))
    def make_grader(self, request, queryset):
        self._set_role(request, queryset, Role.GRADER)

    @admin.action(description=_("Make the selected users students (no admin access)"))
    def make_student(self, request, queryset):
        self._set_role(request, queryset, Role.STUDENT)
