"""Remembered URL reversals (coursesite/urlpaths.py) give what reverse() gives, always."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from coursesite.urlpaths import path_of


def test_the_same_paths_as_reverse_for_positional_and_named_arguments():
    assert path_of("lessons:dashboard") == reverse("lessons:dashboard")
    assert path_of("lessons:course", "web") == reverse("lessons:course", args=["web"])
    assert path_of("lessons:lesson", course_slug="web", lesson_slug="flask") == reverse(
        "lessons:lesson", kwargs={"course_slug": "web", "lesson_slug": "flask"}
    )
    assert path_of("projects:submission", pk=7) == "/projects/submissions/7/"
    # A second call answers from memory with the same text, arguments told apart.
    assert path_of("lessons:course", "web") == "/courses/web/"
    assert path_of("lessons:course", "web2") == "/courses/web2/"


def test_a_pattern_that_does_not_match_still_raises_every_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            path_of("lessons:course", "not a slug!")


def test_other_arguments_are_reversed_afresh():
    class Slug(str):
        pass

    assert path_of("lessons:course", Slug("web")) == "/courses/web/"


def test_a_script_prefix_and_a_new_urlconf_get_their_own_paths():
    assert path_of("lessons:dashboard") == "/dashboard/"
    set_script_prefix("/platform/")
    try:
        assert path_of("lessons:dashboard") == "/platform/dashboard/"
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="coursesite.tests.urls_elsewhere"):
        assert path_of("lessons:dashboard") == "/elsewhere/dashboard/"
    assert path_of("lessons:dashboard") == "/dashboard/"
