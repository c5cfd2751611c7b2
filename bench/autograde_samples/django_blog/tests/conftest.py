from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from blog.models import Post


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Django's default hasher takes about half a second per password, on purpose;
    # tests need a hasher, not a slow one (Django's testing docs say the same).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def author(db):
    return User.objects.create_user("ada", password="pw-ada-12345")


@pytest.fixture
def posts(author):
    now = timezone.now()
    return [
        Post.objects.create(author=author, title="Hello", slug="hello", body="First post.",
                            published_at=now - timedelta(days=2)),
        Post.objects.create(author=author, title="Second", slug="second", body="More.",
                            published_at=now - timedelta(days=1)),
        Post.objects.create(author=author, title="Draft", slug="draft", body="Not yet."),
        Post.objects.create(author=author, title="Scheduled", slug="later", body="Soon.",
                            published_at=now + timedelta(days=1)),
    ]
