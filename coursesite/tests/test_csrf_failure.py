"""A form sent with a stale CSRF token (its person logged out and in again in another tab)
comes back filled in; a form from anywhere else keeps nothing and gets a plain 403."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import DEMO_PASSWORD
from coursesite import formpages
from grading.models import Review
from grading.tests.factories import grading_world

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OWNER_RE = re.compile(r'name="form_owner" value="([^"]+)"')
TYPED = "A long paragraph of feedback the grader typed before pressing Save."
SITE = "http://testserver"


@pytest.fixture
def world(alice, bob, grace):
    return grading_world(alice=alice, bob=bob, grace=grace)


def _token(response) -> str:
    return TOKEN_RE.search(response.content.decode()).group(1)


def _log_in(client: Client, username: str) -> None:
    """Log in through the real form, as in another tab: Django gives a new CSRF secret."""
    login = client.get(reverse("accounts:login"))
    response = client.post(
        reverse("accounts:login"),
        {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": _token(login)},
    )
    assert response.status_code == 302


def _stale_post(
    world, grace, *, then: str = "grace", owner: str | None = None, **headers
) -> tuple[Client, str, object]:
    """Open the review as grace, log out and THEN log in (grace again, in another tab, or
    someone else on the same browser), then send the old form: its own owner field, or
    OWNER ("" for none)."""
    client = Client(enforce_csrf_checks=True)
    _log_in(client, "grace")
    page = reverse("grading:review", args=[world.review.pk])
    shown = client.get(page)
    stale = _token(shown)
    client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": stale})
    _log_in(client, then)
    data = {"overall_feedback": TYPED, f"score_{world.style.pk}": "4", "csrfmiddlewaretoken": stale}
    data["form_owner"] = (
        OWNER_RE.search(shown.content.decode()).group(1) if owner is None else owner
    )
    return client, page, client.post(page, data, **headers)


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": SITE}, {"HTTP_REFERER": f"{SITE}/grading/"}],
    ids=["origin", "referer"],
)
def test_a_stale_token_from_this_site_keeps_the_text_for_the_same_person(world, grace, headers):
    client, page, response = _stale_post(world, grace, **headers)

    assert response.status_code == 302
    assert response["Location"] == page
    shown = html.unescape(client.get(page).content.decode())
    assert formpages.STALE_TAB in shown
    assert TYPED in shown
    score = re.search(rf'<input[^>]*id="id_score_{world.style.pk}"[^>]*>', shown).group(0)
    assert 'value="4"' in score
    # Nothing was acted on: the review is as it was.
    review = Review.objects.get(pk=world.review.pk)
    assert (review.overall_feedback, review.status) == ("", "todo")
    # Given back once only.
    assert TYPED not in html.unescape(client.get(page).content.decode())


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/form.html"},
        {"HTTP_ORIGIN": "null"},
        {},  # neither: nothing says where it came from
    ],
    ids=["origin", "referer", "null-origin", "no-header"],
)
def test_a_post_from_elsewhere_keeps_nothing_and_gets_a_403(world, grace, headers):
    client, page, response = _stale_post(world, grace, **headers)

    assert response.status_code == 403
    assert "This form was not sent" in response.content.decode()
    assert "Nothing was changed" in response.content.decode()
    shown = html.unescape(client.get(page).content.decode())
    assert TYPED not in shown
    assert formpages.STALE_TAB not in shown
    assert Review.objects.get(pk=world.review.pk).overall_feedback == ""


def test_another_person_logging_in_on_the_same_browser_does_not_see_it(world, grace, alice):
    client, page, response = _stale_post(world, grace, HTTP_ORIGIN=SITE)
    assert response.status_code == 302
    # grace walks away; alice logs in on the same browser and opens the same review.
    logout_token = _token(client.get(reverse("grading:grader_queue")))
    client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": logout_token})
    _log_in(client, "alice")
    shown = html.unescape(client.get(page).content.decode())
    assert TYPED not in shown
    assert formpages.STALE_TAB not in shown


def test_an_action_that_keeps_nothing_is_a_plain_403(world, alice):
    """Release takes no typing worth keeping (keep=False): a stale token is refused."""
    client = Client(enforce_csrf_checks=True)
    _log_in(client, "alice")
    release = reverse("grading:release_grades", args=[world.assignment.pk])
    stale = _token(client.get(release))
    client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": stale})
    _log_in(client, "alice")
    response = client.post(
        release, {"confirm": "on", "csrfmiddlewaretoken": stale}, HTTP_ORIGIN=SITE
    )
    assert response.status_code == 403


@pytest.mark.parametrize("owner", ["shown", "forged", "missing"])
def test_a_stale_form_of_someone_else_on_the_same_browser_is_kept_for_nobody(
    world, grace, alice, owner
):
    # A shared lab computer: grace's page stays open, she logs out, alice logs in, and
    # grace's old tab sends its form. alice must not be handed what grace typed.
    posted = {"shown": None, "forged": f"{alice.pk}:not-a-signature", "missing": ""}[owner]
    client, _page, response = _stale_post(
        world, grace, then="alice", owner=posted, HTTP_ORIGIN=SITE
    )
    assert response.status_code == 302
    after = html.unescape(client.get(response["Location"]).content.decode())
    assert formpages.OTHER_PERSON in after
    assert TYPED not in after
    assert Review.objects.get(pk=world.review.pk).overall_feedback == ""
