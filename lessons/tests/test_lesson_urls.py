"""Outline links are built from one reversal per page, and match reverse() exactly."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from lessons.models import lesson_url_builder

COURSE = "python-web-development"


@pytest.mark.parametrize("slug", ["http-and-https", "a_b-9", "X"])
def test_built_urls_equal_reverse(slug):
    expected = reverse("lessons:lesson", kwargs={"course_slug": COURSE, "lesson_slug": slug})
    assert lesson_url_builder(COURSE)(slug) == expected


@pytest.mark.parametrize("slug", ["café", "with space", "a/b", ""])
def test_slugs_the_url_pattern_refuses_still_fail_as_reverse_does(slug):
    with pytest.raises(NoReverseMatch):
        reverse("lessons:lesson", kwargs={"course_slug": COURSE, "lesson_slug": slug})
    with pytest.raises(NoReverseMatch):
        lesson_url_builder(COURSE)(slug)
