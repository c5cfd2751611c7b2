"""At least two related models of the team's own, each managed in the admin."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse


def test_the_project_has_at_least_two_models(own_models):
    names = [model.__name__ for model in own_models]
    assert len(own_models) >= 2, f"The brief asks for at least two models; found {names or 'none'}."


def test_the_models_are_related(own_models):
    linked = [*own_models, get_user_model()]
    related = [
        f"{model.__name__}.{field.name}"
        for model in own_models
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model in linked
    ]
    assert related, "No model refers to another one (a ForeignKey or a ManyToManyField)."


def test_every_model_is_in_the_admin(own_models):
    missing = [model.__name__ for model in own_models if not admin.site.is_registered(model)]
    assert not missing, f"Not registered in the admin: {', '.join(missing)}."


@pytest.mark.django_db
def test_the_admin_pages_of_the_models_open(admin_client, own_models):
    failures = []
    for model in own_models:
        if not admin.site.is_registered(model):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        for page in ("changelist", "add"):
            url = reverse("admin:{}_{}_{}".format(*info, page))
            status = admin_client.get(url).status_code
            if status != 200:
                failures.append(f"{url} answered {status}")
    assert not failures, "; ".join(failures)
