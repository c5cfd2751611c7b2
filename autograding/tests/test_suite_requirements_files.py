"""A suite's requirements.txt and groups.yaml as Windows editors and hurried people write them."""

from __future__ import annotations

import codecs
import html

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from autograding import environments
from autograding.folders import read_groups
from autograding.models import TestSuite

from .conftest import World, suite_add_form, zip_files

pytestmark = pytest.mark.django_db

TEST_FILE = "def test_ok():\n    pass\n"


def post_suite(world: World, requirements: bytes, typed: str = ""):
    client = Client()
    client.force_login(world.instructor)
    archive = zip_files(
        {"tests/test_ok.py": TEST_FILE.encode(), "tests/requirements.txt": requirements}
    )
    data = suite_add_form(world, SimpleUploadedFile("tests.zip", archive), typed)
    return client.post(reverse("admin:autograding_testsuite_add"), data)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(codecs.BOM_UTF8 + b"requests>=2.0\r\nsix\r\n", id="utf8-bom-notepad"),
        pytest.param("requests>=2.0\r\nsix\r\n".encode("utf-16"), id="utf16-powershell"),
        pytest.param(
            codecs.BOM_UTF16_BE + "requests>=2.0\nsix\n".encode("utf-16-be"), id="utf16-be"
        ),
        pytest.param(b"requests>=2.0\nsix\n", id="plain-utf8"),
    ],
)
def test_a_requirements_file_saved_by_windows_fills_the_suite(content):
    world = World()
    response = post_suite(world, content)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    suite = TestSuite.objects.get(assignment=world.assignment)
    # What is stored is the text pip's requirements are taken from, mark and all gone.
    assert "\ufeff" not in suite.requirements and "\x00" not in suite.requirements
    assert environments.clean_requirements(suite.requirements) == ["requests>=2.0", "six"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02\x03" * 64, "requirements.txt is not a text file"),
        (b"six\n" * (17 * 1024), "requirements.txt is over 64 KB"),
    ],
)
def test_a_requirements_file_that_is_no_list_of_packages_is_refused_in_words(content, message):
    world = World()
    response = post_suite(world, content)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert message in page
    assert not TestSuite.objects.filter(assignment=world.assignment).exists()


def test_a_bad_line_of_a_bom_file_is_named_by_its_own_number():
    world = World()
    response = post_suite(world, codecs.BOM_UTF8 + b"requests>=2.0\nflask>>>2\n")
    page = html.unescape(response.content.decode())
    assert "Line 2 (flask>>>2) is not a requirement" in page
    assert "Line 1" not in page


def test_a_groups_file_giving_a_key_twice_is_refused_with_its_line(tmp_path):
    (tmp_path / "test_ok.py").write_text(TEST_FILE)
    (tmp_path / "groups.yaml").write_text(
        "- name: API\n  tests: test_ok.py\n  points: 6\n  points: 60\n"
    )
    with pytest.raises(ValidationError) as caught:
        read_groups(tmp_path)
    assert caught.value.messages == ["groups.yaml, line 4: “points” is given twice."]


def test_another_courses_instructor_is_told_what_to_choose_and_nothing_is_saved(world):
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from lessons.tests.factories import CourseFactory, EnrollmentFactory

    other = UserFactory(username="bea")
    EnrollmentFactory(user=other, course=CourseFactory(slug="course-b"), role=Role.INSTRUCTOR)
    client = Client()
    client.force_login(other)
    archive = zip_files({"tests/test_ok.py": TEST_FILE.encode()})
    data = suite_add_form(world, SimpleUploadedFile("tests.zip", archive))
    response = client.post(reverse("admin:autograding_testsuite_add"), data)
    assert response.status_code == 200
    assert "Choose a project assignment of a course you teach." in html.unescape(
        response.content.decode()
    )
    assert not TestSuite.objects.filter(assignment=world.assignment).exists()


def test_a_replaced_or_deleted_suite_zip_leaves_the_server(
    world, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.db import transaction

    suite = world.suite({"test_ok.py": TEST_FILE})
    storage, first = suite.archive.storage, suite.archive.name
    assert storage.exists(first)
    # A change rolled back keeps the zip the suite still has.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            suite.archive.save("tests.zip", ContentFile(zip_files({"test_a.py": b""})))
            raise RuntimeError("the save failed further on")
    assert storage.exists(first)
    suite.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        suite.archive.save("tests.zip", ContentFile(zip_files({"test_b.py": TEST_FILE.encode()})))
    second = suite.archive.name
    assert second != first and storage.exists(second) and not storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        suite.delete()
    assert not storage.exists(second)


@pytest.mark.parametrize("typed", ["../../etc", "mysite/settings", "mysite.", "my site.settings"])
def test_a_settings_module_python_cannot_import_is_refused_when_saved(world, typed):
    """Probe 24: "../../etc" saved, then every student's run failed with "your project
    does not load", blaming the student for the suite's field."""
    client = Client()
    client.force_login(world.instructor)
    archive = zip_files({"tests/test_ok.py": TEST_FILE.encode()})
    data = {
        **suite_add_form(world, SimpleUploadedFile("tests.zip", archive)),
        "settings_module": typed,
    }
    response = client.post(reverse("admin:autograding_testsuite_add"), data)
    assert response.status_code == 200
    assert (
        "Give the module as Python imports it, such as mysite.settings."
        in response.content.decode()
    )
    assert not TestSuite.objects.filter(assignment=world.assignment).exists()
    data = {
        **suite_add_form(world, SimpleUploadedFile("tests.zip", archive)),
        "settings_module": "mysite.settings",
    }
    assert client.post(reverse("admin:autograding_testsuite_add"), data).status_code == 302
    assert TestSuite.objects.get(assignment=world.assignment).settings_module == "mysite.settings"
