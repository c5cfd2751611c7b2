"""The review page links the archive it sends graders to, and the link works for them.

The viewer says "download the archive" for what it cannot show (a large file's end, a
name too long, a tree cut short) and the diff "download both versions" for files too
large to compare: the page had no link, and the download answered graders 404.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from projects.archives import VIEWER_MAX_FILE_BYTES
from projects.models import Submission
from projects.tests.factories import make_zip

from .factories import enroll, grading_world, resubmitted_after_grading

pytestmark = pytest.mark.django_db


def review_page(client, world, path: str = "") -> str:
    url = reverse("grading:review", args=[world.review.pk])
    response = client.get(url + (f"?path={path}" if path else ""))
    assert response.status_code == 200
    return response.content.decode()


def test_the_review_page_links_the_archive_of_the_version_under_review(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    big = "x = 1\n" * (VIEWER_MAX_FILE_BYTES // 6 + 10)  # past the viewer's cap
    world.submission.archive.save(
        "big.zip", SimpleUploadedFile("big.zip", make_zip({"big.py": big}))
    )
    world.submission.archive_size = world.submission.archive.size
    world.submission.save()
    size = world.submission.size_display
    download = world.submission.get_download_url()
    client.force_login(grace)
    page = review_page(client, world, "big.py")
    link = f'<a class="tap-target" href="{download}" id="archive-download">'
    assert f"{link}Download the archive ({size})</a>" in page
    assert f'only its beginning is shown. <a href="{download}">Download the archive</a>' in page
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    # The instructor too; another grader of the course neither sees the review nor
    # downloads its archive, and a grader of another course gets 404 for both.
    client.force_login(alice)
    assert download in review_page(client, world)
    other = enroll(UserFactory(username="otto"), world.course, Role.GRADER)
    client.force_login(other)
    assert client.get(reverse("grading:review", args=[world.review.pk])).status_code == 404
    assert client.get(download).status_code == 404


def test_the_changes_since_grading_link_both_versions(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    newer = resubmitted_after_grading(world, bob, {"app.py": "print('v2')\n"})
    client.force_login(grace)
    page = review_page(client, world)
    links = page[page.index('id="diff-downloads"') :]
    links = links[: links.index("</p>")]
    for version in (world.submission, newer):
        assert f'<a href="{version.get_download_url()}">version {version.version} (' in links
        assert client.get(version.get_download_url()).status_code == 200
    # Once the review is another grader's, neither version is grace's to download.
    handed = enroll(UserFactory(username="hana"), world.course, Role.GRADER)
    services.grader_assign(group=world.group, grader=handed, by=alice)
    for version in Submission.objects.filter(group=world.group):
        assert client.get(version.get_download_url()).status_code == 404


def test_the_feedback_page_links_the_group_s_archive(client, alice, bob, grace):
    from .factories import complete_review

    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice, base_url="http://testserver")
    client.force_login(bob)
    page = client.get(reverse("grading:feedback", args=[world.submission.pk])).content.decode()
    assert f'href="{world.submission.get_download_url()}" id="archive-download"' in page
