"""The error pages: the site's own templates, and problem details under /api/."""

from __future__ import annotations

import json
import re

import pytest
from django.test import RequestFactory

from coursesite.views import permission_denied

PROBLEM_JSON = "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/courses/abc/",
        "/api/v1/courses/1/bogus/",
        "/api/v1/courses/9223372036854775808/",  # past the largest id
        "/api/v1/nothing",
    ],
)
def test_an_api_address_that_does_not_exist_is_a_problem_detail(client, path):
    """docs/api.md promises problem details for every error: these were the HTML page."""
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_JSON
    problem = response.json()
    assert (problem["status"], problem["title"], problem["instance"]) == (404, "Not Found", path)


def test_the_site_s_own_pages_stay_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_refusal_outside_the_api_views_is_a_problem_detail_under_api():
    response = permission_denied(RequestFactory().post("/api/v1/courses/1/"))
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_JSON
    assert json.loads(response.content)["title"] == "Forbidden"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_without_the_trailing_slash_keeps_its_method(client, method):
    """APPEND_SLASH's 301 made clients send the write again as a GET: the write was lost."""
    response = getattr(client, method)("/api/v1/reviews/5?x=1", {}, content_type="application/json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/reviews/5/?x=1"
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["status"] == 308


def test_a_read_without_the_trailing_slash_is_still_redirected(client):
    response = client.get("/api/v1/courses")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/courses/")


@pytest.mark.parametrize(("method", "path"), [("delete", "/accounts/login/"), ("put", "/")])
def test_a_method_a_page_does_not_take_is_a_page_with_its_allow_header(client, method, path):
    """A 405 of the site's pages was a blank page (Django's decorators send no body)."""
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1" in page and "Request not accepted" in page
    assert f"does not accept a {method.upper()} request" in page
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert "GET" in allowed and "DELETE" not in allowed


def test_the_api_s_405_stays_a_problem_detail(client, bob):
    client.force_login(bob)
    response = client.delete("/api/v1/courses/")
    assert response.status_code == 405
    assert not response["Content-Type"].startswith("text/html")
    assert "Allow" in response


@pytest.mark.django_db
def test_a_form_of_too_many_fields_says_so(client, bob):
    """Probe 29: 1,000 repeated fields got "The request could not be understood"."""
    client.force_login(bob)
    body = "&".join(["choice=1"] * 1_001)
    response = client.post(
        "/accounts/profile/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The form sent more than 1,000 fields" in page
    assert "nothing was saved" in page


def test_a_page_sent_back_with_errors_says_so_in_its_title(client, bob):
    """A form sent back with what is wrong kept the title of the page that worked, the
    first thing a screen reader says and what the tab shows (probe 61)."""
    client.force_login(bob)
    shown = client.get("/accounts/profile/").content.decode()
    assert re.search(r"<title>Your profile", shown)
    refused = client.post("/accounts/profile/", {"email": "not an address"})
    page = refused.content.decode()
    assert "Your profile was not saved: please correct the errors below." in page
    assert re.search(r"<title>Error: Your profile", page)
    assert page.count("Error:") == 1


@pytest.mark.django_db
def test_a_page_s_script_asking_for_json_is_refused_in_json_with_the_reason(client, bob):
    """Probe 112: the pages' scripts (autosave, answers, "mark complete") ask for JSON and
    got the HTML error page for these, which they read as "you may be signed out"."""
    client.force_login(bob)
    as_script = {"HTTP_ACCEPT": "application/json"}
    form = "application/x-www-form-urlencoded"
    cases = [
        (client.post("/accounts/profile/", "&".join(["f=1"] * 1_001), form, **as_script), 400),
        (client.post("/accounts/profile/", b"display_name=%ff%fe", form, **as_script), 400),
        (client.get("/no-such-page/", **as_script), 404),
        (client.put("/", **as_script), 405),
    ]
    said = []
    for response, status in cases:
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["errors"] == [body["error"]]
        said.append(body["error"])
    assert said[0].startswith("The form sent more than 1,000 fields")
    assert "display_name" in said[1]
    assert said[2] == "Nothing is at this address, or it is not yours to see."
    assert said[3].startswith("This address does not accept a PUT request: it takes GET")
    request = RequestFactory().post("/grading/reviews/1/draft/", **as_script)
    refused = permission_denied(request)
    assert refused.status_code == 403
    assert json.loads(refused.content)["error"] == "You do not have permission to do this."
    # A browser's page load still gets the page.
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
