from __future__ import annotations

import factory

from accounts.models import Role, User
from accounts.services import user_set_site_role

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class InstructorFactory(UserFactory):
    @factory.post_generation
    def site_role(obj, create, extracted, **kwargs):
        if create:
            user_set_site_role(user=obj, role=Role.INSTRUCTOR)


class GraderFactory(UserFactory):
    @factory.post_generation
    def site_role(obj, create, extracted, **kwargs):
        if create:
            user_set_site_role(user=obj, role=Role.GRADER)
