"""Fixtures of the group project's tests, and what they know about any Django project.

The brief lets each team choose its subject, so these tests check only what it asks
of every project, whatever it is about: it starts, its models are in the admin,
visitors sign up and log in, one page answers JSON, nothing crashes, and the
repository says how to run and test it. They find the team's apps, models and pages
by looking at the project, never by expecting a name.

The autograder runs pytest from the project's root (the folder holding manage.py),
with the project's settings.
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

PROJECT = Path.cwd().resolve()
REGEX_SPECIALS = set("()[]{}?*+\\|.$^")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Django's default hasher takes about half a second per password, on purpose;
    # tests need a hasher, not a slow one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def own_models():
    """The models of the team's own apps (those whose folder is inside the project)."""
    return [
        model
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(PROJECT)
        for model in config.get_models()
    ]


def _literal(pattern) -> str | None:
    """The text of a URL pattern that takes no argument, None for one that does."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return None if "<" in text else text
    text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    return None if REGEX_SPECIALS & set(text) else text


def _paths(resolver, prefix: str):
    for entry in resolver.url_patterns:
        text = _literal(entry.pattern)
        if text is None:
            continue
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":  # the admin is Django's, not the team's
                yield from _paths(entry, prefix + text)
        elif isinstance(entry, URLPattern):
            yield prefix + text


@pytest.fixture
def plain_paths():
    """Every page of the project whose address takes no argument: /, /posts/, /login/..."""
    return sorted(set(_paths(get_resolver(), "/")))


@pytest.fixture
def member(django_user_model):
    """An ordinary user account (no staff, no superuser)."""
    username = django_user_model.USERNAME_FIELD
    fields = {username: "member@example.org" if "email" in username else "member"}
    if "email" in [f.name for f in django_user_model._meta.fields] and username != "email":
        fields["email"] = "member@example.org"
    return django_user_model.objects.create_user(password="member-pw-12345", **fields)


@pytest.fixture
def lenient_client():
    """A test client that answers 500 for a crash instead of raising it."""
    return Client(raise_request_exception=False)
