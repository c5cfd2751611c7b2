"""django-simple-history's admin, with object ids checked like Django's own admin pages.

``SimpleHistoryAdmin.history_view`` filters on the object id from the URL as typed,
so /admin/grading/review/1e3/history/ raised ValueError (a server error) where the
change page of the same URL answers "does not exist". An id that is not a valid
primary key is a page that does not exist.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history import admin as simple_history_admin


class SimpleHistoryAdmin(simple_history_admin.SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError as exc:
            raise Http404(f"No {self.model._meta.verbose_name} has the id {object_id!r}.") from exc
        return super().history_view(request, object_id, extra_context)
