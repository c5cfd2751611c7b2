"""Ids and page numbers no database can hold: a 404 or a message, never a server error.

Ids come from URLs, query strings (admin filters, pages, sort keys) and hidden form
fields, so anyone can type 99999999999999999999999. SQLite's driver cannot bind an
integer past 64 bits and PostgreSQL's columns stop at 2**63 - 1 (2**31 - 1 for an
``order``), so each place is walked with such values on both databases. The Django
test client re-raises a view's exception, so a crash fails the test on its own.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter

from accounts.tests.factories import UserFactory
from coursesite.converters import MAX_ID, IdConverter, parse_id
from grading.tests.factories import grading_world
from lessons.models import Lesson, Module
from lessons.tests.factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
# A row cannot have these ids: past 64 bits, just past, the largest, and negatives.
HOSTILE_IDS = [HUGE, str(MAX_ID + 1), str(MAX_ID), "-1", "0", "1e3", "٣"]
HOSTILE_NUMBERS = [HUGE, str(MAX_ID + 1), "-" + HUGE, "-1", "0", "", "abc", "1.5", "9" * 5000]


def patterns(resolver=None, prefix=""):
    """Yield (route, pattern) for every URL of the site, the admin's included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def with_ids(route: str, value: str) -> str | None:
    """Return ROUTE with every id (and admin object id) set to VALUE, or None."""
    if "<id:" not in route and "<path:object_id>" not in route:
        return None
    url = re.sub(r"<id:\w+>|<path:object_id>", value, route)
    url = re.sub(r"<slug:\w+>", "pyweb", url)
    if "<" in url or "^" in url:
        return None
    return "/" + url


@pytest.fixture
def world(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    LessonFactory(module__course=world.course, slug="first-steps")
    return world


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_no_url_of_ours_matches_ids_with_the_unbounded_int_converter():
    unbounded = [
        route
        for route, pattern in patterns()
        if any(isinstance(c, IntConverter) for c in pattern.pattern.converters.values())
    ]
    assert unbounded == []
    bounded = [
        route
        for route, pattern in patterns()
        if any(isinstance(c, IdConverter) for c in pattern.pattern.converters.values())
    ]
    assert len(bounded) >= 17  # the walk reached the apps' and the admin's id routes


def walk_ids(client, routes, values) -> int:
    """GET and POST every route with every value as its ids; return the requests made."""
    tried = 0
    for route in routes:
        for value in values:
            url = with_ids(route, value)
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                tried += 1
                # The admin sends a missing object back to its index with a message; a
                # URL that does not match there gets a slash appended (301), then a 404.
                assert response.status_code in (301, 302, 403, 404, 405), (method, url, response)
                if "/admin/" not in url and response.status_code == 302:
                    location = response["Location"]
                    if method == "get" and "/login/" not in location:
                        # A POST-only action sends a GET to the page of its form (never
                        # a 405), which looks the id up in turn.
                        assert client.get(location).status_code in (200, 302, 403, 404), url
                    else:
                        assert "/login/" in location, url
    return tried


def id_routes(*, admin_site: bool) -> list[str]:
    return [
        route
        for route, _pattern in patterns()
        if with_ids(route, "1") and route.startswith("admin/") == admin_site
    ]


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_every_page_with_an_impossible_id_is_not_found(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert walk_ids(client, id_routes(admin_site=False), HOSTILE_IDS) >= 15 * 2 * len(HOSTILE_IDS)


def test_every_admin_page_with_an_impossible_object_id_is_not_found(client, world, root):
    client.force_login(root)
    # Not "٣": the admin reads it as 3, an object that exists.
    values = [HUGE, "1e3"]
    assert walk_ids(client, id_routes(admin_site=True), values) >= 50 * 2 * len(values)


def test_the_largest_id_reaches_the_view_and_one_more_does_not(client, world, alice):
    client.force_login(alice)
    response = client.get(f"/grading/assignments/{MAX_ID}/")
    assert response.status_code == 404 and response.resolver_match is not None
    assert client.get(f"/grading/assignments/{MAX_ID + 1}/").status_code == 404
    with pytest.raises(Resolver404):
        resolve(f"/grading/assignments/{MAX_ID + 1}/")
    assert reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}).endswith(
        f"/{world.assignment.pk}/"
    )


