"""The admins of site-wide records (groups, login logs, task results) are for
superusers: to an instructor an existing row and a missing one answer alike."""

from __future__ import annotations

import pytest
from axes.models import AccessLog
from django.contrib.auth.models import Group
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
