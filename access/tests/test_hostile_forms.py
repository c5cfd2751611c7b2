"""Hostile values in every form and query parameter of the site: never a server error,
never a script echoed back as markup."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

from .matrix import body, client_for, persona_user
from .tenants import build_tenant
from .test_site_matrix import routes

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
HOSTILE = (
    "\x00",
    "A" * 100_000,
    "-1",
    "99999999999999999999999999999",
    "1e309",
    "NaN",
    SCRIPT,
    "\u202egnp.exe",
    "   ",
    "../../../../etc/passwd",
)
# Query parameters the site reads, on every page that has any.
QUERY = ("page", "sort", "status", "q", "path")
# Forms of one's own account, beside the course routes of the matrix.
ACCOUNT_FORMS = {
    "accounts:profile": {"display_name": "Me", "first_name": "", "last_name": "", "email": ""},
    "lessons:enroll": {"key": "nope"},
}


@pytest.fixture
def world(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    return a, b, UserFactory(username="root", is_superuser=True)


def _first_allowed(personas) -> str:
    order = ("student_a", "grader_a", "instructor_a", "superuser")
    return next(name for name in order if name in personas)


def test_every_form_takes_hostile_values_without_failing(world):
    a, b, superuser = world
    failures = []
    forms = [(r.name, r.kwargs, r.data, _first_allowed(r.post)) for r in routes(a, b) if r.post]
    forms += [(name, {}, data, "student_a") for name, data in ACCOUNT_FORMS.items()]
    for name, kwargs, data, persona in forms:
        client = client_for(persona_user(persona, a, b, superuser))
        url = reverse(name, kwargs=kwargs)
        fields = data or {"field": ""}
        for field in fields:
            for value in HOSTILE:
                response = client.post(url, {**data, field: value})
                if response.status_code >= 500:
                    failures.append(f"POST {name} {field}={value[:20]!r}: {response.status_code}")
                elif SCRIPT in body(response):
                    failures.append(f"POST {name} {field}: the script came back as markup")
    assert not failures, "\n".join(failures)


def test_every_page_takes_hostile_query_parameters(world):
    a, b, superuser = world
    failures = []
    for route in routes(a, b):
        if not route.get:
            continue
        client = client_for(persona_user(_first_allowed(route.get), a, b, superuser))
        url = reverse(route.name, kwargs=route.kwargs)
        for value in HOSTILE:
            response = client.get(url, dict.fromkeys(QUERY, value))
            if response.status_code >= 500:
                failures.append(f"GET {route.name} ?{value[:20]!r}: {response.status_code}")
            elif SCRIPT in body(response):
                failures.append(f"GET {route.name}: the script came back as markup")
    assert not failures, "\n".join(failures)
