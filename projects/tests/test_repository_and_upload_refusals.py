"""Refusals of a submission that name their real cause: the repository address a student
typed, the form their browser sent, the names inside their zip."""

from __future__ import annotations

import html
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects.archives import validate_zip
from projects.models import Submission
from projects.services import group_create, submission_create
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import media_files
from projects.tests.test_hostile_uploads import (
    BOUNDARY,
    form,
    part,
    post,
    project,
    upload,
    zip_of,
)
from projects.uploads import BROKEN_FORM, ONE_ARCHIVE, UNREADABLE

pytestmark = pytest.mark.django_db

NOT_PUBLIC = "public address"
LOOK_ALIKE = (
    "Give the repository's address with its host name in plain letters (for example "
    "github.com): this one holds look-alike letters."
)
HTTPS_ONLY = "Give the repository's https:// address"


@pytest.fixture
def group(assignment, student):
    return group_create(assignment=assignment, student=student, name="Owls")


def refusal(group, student, url: str) -> str:
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, repository_url=url)
    assert excinfo.value.error_dict.keys() == {"repository_url"}
    return " ".join(excinfo.value.messages)


# --- repository addresses --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://-oProxyCommand=x/a", "https://git_hub.com/owls/app", "https://github-.com/a"],
)
def test_a_host_no_name_can_be_is_a_typing_mistake_not_a_private_address(group, student, url):
    """Probe 29: "-oProxyCommand=x" was refused as "an address on your own computer"."""
    message = refusal(group, student, url)
    assert message.startswith("This is not a web address as a browser reads it")
    assert NOT_PUBLIC not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://g\u0456thub.com/owls/app",  # a Cyrillic "і"
        "https://gith\u03bdb.com/owls/app",  # a Greek "ν"
        "https://\uff47ithub.com/owls/app",  # a fullwidth "ｇ"
        "https://github.c\u043em/owls/app",  # a Cyrillic "о" in the top-level domain
        "https://b\u00fccher.de/owls/app",  # a real name, refused alike: xn-- is asked for
    ],
)
def test_a_host_with_look_alike_letters_is_refused_and_nothing_is_stored(
    group, student, settings, url
):
    # Shown to graders as a link, it would read as github.com and lead elsewhere.
    message = refusal(group, student, url)
    assert message == LOOK_ALIKE
    assert not Submission.objects.exists()
    assert media_files(settings) == []


def test_the_same_host_in_its_ascii_form_is_accepted(group, student):
    url = "https://xn--bcher-kva.de/owls/app"
    assert submission_create(group=group, student=student, repository_url=url).repository_url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost./owls/app",  # the root's dot after localhost
        "https://127.1/owls/app",  # browsers read 127.0.0.1
        "https://2130706433/owls/app",  # 127.0.0.1 as one decimal number
        "https://0x7f000001/owls/app",  # ... as one hexadecimal number
        "https://0177.0.0.1/owls/app",  # ... with an octal first byte
        "https://10.1/owls/app",  # 10.0.0.1, a private network
        "https://0/owls/app",  # 0.0.0.0
        "https://224.0.0.1/owls/app",  # a multicast group, "global" to Python
        "https://[64:ff9b::7f00:1]/owls/app",  # 127.0.0.1 through NAT64
        "https://[64:ff9b::a00:1]/owls/app",  # 10.0.0.1 through NAT64
    ],
)
def test_an_https_address_of_the_students_own_machine_is_refused_as_not_public(group, student, url):
    # The student typed https://: being told to type it would send them in circles.
    message = refusal(group, student, url)
    assert NOT_PUBLIC in message
    assert HTTPS_ONLY not in message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://git hub.com/owls/app", "A web address has no spaces in it"),
        ("https://github.com/owls/my app", "A web address has no spaces in it"),
        ("https://github.com:99999/owls/app", "not a port a server can use (1 to 65535)"),
        ("https://github.com:65536/owls/app", "not a port a server can use"),
        ("https://github.com:0/owls/app", "not a port a server can use"),
        ("https://github.com:http/owls/app", "not a port a server can use"),
        ("https://github..com/owls/app", "check it for typing mistakes"),
        ("https:///owls/app", "check it for typing mistakes"),
        ("https://[::1/owls/app", "check it for typing mistakes"),
        ("https://github.com_/owls/app", "check it for typing mistakes"),
    ],
)
def test_a_malformed_https_address_says_what_is_wrong_with_it(group, student, url, message):
    said = refusal(group, student, url)
    assert message in said
    assert HTTPS_ONLY not in said


