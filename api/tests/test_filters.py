"""The API's list filters that are more than a field lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from projects.models import Submission

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_submissions_filter_on_each_groups_latest_version(world):
    """``?latest=true`` was a 500 (a subquery of many rows), other spellings were ignored."""
    a, _b, _root = world
    first = a.submission_o
    second = Submission.objects.create(
        group=first.group,
        version=2,
        submitted_by=first.submitted_by,
        submitted_at=first.submitted_at + timedelta(hours=1),
        archive=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="project.zip"),
    )
    teacher = token_client(a.instructor)

    def versions(latest: str) -> set[int]:
        url = f"/api/v1/submissions/?group={first.group_id}&latest={latest}"
        response = teacher.get(url)
        assert response.status_code == 200, response.content
        return {row["version"] for row in response.json()["results"]}

    assert versions("true") == {second.version}
    assert versions("false") == {first.version}
    everyone = teacher.get("/api/v1/submissions/?latest=true&page_size=200").json()["results"]
    groups = [row["group"] for row in everyone]
    assert len(groups) == len(set(groups))  # one version a group
    assert first.pk not in {row["id"] for row in everyone}
