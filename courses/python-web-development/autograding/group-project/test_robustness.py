"""No page crashes (answers 500), for a visitor or for a logged-in member."""

import pytest


def crashes(client, paths):
    return [path for path in paths if client.get(path).status_code >= 500]


@pytest.mark.django_db
def test_no_page_crashes_for_a_visitor(lenient_client, plain_paths):
    crashed = crashes(lenient_client, plain_paths)
    assert not crashed, f"These pages crash (500) for a visitor: {', '.join(crashed)}"


@pytest.mark.django_db
def test_no_page_crashes_for_a_member(lenient_client, member, plain_paths):
    lenient_client.force_login(member)
    crashed = crashes(lenient_client, plain_paths)
    assert not crashed, f"These pages crash (500) for a member: {', '.join(crashed)}"
