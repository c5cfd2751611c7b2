"""Words a student reads without a manual: what a peer factor is, what each rating means,
API token examples of their own role, and a brief's headings under its section's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from coursesite.jinja2 import headings_under
from grading import services
from grading.tests.factories import grading_world
from grading.tests.test_grading_views import release

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, grace):
    return grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)


def test_each_peer_rating_says_what_it_means_and_the_factor_is_explained(client, world, bob):
    client.force_login(bob)
    page = client.get(reverse("grading:peer", kwargs={"pk": world.group.pk})).content.decode()
    # Every radio's own label carries the scale: "1" alone said nothing to a screen reader.
    labels = re.findall(
        rf'<label for="(id_score_{bob.pk}_\d)"[^>]*>\s*(.*?)\s*</label>', page, re.S
    )
    assert [text for _, text in labels] == [
        "1: very little",
        "2: less than a fair share",
        "3: a fair share",
        "4: more than a fair share",
        "5: a great deal",
    ]
    how = re.search(r'<p id="peer-how">(.*?)</p>', page, re.S).group(1)
    assert "peer factor" in how and "group mark times their factor" in how


def test_the_feedback_says_what_the_peer_factor_does(client, world, alice, bob):
    for rater in (bob, world.dave):
        services.peer_ratings_submit(
            group=world.group, rater=rater, ratings={bob.pk: (4, ""), world.dave.pk: (2, "")}
        )
    release(world, alice)
    client.force_login(bob)
    page = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk}))
    html = page.content.decode()
    assert "Your peer factor: " in html
    help_text = re.search(r'id="peer-factor-help">(.*?)</div>', html).group(1)
    assert "1 is an even share" in help_text and "group mark times this factor" in help_text


def test_api_token_examples_fit_the_reader_s_role(client, world, alice, bob, grace):
    examples = {}
    for person in (alice, bob, grace):
        client.force_login(person)
        page = client.get(reverse("accounts:profile")).content.decode()
        examples[person.username] = re.search(r"Where you use it, e\.g\. ([^<]+)\.", page).group(1)
    assert "roster sync" in examples["alice"]
    assert "roster sync" not in examples["bob"] and "marks export" not in examples["bob"]
    assert "submit" in examples["bob"]
    assert "roster sync" not in examples["grace"] and "review" in examples["grace"]


def test_a_brief_s_headings_sit_under_the_brief_s_own(client, world, bob):
    world.assignment.brief = "Intro.\n\n## What to deliver\n\nA zip.\n\n### Tests\n\nSome.\n"
    world.assignment.save()
    client.force_login(bob)
    page = client.get(world.assignment.get_absolute_url()).content.decode()
    brief = page.split('<h2 class="h5">Brief</h2>', 1)[1].split("</article>", 1)[0]
    assert re.search(r"<h3[^>]*>What to deliver", brief)
    assert re.search(r"<h4[^>]*>Tests", brief)
    assert "<h2" not in brief


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h1>A</h1><h2 id='b'>B</h2>", "<h3>A</h3><h4 id='b'>B</h4>"),
        ("<h4>A</h4>", "<h4>A</h4>"),  # already under: left alone
        ("<h2>A</h2><h6>Z</h6>", "<h3>A</h3><h6>Z</h6>"),  # h6 at most
        ("<p>No heading, <hr> and <header></p>", "<p>No heading, <hr> and <header></p>"),
    ],
)
def test_headings_under_moves_headings_down_and_nothing_else(html, expected):
    assert str(headings_under(html, 2)) == expected
