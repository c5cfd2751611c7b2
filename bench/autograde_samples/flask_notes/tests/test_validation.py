import pytest


@pytest.mark.parametrize("payload", [{}, {"title": ""}, {"title": "   "}, None])
def test_title_is_required(client, payload):
    response = client.post("/api/notes", json=payload)
    assert response.status_code == 400
    assert "title" in response.get_json()["error"]


def test_title_length_is_limited(client):
    assert client.post("/api/notes", json={"title": "x" * 121}).status_code == 400


def test_unknown_note_is_404(client):
    assert client.get("/api/notes/999").status_code == 404
    assert client.patch("/api/notes/999", json={"done": True}).status_code == 404
    assert client.delete("/api/notes/999").status_code == 404
