from __future__ import annotations

import factory

from accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.Faker("name")
    # An established account; tests of unconfirmed addresses say so.
    email_confirmed = True
    password = factory.django.Password(PASSWORD)


# Roles come from enrollments; these name the persona a test builds.
InstructorFactory = UserFactory
GraderFactory = UserFactory