@pytest.mark.parametrize(
    "url",
    ["http://github.com/owls/app", "github.com/owls/app", "git@github.com:owls/app.git"],
)
def test_an_address_that_is_not_https_still_asks_for_https(group, student, url):
    assert HTTPS_ONLY in refusal(group, student, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com:443/owls/app",
        "https://gitlab.example.org:8443/owls/app",
        "HTTPS://github.com/owls/app",
        "https://github.com/owls/app?tab=readme#top",
        "https://github.com/\u00e9quipe/projet",  # letters of any alphabet after the host
    ],
)
def test_unusual_but_valid_public_addresses_are_accepted(group, student, url):
    assert submission_create(group=group, student=student, repository_url=url).repository_url == url


def test_the_submit_page_shows_the_refusal_and_keeps_what_was_typed(client, student, assignment):
    group_create(assignment=assignment, student=student, name="Owls")
    client.force_login(student)
    url = reverse("projects:submit", args=[assignment.course.slug, assignment.slug])
    response = client.post(
        url, {"repository_url": "https://g\u0456thub.com/owls/app", "note": "Our final version"}
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "this one holds look-alike letters." in page
    assert "Our final version" in page
    assert not Submission.objects.exists()


# --- forms Django cannot parse -------------------------------------------------------


@pytest.fixture
def submit_url(assignment, student):
    group_create(assignment=assignment, student=student, name="Owls")
    return reverse("projects:submit", args=[assignment.course.slug, assignment.slug])


def refused_page(client, student, submit_url, body: bytes, content_type: str) -> str:
    client.force_login(student)
    posted = post(client, submit_url, body, content_type)
    assert posted.status == 400
    assert not Submission.objects.exists()
    return posted.page


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def test_many_files_at_once_are_asked_for_one_by_one(client, student, submit_url, settings):
    body = form(*[part("archive", b"PK", filename=f"{i}.zip") for i in range(150)])
    page = refused_page(client, student, submit_url, body, MULTIPART)
    assert ONE_ARCHIVE in page
    assert "file name" not in page
    assert media_files(settings) == []


def test_a_few_archives_in_one_form_are_refused_too(client, student, submit_url, settings):
    """Under Django's file-count limit, the last of three zips used to become a version
    without a word about the other two."""
    archives = [part("archive", zip_of(project()), filename=f"{i}.zip") for i in range(3)]
    page = refused_page(client, student, submit_url, form(*archives), MULTIPART)
    assert ONE_ARCHIVE in page  # and no version (refused_page)
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            form(
                *[part(f"f{i}", b"x") for i in range(1001)],
                part("archive", b"PK", filename="p.zip"),
            ),
            MULTIPART,
            id="over-a-thousand-fields",
        ),
        pytest.param(upload(zip_of(project())), "multipart/form-data", id="no-boundary"),
        pytest.param(
            upload(zip_of(project())),
            "multipart/form-data; boundary=" + "b" * 300,
            id="boundary-too-long",
        ),
        pytest.param(
            form(
                part(
                    "archive",
                    b"!!",
                    filename="p.zip",
                    headers=("Content-Transfer-Encoding: base64",),
                )
            ),
            MULTIPART,
            id="bad-base64-part",
        ),
    ],
)
def test_a_form_no_browser_sends_asks_for_a_reload(client, student, submit_url, body, content_type):
    page = refused_page(client, student, submit_url, body, content_type)
    assert BROKEN_FORM in page
    assert "file name" not in page


def test_a_very_long_file_name_keeps_its_advice(client, student, submit_url):
    body = upload(zip_of(project()), "p" * 1000 + ".zip")
    page = refused_page(client, student, submit_url, body, MULTIPART)
    assert UNREADABLE in page


# --- names inside the zip ------------------------------------------------------------


def archive_refusal(*names: str) -> str:
    data = zip_of([(name, b"x = 1\n") for name in names])
    with pytest.raises(ValidationError) as excinfo:
        validate_zip(io.BytesIO(data))
    return " ".join(excinfo.value.messages)


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (("a.py", "a.py."), "the names differ only in dots or spaces at their end"),
        (("src/a.py", "src/a.py "), "the names differ only in dots or spaces at their end"),
        (("src./a.py", "src/a.py"), "the names differ only in dots or spaces at their end"),
        (("a.py", "A.py"), "the names differ only in capitals or accents"),
        (("caf\u00e9.py", "cafe\u0301.py"), "the names differ only in capitals or accents"),
        (("a.py", "A.PY."), "capitals, accents, or dots or spaces at their end"),
    ],
)
def test_a_name_clash_gives_its_real_reason(names, reason):
    message = archive_refusal(*names)
    assert reason in message
    assert f"'{names[0]}' and '{names[1]}'" in message


def test_only_windows_is_named_for_trailing_dots():
    # macOS keeps "a.py." and "a.py" apart: only Windows drops the dot.
    assert "on Windows they are the same file" in archive_refusal("a.py", "a.py.")
    assert "on Windows and macOS they are" in archive_refusal("a.py", "A.py")
