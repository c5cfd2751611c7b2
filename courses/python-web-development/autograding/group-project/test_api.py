"""At least one page answers JSON (the brief: "a JSON endpoint for one of your models")."""

import json

import pytest


@pytest.mark.django_db
def test_a_page_answers_json(client, member, plain_paths):
    client.force_login(member)
    found = []
    for path in plain_paths:
        response = client.get(path, HTTP_ACCEPT="application/json")
        if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
            json.loads(response.content)
            found.append(path)
    assert found, (
        "No page answers JSON to a logged-in member (looked at "
        f"{', '.join(plain_paths) or 'no page'})."
    )
