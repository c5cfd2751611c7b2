def test_api_lists_published_posts_with_comment_counts(client, posts):
    client.post("/hello/", {"name": "Bea", "text": "Nice"})
    data = client.get("/api/posts/").json()
    assert data == {
        "posts": [
            {"title": "Second", "slug": "second", "author": "ada", "comments": 0},
            {"title": "Hello", "slug": "hello", "author": "ada", "comments": 1},
        ]
    }
