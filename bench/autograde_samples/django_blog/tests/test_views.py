import pytest


def test_list_shows_published_posts(client, posts):
    page = client.get("/").content.decode()
    assert "Hello" in page and "Second" in page
    assert "Draft" not in page and "Scheduled" not in page


def test_detail_and_comment(client, posts):
    response = client.post("/hello/", {"name": "Bea", "text": "Nice post"})
    assert response.status_code == 302
    assert "Bea</b>: Nice post" in client.get("/hello/").content.decode()


@pytest.mark.parametrize("data", [{}, {"name": "Bea"}, {"text": "Anonymous"}])
def test_comment_needs_name_and_text(client, posts, data):
    response = client.post("/hello/", data)
    assert response.status_code == 200
    assert "Give your name and a comment." in response.content.decode()


def test_drafts_are_not_found(client, posts):
    assert client.get("/draft/").status_code == 404
    assert client.get("/later/").status_code == 404


def test_comments_are_escaped(client, posts):
    client.post("/hello/", {"name": "<script>", "text": "<b>x</b>"})
    page = client.get("/hello/").content.decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
