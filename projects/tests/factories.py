from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from lessons.tests.factories import CourseFactory
from projects.models import Group, GroupMembership, ProjectAssignment, Submission


def make_zip(files: dict[str, bytes | str] | None = None) -> bytes:
    """Return the bytes of a zip archive holding FILES (path -> content)."""
    files = files or {"app.py": "print('hello')\n", "README.md": "# Project\n"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            # A fixed timestamp makes the bytes reproducible: tests may compare them.
            info = zipfile.ZipInfo(name, date_time=(2024, 9, 1, 12, 0, 0))
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class ProjectAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectAssignment

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Group project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    brief = "Build a small web application in a team."
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    min_group_size = 1
    max_group_size = 4
    is_published = True


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    assignment = factory.SubFactory(ProjectAssignmentFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(GroupFactory)
    assignment = factory.SelfAttribute("group.assignment")
    student = factory.SubFactory(UserFactory)


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    group = factory.SubFactory(GroupFactory)
    version = factory.Sequence(lambda n: n + 1)
    archive = factory.LazyFunction(lambda: ContentFile(make_zip(), name="project.zip"))
    archive_name = "project.zip"
    archive_size = factory.LazyAttribute(lambda s: s.archive.size)
