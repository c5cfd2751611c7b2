import pytest
from django.contrib.auth.models import User

from posts.models import Post


@pytest.mark.django_db
def test_the_list_shows_posts(client):
    author = User.objects.create_user("ada", password="pw-ada-12345")
    Post.objects.create(author=author, title="Hello", body="First post.")
    assert "Hello" in client.get("/").content.decode()
