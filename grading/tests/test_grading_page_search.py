"""A project's grading page at a large course's size: a page of groups at a time,
found by a group's or a member's name, and overrides that come back where they were
sent from (probe 50: 1,250 groups and 5,000 override forms made one 5.6 MB page)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from coursesite.converters import SEARCH_MAX_LENGTH
from grading import views
from grading.models import MarkOverride
from lessons.tests.factories import CourseFactory

from .factories import add_group, complete_review, enroll, grading_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def big(alice, bob, grace, monkeypatch):
    """grading_world with four more groups ("Team A".."Team D"), two groups a page."""
    monkeypatch.setattr(views, "GROUPS_PAGE_SIZE", 2)
    world = grading_world(alice=alice, bob=bob, grace=grace)
    for letter in "ABCD":
        members = [
            enroll(
                UserFactory(
                    username=f"{letter.lower()}{n}",
                    first_name="Ada" if (letter, n) == ("C", 1) else f"First{letter}{n}",
                    last_name="Lovelace" if (letter, n) == ("C", 1) else f"Last{letter}{n}",
                    email=f"{letter.lower()}{n}@uni.example",
                    display_name="Rear Admiral Hopper" if (letter, n) == ("D", 2) else "",
                ),
                world.course,
            )
            for n in (1, 2)
        ]
        add_group(world.assignment, members, name=f"Team {letter}")
    return world


def page_url(world, **query) -> str:
    url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def groups_shown(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    table = html.split('id="groups"')[1].split("</table>")[0]
    return [
        name for name in ("Team A", "Team B", "Team C", "Team D", "Team Rocket") if name in table
    ]


def test_groups_come_a_page_at_a_time_in_name_order(client, big, alice):
    client.force_login(alice)
    assert groups_shown(client, page_url(big)) == ["Team A", "Team B"]
    html = unescape(client.get(page_url(big)).content.decode())
    assert "Groups 1–2 of 5 (page 1 of 3)" in html
    assert groups_shown(client, page_url(big, page=2)) == ["Team C", "Team D"]
    assert groups_shown(client, page_url(big, page=3)) == ["Team Rocket"]
    # Numbers nobody links to show the first page, never an error (probe 54: 0 and -1
    # showed the last one); past the last page, the last.
    for number in ("0", "-1", "abc", "3.5", "%EF%BC%93", "%D9%A3"):
        assert groups_shown(client, page_url(big, page=number)) == ["Team A", "Team B"], number
    assert groups_shown(client, page_url(big, page="99999999999")) == ["Team Rocket"]
    # The pages are linked above the table as well as below it (probe 54: 642 tab
    # stops down).
    assert html.index('id="group-pages-top"') < html.index('id="groups"')


def test_a_group_is_found_by_its_name_or_a_members_name_username_or_email(client, big, alice):
    client.force_login(alice)
    assert groups_shown(client, page_url(big, q="team%20d")) == ["Team D"]
    assert groups_shown(client, page_url(big, q="Ada%20Lovelace")) == ["Team C"]
    assert groups_shown(client, page_url(big, q="lovelace")) == ["Team C"]
    assert groups_shown(client, page_url(big, q="b2")) == ["Team B"]
    assert groups_shown(client, page_url(big, q="admiral%20HOPPER")) == ["Team D"]
    assert groups_shown(client, page_url(big, q="a1%40uni.example")) == ["Team A"]
    html = unescape(client.get(page_url(big, q="nobody")).content.decode())
    assert "No group matches “nobody”." in html
    # How many match is said, in a status, whether the results take one page or more
    # (probe 61: only the pager of several pages counted them).
    found = re.compile(r'<p[^>]*role="status" id="groups-found">([^<]*)</p>')
    html = unescape(client.get(page_url(big, q="lovelace")).content.decode())
    assert found.search(html).group(1) == "1 group matches “lovelace”."
    html = unescape(client.get(page_url(big, q="uni.example")).content.decode())
    assert found.search(html).group(1) == "4 groups match “uni.example”."
    assert found.search(unescape(client.get(page_url(big)).content.decode())) is None


def test_groups_are_filtered_by_where_their_grading_is(client, big, alice):
    complete_review(big)
    client.force_login(alice)
    assert groups_shown(client, page_url(big, state="completed")) == ["Team Rocket"]
    # No grader yet: the four new groups, two a page.
    assert groups_shown(client, page_url(big, state="ungraded")) == ["Team A", "Team B"]
    assert groups_shown(client, page_url(big, state="ungraded", page=2)) == ["Team C", "Team D"]
    html = unescape(client.get(page_url(big, state="draft")).content.decode())
    assert "No group matches among “In progress”." in html
    # A state the page does not offer shows every group.
    assert groups_shown(client, page_url(big, state="bogus")) == ["Team A", "Team B"]


def test_an_override_comes_back_to_the_page_it_was_sent_from(client, big, alice):
    client.force_login(alice)
    ada = big.course.enrollments.get(user__username="c1").user
    shown = page_url(big, q="Team", page=2)
    html = client.get(shown).content.decode()
    row = html.split(f'name="student" value="{ada.pk}">')[1].split("</form>")[0]
    # The form carries the page it is on.
    assert '<input type="hidden" name="q" value="Team">' in row
    assert '<input type="hidden" name="page" value="2">' in row
    seen = row.split('name="seen" value="')[1].split('"')[0]
    url = reverse("grading:override_mark", kwargs={"pk": big.assignment.pk})
    sent = {"student": ada.pk, "seen": seen, "q": "Team", "page": "2"}
    response = client.post(url, {**sent, "mark": "88", "reason": "Oral exam"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == urlsplit(shown).path
    assert parse_qs(urlsplit(response["Location"]).query) == {"q": ["Team"], "page": ["2"]}
    html = unescape(client.get(response["Location"]).content.decode())
    assert "mark is now 88.00%" in html and groups_shown(client, shown) == ["Team C", "Team D"]
    # Refused, what was typed comes back in the student's row on that same page.
    html = client.get(shown).content.decode()
    seen = html.split(f'name="student" value="{ada.pk}">')[1].split('name="seen" value="')[1]
    seen = seen.split('"')[0]
    refused = client.post(url, {**sent, "seen": seen, "mark": "77", "reason": ""}, follow=True)
    html = unescape(refused.content.decode())
    assert "Give the reason for the new mark." in html
    row = html.split(f'id="mark-{ada.pk}"')[1][:200]
    assert 'value="77"' in row
    assert MarkOverride.objects.get(student=ada).mark == 88
    # What the form carries back is checked as the page's own query is.
    hostile = {**sent, "seen": "none", "q": "x" * 500, "page": "javascript:alert(1)"}
    response = client.post(url, {**hostile, "state": "<b>", "mark": "50", "reason": "r"})
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"q": ["x" * SEARCH_MAX_LENGTH]}


def test_hostile_searches_are_shown_as_typed_and_answer_a_page(client, big, alice):
    client.force_login(alice)
    script = "<script>alert(1)</script>"
    response = client.get(page_url(big), {"q": script})
    html = response.content.decode()
    assert response.status_code == 200 and script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for query in ({"q": "%"}, {"q": "_"}, {"q": "x" * 10_000}, {"q": "\u202e"}, {"q": "'\"; --"}):
        assert client.get(page_url(big), query).status_code == 200
    # A LIKE wildcard is a character, not "anything".
    assert groups_shown(client, page_url(big, q="%25")) == []


def test_only_the_courses_instructors_open_the_page_with_any_search(client, big, alice, bob, grace):
    other = CourseFactory(slug="other-course")
    outsider = enroll(UserFactory(username="olga"), other, Role.INSTRUCTOR)
    # An instructor of this course once, removed from it since.
    removed = enroll(UserFactory(username="rex"), big.course, Role.INSTRUCTOR)
    big.course.enrollments.filter(user=removed).delete()
    client.force_login(alice)  # the course's instructor gets in, search and all
    assert groups_shown(client, page_url(big, q="Team", page=2)) == ["Team C", "Team D"]
    for user, status in ((outsider, 404), (removed, 404), (grace, 403), (bob, 403)):
        client.force_login(user)
        assert client.get(page_url(big, q="Team", page=2)).status_code == status, user
        refused = client.post(
            reverse("grading:override_mark", kwargs={"pk": big.assignment.pk}),
            {"student": bob.pk, "seen": "none", "mark": "99", "reason": "x", "q": "Team"},
        )
        assert refused.status_code == status, user
    assert not MarkOverride.objects.exists()


def test_each_rows_override_fields_are_named_for_its_student(client, big, alice):
    """A screen reader read "Reason" and "Override" in every row (probe 61): each field
    and button of a row says whose mark it is."""
    client.force_login(alice)
    html = unescape(client.get(page_url(big, q="Team C")).content.decode())
    reasons = re.findall(r'<label class="visually-hidden" for="reason-\d+">([^<]*)</label>', html)
    marks = re.findall(r'<label class="visually-hidden" for="mark-\d+">([^<]*)</label>', html)
    buttons = re.findall(r'>Override<span class="visually-hidden"> ([^<]*)</span>', html)
    assert len(reasons) == len(marks) == len(buttons) == 2  # Team C's two members
    assert len(set(reasons)) == len(set(marks)) == len(set(buttons)) == 2
    assert "Reason for Ada Lovelace's mark" in reasons and "Mark for Ada Lovelace" in marks
    assert "Ada Lovelace's mark" in buttons
