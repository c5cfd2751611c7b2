from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class GroupNameFilter(admin.SimpleListFilter):
    """Filter by typing part of a group's name.

    A list of every group would grow with the course (thousands of links at scale);
    a text box stays one line whatever the number of groups.
    """

    title = _("group")
    parameter_name = "group_name"
    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        # Django shows a filter only when it has choices; the box is the one choice.
        return ((None, ""),)

    def choices(self, changelist):
        # The template needs the other active parameters to keep them in its form.
        query = changelist.get_filters_params()
        query.pop(self.parameter_name, None)
        yield {"value": self.value() or "", "keep": sorted(query.items())}

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(group__name__icontains=self.value().strip())
        return queryset