def admin_filter_queries(model_admin) -> list[str]:
    """Return hostile values for the page, sort, search and every filter of a list."""
    queries = [f"p={HUGE}", f"o={HUGE}", f"id__in={HUGE}", "q=%00"]
    for spec in model_admin.list_filter:
        name = spec[0] if isinstance(spec, tuple) else spec
        if not isinstance(name, str):
            continue  # a SimpleListFilter: its own parameter, tested with its view
        field = model_admin.model._meta.get_field(name.split("__")[0])
        if not field.is_relation:
            queries.append(f"{name}={HUGE}")
            continue
        for lookup in ("__id__exact", "__exact", "__in", "__gt"):
            queries.append(f"{name}{lookup}={HUGE}")
        queries.append(f"{name}__in=1,{HUGE}")
    return queries


def test_admin_lists_take_any_filter_value_without_a_server_error(client, world, root):
    client.force_login(root)
    tried = 0
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for query in admin_filter_queries(model_admin):
            response = client.get(f"{url}?{query}")
            tried += 1
            # 302 to "?e=1" is the admin's answer to a filter it does not accept.
            assert response.status_code in (200, 302, 400), (url, query, response.status_code)
    assert tried > 100


def test_an_admin_filter_on_an_impossible_course_lists_nothing(client, world, root):
    # With a single course the admin hides (and ignores) its course filter.
    ModuleFactory(course=CourseFactory(slug="other"))
    client.force_login(root)
    url = reverse("admin:lessons_module_changelist")
    for query in (f"course__id__exact={HUGE}", f"course__exact={HUGE}", f"course={HUGE}"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, query
        assert list(response.context["cl"].result_list) == [], query
    response = client.get(f"{url}?course__id__exact={world.course.pk}")
    listed = list(response.context["cl"].result_list)
    assert listed == list(Module.objects.filter(course=world.course))  # the filter works


def test_the_orm_answers_impossible_ids_with_no_rows(world):
    course = world.course
    modules = list(Module.objects.filter(course=course))
    assert modules
    big = int(HUGE)
    assert not Module.objects.filter(course=big).exists()
    assert not Module.objects.filter(course_id=big).exists()
    assert not Module.objects.filter(course__in=[big]).exists()
    assert not Module.objects.filter(pk__in=[big, -big]).exists()
    assert list(Module.objects.filter(course__in=[big, course.pk])) == modules
    assert list(Module.objects.filter(course_id__lt=big)) == list(Module.objects.all())
    assert not Module.objects.filter(course_id__gt=big).exists()
    assert list(Module.objects.filter(course_id__gt=-big)) == list(Module.objects.all())
    assert not Lesson.objects.filter(module__course_id=big).exists()
    # Excluding an impossible id excludes nothing.
    assert list(Module.objects.exclude(course=big)) == list(Module.objects.all())


def test_page_numbers_and_sort_keys_of_any_size_show_a_page(client, world, alice, grace):
    gradebook = reverse("grading:gradebook", kwargs={"slug": world.course.slug})
    csv_url = reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug})
    client.force_login(alice)
    for value in HOSTILE_NUMBERS:
        for query in (f"page={value}", f"sort=p{value}", f"sort=-p{value}", f"sort={value}"):
            assert client.get(f"{gradebook}?{query}").status_code == 200, query
            assert client.get(f"{csv_url}?{query}").status_code == 200, query
    client.force_login(grace)
    for value in HOSTILE_NUMBERS:
        for query in (f"page={value}", f"status={value}"):
            response = client.get(f"{reverse('grading:grader_queue')}?{query}")
            assert response.status_code == 200, query


def test_an_impossible_student_id_in_a_form_is_not_found(client, world, alice):
    client.force_login(alice)
    url = reverse("grading:override_mark", kwargs={"pk": world.assignment.pk})
    for value in HOSTILE_NUMBERS:
        response = client.post(url, {"student": value, "mark": "50", "reason": "x"})
        assert response.status_code in (302, 404), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), (HUGE, None), ("0", None)]
    + [("-1", None), ("", None), (None, None), ("abc", None), ("²", None), ("9" * 5000, None)],
)
def test_parse_id_accepts_only_what_a_row_can_have(value, expected):
    assert parse_id(value) == expected
