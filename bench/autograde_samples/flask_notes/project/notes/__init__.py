"""A small notes service, as a group hands it in: an app factory, a JSON API, pages."""

import sqlite3

from flask import Flask, abort, g, jsonify, render_template, request


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(g.database)
        g.db.row_factory = sqlite3.Row
    return g.db


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=":memory:", MAX_TITLE=120)
    if test_config:
        app.config.update(test_config)
    shared = sqlite3.connect(app.config["DATABASE"], check_same_thread=False)
    shared.row_factory = sqlite3.Row
    shared.execute(
        "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
        " body TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0)"
    )

    @app.before_request
    def open_db():
        g.db = shared
        g.database = app.config["DATABASE"]

    def row(note):
        return {"id": note["id"], "title": note["title"], "body": note["body"],
                "done": bool(note["done"])}

    @app.get("/")
    def index():
        notes = shared.execute("SELECT * FROM note ORDER BY id").fetchall()
        return render_template("index.html", notes=notes)

    @app.get("/api/notes")
    def list_notes():
        query = "SELECT * FROM note"
        if request.args.get("done") in ("0", "1"):
            query += f" WHERE done = {int(request.args['done'])}"
        return jsonify([row(n) for n in shared.execute(query + " ORDER BY id")])

    @app.post("/api/notes")
    def create_note():
        data = request.get_json(silent=True) or {}
        title = str(data.get("title", "")).strip()
        if not title:
            return jsonify(error="A note needs a title."), 400
        if len(title) > app.config["MAX_TITLE"]:
            return jsonify(error="The title is too long."), 400
        cursor = shared.execute(
            "INSERT INTO note (title, body) VALUES (?, ?)", (title, str(data.get("body", "")))
        )
        shared.commit()
        note = shared.execute("SELECT * FROM note WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return jsonify(row(note)), 201

    @app.get("/api/notes/<int:note_id>")
    def get_note(note_id):
        note = shared.execute("SELECT * FROM note WHERE id = ?", (note_id,)).fetchone()
        if note is None:
            abort(404)
        return jsonify(row(note))

    @app.patch("/api/notes/<int:note_id>")
    def update_note(note_id):
        note = shared.execute("SELECT * FROM note WHERE id = ?", (note_id,)).fetchone()
        if note is None:
            abort(404)
        data = request.get_json(silent=True) or {}
        done = int(bool(data.get("done", note["done"])))
        shared.execute("UPDATE note SET done = ? WHERE id = ?", (done, note_id))
        shared.commit()
        return jsonify(row(shared.execute("SELECT * FROM note WHERE id = ?", (note_id,)).fetchone()))

    @app.delete("/api/notes/<int:note_id>")
    def delete_note(note_id):
        deleted = shared.execute("DELETE FROM note WHERE id = ?", (note_id,)).rowcount
        shared.commit()
        if not deleted:
            abort(404)
        return "", 204

    return app
