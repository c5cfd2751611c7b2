"""Fixtures for the lessons tests: one small course with drafts at every level."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accounts.models import Role
from lessons.tests.factories import CourseFactory, EnrollmentFactory, LessonFactory, ModuleFactory


def build_course(*, slug: str = "pyweb", modules: int = 2, lessons_per_module: int = 3):
    """Return a published course with MODULES x LESSONS published lessons plus drafts.

    Drafts: one unpublished lesson in the first module and one unpublished module
    holding a published lesson; students must see neither.
    """
    course = CourseFactory(slug=slug, title=f"Course {slug}", is_published=True)
    published = []
    module_objs = []
    for m in range(1, modules + 1):
        module = ModuleFactory(course=course, order=m, title=f"Module {m}", slug=f"module-{m}")
        module_objs.append(module)
        for n in range(1, lessons_per_module + 1):
            published.append(
                LessonFactory(
                    module=module,
                    order=n,
                    title=f"Lesson {m}.{n}",
                    slug=f"{slug}-lesson-{m}-{n}",
                    body=f"## Part one\n\nText of lesson {m}.{n} about routing.\n\n## Part two\n",
                )
            )
    draft_lesson = LessonFactory(
        module=module_objs[0],
        order=lessons_per_module + 1,
        title="Draft lesson",
        slug=f"{slug}-draft-lesson",
        body="Secret draft about routing.",
        is_published=False,
    )
    draft_module = ModuleFactory(
        course=course, order=modules + 1, title="Draft module", slug="draft", is_published=False
    )
    hidden_lesson = LessonFactory(
        module=draft_module,
        order=1,
        title="Lesson in a draft module",
        slug=f"{slug}-hidden-lesson",
        body="Hidden text about routing.",
    )
    return SimpleNamespace(
        course=course,
        modules=module_objs,
        lessons=published,
        draft_lesson=draft_lesson,
        draft_module=draft_module,
        hidden_lesson=hidden_lesson,
    )


@pytest.fixture
def pyweb(db, alice, bob, grace):
    """The course, with alice teaching it, bob studying it and grace grading it."""
    data = build_course()
    EnrollmentFactory(user=alice, course=data.course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=data.course, role=Role.STUDENT)
    EnrollmentFactory(user=grace, course=data.course, role=Role.GRADER)
    return data


@pytest.fixture
def other_course(db, charlie):
    """A second course that charlie studies (and nobody else)."""
    data = build_course(slug="other")
    EnrollmentFactory(user=charlie, course=data.course, role=Role.STUDENT)
    return data
