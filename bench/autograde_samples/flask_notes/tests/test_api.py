def test_empty_list(client):
    assert client.get("/api/notes").get_json() == []


def test_create_and_read(client):
    created = client.post("/api/notes", json={"title": "Buy milk", "body": "2 l"})
    assert created.status_code == 201
    note = created.get_json()
    assert note["title"] == "Buy milk"
    assert client.get(f"/api/notes/{note['id']}").get_json()["body"] == "2 l"


def test_mark_done(client):
    note = client.post("/api/notes", json={"title": "Write report"}).get_json()
    updated = client.patch(f"/api/notes/{note['id']}", json={"done": True}).get_json()
    assert updated["done"] is True
    assert [n["id"] for n in client.get("/api/notes?done=1").get_json()] == [note["id"]]


def test_delete(client):
    note = client.post("/api/notes", json={"title": "Temp"}).get_json()
    assert client.delete(f"/api/notes/{note['id']}").status_code == 204
    assert client.get(f"/api/notes/{note['id']}").status_code == 404


def test_index_page_lists_notes(client):
    client.post("/api/notes", json={"title": "Visible <b>note</b>"})
    page = client.get("/").get_data(as_text=True)
    assert "Visible &lt;b&gt;note&lt;/b&gt;" in page
