"""Search: PostgreSQL full-text on PostgreSQL, substring search elsewhere; only visible lessons."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from lessons.search import search_lessons, search_words, snippet
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [result.lesson.title for result in response.context["results"]]


def test_it_finds_lessons_by_body_with_a_highlighted_snippet(client, pyweb, bob):
    lesson = pyweb.lessons[1]
    lesson.body = "Sessions keep state. A **cookie** carries the session id between requests."
    lesson.save()
    client.force_login(bob)
    response = client.get(reverse("lessons:search"), {"q": "cookie"})
    assert titles(response) == [lesson.title]
    page = response.content.decode()
    assert "<mark>cookie</mark>" in page.lower()
    assert "1 result for" in page


def test_it_finds_lessons_by_title(client, pyweb, bob):
    client.force_login(bob)
    response = client.get(reverse("lessons:search"), {"q": "Lesson 2.3"})
    assert "Lesson 2.3" in titles(response)


def test_it_only_searches_lessons_the_user_may_see(client, pyweb, other_course, bob):
    client.force_login(bob)
    found = titles(client.get(reverse("lessons:search"), {"q": "routing"}))
    assert len(found) == 6
    assert "Draft lesson" not in found
    assert "Lesson in a draft module" not in found
    other_ids = {lesson.title for lesson in other_course.lessons}
    assert all(
        result.lesson.module.course == pyweb.course
        for result in client.get(reverse("lessons:search"), {"q": "routing"}).context["results"]
    ), other_ids


def test_instructors_also_find_their_drafts(client, pyweb, alice):
    client.force_login(alice)
    found = titles(client.get(reverse("lessons:search"), {"q": "routing"}))
    assert "Draft lesson" in found and "Lesson in a draft module" in found


def test_markup_in_lesson_text_is_escaped_in_snippets(client, pyweb, bob):
    lesson = pyweb.lessons[0]
    lesson.body = "Write `<b onclick=alert(1)>hello</b>` to greet the visitor."
    lesson.save()
    client.force_login(bob)
    page = client.get(reverse("lessons:search"), {"q": "greet"}).content.decode()
    assert "<b onclick" not in page
    assert "&lt;b onclick=alert(1)&gt;" in page


def test_an_empty_query_shows_the_form_only(client, pyweb, bob):
    client.force_login(bob)
    response = client.get(reverse("lessons:search"))
    assert response.status_code == 200
    assert response.context["results"] == []
    assert '<label class="form-label" for="id_q">' in response.content.decode()


def test_a_query_longer_than_200_characters_searches_its_beginning(client, pyweb, bob):
    # It searched nothing and showed an empty page, the box emptied.
    lesson = pyweb.lessons[1]
    lesson.body = "A cookie carries the session id."
    lesson.save()
    client.force_login(bob)
    response = client.get(reverse("lessons:search"), {"q": "cookie " + "x" * 300})
    assert response.status_code == 200
    assert (
        "result" in response.content.decode() and 'id="result-count"' in response.content.decode()
    )
    assert len(response.context["query"]) == 200


def test_the_substring_fallback_works_on_every_database(pyweb, bob):
    pyweb.lessons[0].body = "Blueprints split a Flask application."
    pyweb.lessons[0].save()
    results = search_words(bob, "BLUEPRINT flask")
    assert [r.lesson for r in results] == [pyweb.lessons[0]]
    assert "<mark>Blueprint</mark>" in results[0].snippet


def test_words_of_any_alphabet_are_found_in_any_case_on_every_database(pyweb, bob):
    """Probe 53: on SQLite, "введение" did not find "Введение", nor "übungen" "Übungen"
    (its lower() folds ASCII letters only)."""
    lesson = pyweb.lessons[0]
    lesson.title, lesson.body = "Введение", "Übungen zur Straße und Маршрутизация."
    lesson.save()
    for typed in ("введение", "ВВЕДЕНИЕ", "übungen", "STRAßE", "маршрутизация"):
        results = search_words(bob, typed)
        assert [r.lesson for r in results] == [lesson], typed


def test_the_database_search_uses_full_text_on_postgresql(pyweb, bob):
    lesson = LessonFactory(module=pyweb.modules[0], order=9, slug="orm", body="Models are queried.")
    results = search_lessons(bob, "query")
    if connection.vendor == "postgresql":
        # Stemming: "query" matches "queried", which a substring search cannot do.
        assert [r.lesson for r in results] == [lesson]
        assert "<mark>queried</mark>" in results[0].snippet
    else:
        assert results == []


def test_snippets_cut_long_text_around_the_match():
    text = "word " * 100 + "needle " + "word " * 100
    html = snippet(text, ["needle"])
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>needle</mark>" in html
    assert len(html) < 260


def test_search_follows_each_edit_and_ranks_titles_above_text(pyweb, bob):
    """On PostgreSQL the vector is stored with the lesson (lessons/migrations/0009):
    an edit of the title or the text must be what the next search sees."""
    first, second = pyweb.lessons[0], pyweb.lessons[1]
    first.body = "Cookies carry the session id."
    first.save()
    second.title = "Cookies and sessions"
    second.body = "Nothing else here."
    second.save()
    found = [result.lesson for result in search_lessons(bob, "cookies")]
    # The title match first, then the text match.
    assert found == [second, first]

    first.body = "Tokens carry the session id."
    first.save()
    second.title = "Sessions"
    second.save()
    assert [result.lesson for result in search_lessons(bob, "cookies")] == []
    assert [result.lesson for result in search_lessons(bob, "tokens")] == [first]


def test_words_are_matched_as_typed_wildcards_included(pyweb, bob):
    lesson = pyweb.lessons[0]
    lesson.body = "Return 100% of request.GET_params to the École des routes."
    lesson.save()
    for query in ("100%", "get_params", "ÉCOLE des", "École"):
        assert [r.lesson for r in search_words(bob, query)] == [lesson], query
    # "%" and "_" are characters here, not LIKE's wildcards.
    for query in ("100%x", "get%params", "getxparams", "e_ole"):
        assert search_words(bob, query) == [], query


def test_the_first_ten_words_of_a_query_are_searched(pyweb, bob):
    lesson = pyweb.lessons[0]
    lesson.body = "one two three four five six seven eight nine ten"
    lesson.save()
    ten = "TEN nine eight seven six five four three two one"
    assert [r.lesson for r in search_words(bob, ten)] == [lesson]
    assert [r.lesson for r in search_words(bob, f"{ten} eleven")] == [lesson]
    assert search_words(bob, "one two absent") == []
    # A word given twice is searched once: the rest of the query still counts.
    assert search_words(bob, "one one one absent") == []


def test_another_courses_instructor_and_grader_find_none_of_its_drafts(
    client, pyweb, other_course, alice, grace
):
    # Search is prepared per set of roles: the instructor and grader of the other course
    # find their own course's lessons only, drafts of pyweb neither.
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from lessons.tests.factories import EnrollmentFactory

    for role in (Role.INSTRUCTOR, Role.GRADER):
        outsider = UserFactory()
        EnrollmentFactory(user=outsider, course=other_course.course, role=role)
        client.force_login(outsider)
        found = client.get(reverse("lessons:search"), {"q": "routing"}).context["results"]
        courses = {result.lesson.module.course for result in found}
        assert courses == {other_course.course}, role
    client.force_login(alice)  # the course's own instructor still finds its drafts
    assert "Draft lesson" in titles(client.get(reverse("lessons:search"), {"q": "routing"}))


def test_quotes_and_punctuation_around_words_are_not_searched_for(client, pyweb, bob):
    """Probe 126: `"cookies"` found nothing where `cookies` found 8, `flask?` and
    `cookies, sessions` little; a lone `"` or `-` listed every lesson; `ORM -django`
    required "-django"; a right-to-left override reversed the page's sentence."""
    lesson = pyweb.lessons[0]
    lesson.body = "Cookies and sessions keep state in a web application built with pytest-django."
    lesson.save()
    client.force_login(bob)
    for query in ('"cookies"', "cookies, sessions", "web application?", '"web application"'):
        assert titles(client.get(reverse("lessons:search"), {"q": query})) == [lesson.title], query
    # A phrase is found whole: the words apart are not enough.
    assert search_words(bob, '"application web"') == []
    assert [r.lesson for r in search_words(bob, "pytest-django")] == [lesson]
    assert [r.lesson for r in search_words(bob, "cookies -django")] == [lesson]
    for query in ('"', "-", "_", "()", "🐍🐍"):
        page = client.get(reverse("lessons:search"), {"q": query})
        assert page.context["results"] == []
        assert "has no word to look for" in page.content.decode()
    shown = client.get(reverse("lessons:search"), {"q": "\u202ecookies"}).content.decode()
    assert "\u202e" not in shown and "for “<bdi>cookies</bdi>”" in shown
