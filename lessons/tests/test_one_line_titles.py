"""Titles and terms stay one line of visible text, however they are typed.

A tab, an escape code, a line break or a text-direction override in a course's title
read wrongly on every page (or as another title), and the course exported to a folder
that ``import_course`` refused. The back office, the API and the copy form refuse them
alike, each in words.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from api.tests.conftest import token_client
from lessons import bundle
from lessons.models import Course, Lesson, Module, validate_one_line
from lessons.services import course_export, course_import
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

# What a paste brings along: (case, character).
HIDDEN = [
    ("tab", "\t"),
    ("escape", "\x1b"),
    ("bell", "\x07"),
    ("line break", "\n"),
    ("line separator", "\u2028"),
    ("right-to-left override", "\u202e"),
    ("first strong isolate", "\u2068"),
]
CASES = [pytest.param(char, id=case) for case, char in HIDDEN]
# Titles people write, in any alphabet: kept as typed.
FINE = ["Python pour le Web", "Web-Entwicklung: Ü & ß", "שלום עולם", "Python 🐍 2025", "ウェブ"]


def _post_admin_form(client, url: str, form_id: str, **changes):
    data = form_data(client.get(url).content.decode(), form_id)
    data.update({name: [value] for name, value in changes.items()})
    return client.post(url, data)


@pytest.mark.parametrize("char", CASES)
def test_the_back_office_refuses_hidden_characters_in_titles_and_terms(client, pyweb, alice, char):
    client.force_login(alice)
    course, module, lesson = pyweb.course, pyweb.modules[0], pyweb.lessons[0]
    forms = [
        ("course", course, "course_form", {"title": f"Web{char}Apps"}),
        ("course", course, "course_form", {"term": f"2025{char}2026"}),
        ("course", course, "course_form", {"code": f"PY{char}WEB"}),  # probe 42
        ("module", module, "module_form", {"title": f"Tables{char}Joins"}),
        ("lesson", lesson, "lesson_form", {"title": f"Routing{char}Views"}),
    ]
    for model, obj, form_id, changes in forms:
        url = reverse(f"admin:lessons_{model}_change", args=[obj.pk])
        response = _post_admin_form(client, url, form_id, **changes)
        assert response.status_code == 200, (model, changes)
        page = response.content.decode()
        assert f"(U+{ord(char):04X}" in page, (model, changes)
        assert "Retype the text rather than pasting it." in page
    for obj, before in ((course, course.title), (module, module.title), (lesson, lesson.title)):
        obj.refresh_from_db()
        assert obj.title == before
    assert course.term == "2024-2025" and course.code == "PYWEB"


def test_the_back_office_keeps_titles_in_any_alphabet(client, pyweb, alice):
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[pyweb.lessons[0].pk])
    for title in FINE:
        response = _post_admin_form(client, url, "lesson_form", title=title)
        assert response.status_code == 302, title
        assert Lesson.objects.get(pk=pyweb.lessons[0].pk).title == title


@pytest.mark.parametrize("char", CASES)
def test_the_api_refuses_hidden_characters_in_titles(pyweb, alice, char):
    api = token_client(alice)
    course, module, lesson = pyweb.course, pyweb.modules[0], pyweb.lessons[0]
    for path, field in (
        (f"/api/v1/courses/{course.pk}/", "title"),
        (f"/api/v1/courses/{course.pk}/", "term"),
        (f"/api/v1/courses/{course.pk}/", "code"),
        (f"/api/v1/modules/{module.pk}/", "title"),
        (f"/api/v1/lessons/{lesson.pk}/", "title"),
    ):
        response = api.patch(path, {field: f"Web{char}Apps"}, content_type="application/json")
        assert response.status_code == 400, (path, field, response.content)
        assert f"U+{ord(char):04X}" in response.content.decode(), (path, field)
    course.refresh_from_db()
    assert (course.title, course.term, course.code) == ("Course pyweb", "2024-2025", "PYWEB")
    assert Module.objects.get(pk=module.pk).title == module.title
    assert Lesson.objects.get(pk=lesson.pk).title == lesson.title
    # A title as people write it is saved.
    response = api.patch(
        f"/api/v1/courses/{course.pk}/", {"title": "שלום Web"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert Course.objects.get(pk=course.pk).title == "שלום Web"


def test_the_api_refuses_an_instructor_of_another_course_before_any_check(pyweb):
    other = CourseFactory(title="Databases", slug="databases")
    outsider = token_client(EnrollmentFactory(course=other, role=Role.INSTRUCTOR).user)
    for title in ("Taken over", "Taken\u202eover"):
        response = outsider.patch(
            f"/api/v1/courses/{pyweb.course.pk}/", {"title": title}, content_type="application/json"
        )
        assert response.status_code in (403, 404)
    assert Course.objects.get(pk=pyweb.course.pk).title == "Course pyweb"


@pytest.mark.parametrize("char", CASES)
def test_the_copy_form_refuses_hidden_characters_and_keeps_the_rest(client, pyweb, alice, char):
    client.force_login(alice)
    url = reverse("admin:lessons_course_copy", args=[pyweb.course.pk])
    typed = {"title": "Python for Web", "slug": "pyweb-2025", "term": "2025-2026"}
    for field in ("title", "term"):
        data = {**typed, "shift_weeks": 52, field: f"20{char}25"}
        response = client.post(url, data)
        assert response.status_code == 200, field
        page = response.content.decode()
        assert f"(U+{ord(char):04X}" in page, field
        assert 'value="pyweb-2025"' in page  # what was valid stays typed
    assert not Course.objects.filter(slug="pyweb-2025").exists()


def test_the_copy_form_is_for_the_courses_instructors_only(client, pyweb, bob):
    other = CourseFactory(title="Databases", slug="databases")
    teacher = EnrollmentFactory(course=other, role=Role.INSTRUCTOR).user
    url = reverse("admin:lessons_course_copy", args=[pyweb.course.pk])
    data = {"title": "Mine", "slug": "mine", "term": "2025-2026", "shift_weeks": 52}
    client.force_login(teacher)
    assert client.post(url, data).status_code == 404
    client.force_login(bob)  # a student of the course: the back office is not theirs
    assert client.post(url, data).status_code == 302
    assert not Course.objects.filter(slug="mine").exists()


def test_a_title_the_site_accepts_exports_to_a_folder_that_imports(pyweb, tmp_path):
    course = pyweb.course
    course.title, course.term = "Web 🐍 שלום", "2025-2026"
    course.full_clean()
    course.save()
    course_export(course=course, path=tmp_path / "bundle")
    report = course_import(path=tmp_path / "bundle", slug="pyweb-again")
    assert report.course.title == "Web 🐍 שלום"


def test_a_folder_whose_title_holds_a_direction_override_is_not_imported(pyweb, tmp_path):
    course_export(course=pyweb.course, path=tmp_path / "bundle")
    course_file = tmp_path / "bundle" / "course.md"
    text = course_file.read_text(encoding="utf-8")
    course_file.write_text(
        text.replace(f"title: {pyweb.course.title}", "title: Web \u202eevil", 1), encoding="utf-8"
    )
    with pytest.raises(bundle.BundleError) as refused:
        course_import(path=tmp_path / "bundle", slug="pyweb-again")
    assert "U+202E" in str(refused.value)
    assert not Course.objects.filter(slug="pyweb-again").exists()


def test_whatever_an_exported_file_may_not_hold_a_title_may_not_either():
    controls = (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0xD800)
    for char in map(chr, controls):
        assert bundle.bad_character(f"a{char}b", one_line=True) == char
        with pytest.raises(ValidationError, match="on one line"):
            validate_one_line(f"a{char}b")
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        with pytest.raises(ValidationError, match="text-direction"):
            validate_one_line(f"a{char}b")
        # A folder to import is refused it too: the back office would refuse the title
        # it brought at the first save.
        assert bundle.bad_character(f"a{char}b", one_line=True) == char
        assert bundle.bad_character(f"a{char}b", one_line=False) is None  # lesson bodies
    for title in FINE + ["Zero\u200dwidth joiner", "Mark\u200fed"]:
        validate_one_line(title)


@pytest.mark.parametrize("char", CASES)
def test_project_and_criterion_titles_are_one_line_too(char):
    """A project's and a rubric criterion's titles show on students' and graders' pages
    and in CSV headers: the same check as the course's, wherever they are saved."""
    from grading.models import Criterion
    from projects.models import ProjectAssignment

    for model in (ProjectAssignment, Criterion):
        field = model._meta.get_field("title")
        with pytest.raises(ValidationError):
            field.clean(f"Team{char}project", None)
        assert field.clean("Équipe 🐍 project", None) == "Équipe 🐍 project"
