from blog.models import Post


def test_published_leaves_out_drafts_and_scheduled_posts(posts):
    assert [p.slug for p in Post.objects.published()] == ["second", "hello"]


def test_absolute_url(posts):
    assert posts[0].get_absolute_url() == "/hello/"
