"""accounts/0011 and projects/0016: names stored decomposed before names were stored
composed (NFC) are composed, so searches find them (probe 56)."""

from __future__ import annotations

import importlib
import unicodedata

import pytest
from django.apps import apps

from accounts.models import User, people_matching
from projects.models import Group
from projects.tests.factories import GroupFactory, ProjectAssignmentFactory

pytestmark = pytest.mark.django_db

users = importlib.import_module("accounts.migrations.0011_names_composed")
groups = importlib.import_module("projects.migrations.0016_group_names_composed")


def test_names_stored_decomposed_are_composed_and_found(db):
    composed = "Zoë Müller"
    decomposed = unicodedata.normalize("NFD", composed)
    zoe = User.objects.create(username="zoe", email="zoe@example.org")
    # As rows saved before User.save composed names were stored.
    User.objects.filter(pk=zoe.pk).update(display_name=decomposed, last_name=decomposed)
    assert not User.objects.filter(people_matching(composed)).exists()

    users.compose(apps, None)

    zoe.refresh_from_db()
    assert (zoe.display_name, zoe.last_name) == (composed, composed)
    assert list(User.objects.filter(people_matching(composed))) == [zoe]


def test_group_names_are_composed_unless_the_composed_name_is_taken(db):
    assignment = ProjectAssignmentFactory()
    other = ProjectAssignmentFactory(course=assignment.course, slug="other")
    decomposed = unicodedata.normalize("NFD", "Équipe")
    alone, clashing, elsewhere = (GroupFactory(assignment=a) for a in (assignment, other, other))
    Group.objects.filter(pk=alone.pk).update(name=decomposed)
    Group.objects.filter(pk=clashing.pk).update(name=decomposed)
    Group.objects.filter(pk=elsewhere.pk).update(name="Équipe")  # both spellings taken there

    groups.compose(apps, None)

    names = dict(Group.objects.values_list("pk", "name"))
    assert names[alone.pk] == "Équipe"
    assert names[clashing.pk] == decomposed and names[elsewhere.pk] == "Équipe"
