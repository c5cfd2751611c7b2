"""Helpers of the permission matrix: personas, requests, the database's fingerprint."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

from django.apps import apps
from django.test import Client

PERSONAS = (
    "anonymous",
    "student_a",
    "student_b",
    "grader_a",
    "grader_b",
    "removed_grader_a",
    "removed_student_a",
    "instructor_a",
    "instructor_b",
    "superuser",
)
# Personas who may open the back office at all.
BACK_OFFICE = frozenset({"instructor_a", "instructor_b", "superuser"})
WORD_A = "Apple"  # everything of course A carries it (access/tests/tenants.py)

# What a refusal looks like: sent to log in, forbidden, or as if it did not exist.
REFUSED = (302, 403, 404)


def persona_user(name: str, a, b, superuser):
    return {
        "anonymous": None,
        "student_a": a.student,
        "student_b": b.student,
        "grader_a": a.grader,
        "grader_b": b.grader,
        "removed_grader_a": a.removed_grader,
        "removed_student_a": a.removed_student,
        "instructor_a": a.instructor,
        "instructor_b": b.instructor,
        "superuser": superuser,
    }[name]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def is_refusal(response, login_url: str) -> bool:
    """Return whether RESPONSE refuses: 403, 404, or a redirect to LOGIN_URL."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith(login_url)


# Counters of attempts: a refused request counts by design (a signed-out form kept for its
# author counts against the address's hourly limit), and the count is no one's data.
NOT_WRITES = frozenset({"accounts.ThrottleCount"})


def fingerprint() -> str:
    """Return a digest of every row the platform stores, to prove a refusal wrote nothing."""
    digest = hashlib.sha256()
    for label in (
        "accounts",
        "lessons",
        "practice",
        "projects",
        "grading",
        "autograding",
        "api",
        "django_tasks_database",
    ):
        for model in sorted(apps.get_app_config(label).get_models(), key=lambda m: m.__name__):
            if model._meta.label in NOT_WRITES:
                continue
            rows = model._default_manager.order_by("pk").values_list()
            digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


class _FormParser(HTMLParser):
    """Collect what a browser would submit from one form of a page."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None


def form_data(html: str, form_id: str) -> dict[str, list[str]]:
    """Return the fields FORM_ID of HTML would submit, as lists of values per name."""
    parser = _FormParser(form_id)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data
