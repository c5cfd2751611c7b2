"""The admins of site-wide records (groups, login logs, task results) are for
superusers: to an instructor an existing row and a missing one answer alike."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from access.tests.tenants import build_tenant
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MISSING = 999_999


@pytest.mark.parametrize("view", ["change", "history", "delete"])
@pytest.mark.parametrize("model", ["axes_accesslog", "auth_group"])
def test_an_instructor_learns_nothing_of_which_rows_exist(view, model):
    a = build_tenant("Apple")
    log = AccessLog.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="x", path_info="/accounts/login/"
    )
    group = Group.objects.create(name="Exam board")
    existing = {"axes_accesslog": log.pk, "auth_group": group.pk}[model]
    instructor = Client()
    instructor.force_login(a.instructor)
    for pk in (existing, MISSING):
        response = instructor.get(reverse(f"admin:{model}_{view}", args=[pk]))
        assert response.status_code == 403, (pk, response.status_code)
    root = Client()
    root.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert root.get(reverse(f"admin:{model}_{view}", args=[existing])).status_code == 200


SITE_WIDE = ["auth_group", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"]


def test_model_permissions_open_no_site_wide_list_nor_form_to_an_instructor():
    # Probe 80: an instructor given a few model permissions made a group of every
    # permission, read the site's failed logins and deleted them (lifting lockouts).
    a = build_tenant("Apple")
    a.instructor.is_staff = True
    a.instructor.save()
    a.instructor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["auth", "axes", "django_tasks_database"]
        )
    )
    attempt = AccessAttempt.objects.create(
        username="victim", ip_address="10.0.0.2", user_agent="x", failures_since_start=9
    )
    instructor = Client()
    instructor.force_login(a.instructor)
    for model in SITE_WIDE:
        assert instructor.get(reverse(f"admin:{model}_changelist")).status_code == 403, model
        add = instructor.get(reverse(f"admin:{model}_add"))
        assert add.status_code == 403, model
    refused = instructor.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert refused.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    created = instructor.post(
        reverse("admin:auth_group_add"), {"name": "Everything", "permissions": []}
    )
    assert created.status_code == 403
    assert not Group.objects.filter(name="Everything").exists()
    index = instructor.get(reverse("admin:index")).content.decode()
    for model in SITE_WIDE:
        assert reverse(f"admin:{model}_changelist") not in index, model
    assert reverse("admin:lessons_course_changelist") in index  # their own back office

    root = Client()
    root.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    for model in SITE_WIDE:
        assert root.get(reverse(f"admin:{model}_changelist")).status_code == 200, model
