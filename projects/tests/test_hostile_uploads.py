"""Hostile uploads through the real submit view: a clear refusal, never a 500, nothing kept.

Each case posts a raw multipart body (so names, headers and lengths are exactly the
hostile ones) and asserts the status, the message the student reads, and that no
Submission row, no stored file and no temporary upload file is left behind. Accepted
cases at the edges of the limits prove the checks do not refuse honest work.
"""

from __future__ import annotations

import html
import io
import os
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.test.client import FakePayload
from django.urls import reverse

from projects.archives import MAX_DEPTH, MAX_ENTRIES, MAX_PATH_LENGTH
from projects.models import Submission
from projects.services import group_create
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import media_files
from projects.uploads import (
    BROKEN_FORM,
    FORM_ALLOWANCE,
    ONE_ARCHIVE,
    UNREADABLE,
    UploadLimitHandler,
)

pytestmark = pytest.mark.django_db

BOUNDARY = "hostile-boundary-7f3a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"

NOT_ZIP = "This file is not a zip archive."
DAMAGED = "This zip archive is incomplete or damaged"
UNSAFE = "The archive contains an unsafe path"
NO_FILES = "The archive has no files in it."
BOMB = "which is typical of a zip bomb"


# --- building archives ---------------------------------------------------------------


def zip_of(entries, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we build
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def project(**extra: bytes) -> list[tuple[str, bytes]]:
    return [("src/app.py", b"print('hello')\n"), *extra.items()]


def symlink() -> bytes:
    link = zipfile.ZipInfo("src/config.py")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_of([*project(), (link, b"/etc/passwd")])


def encrypted() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret.py", b"x = 1\n")
        archive.getinfo("secret.py").flag_bits |= 0x1  # written with the directory on close
    return buffer.getvalue()


def deflate64() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("big.csv", b"a,b\n")
        archive.getinfo("big.csv").compress_type = 9  # zipfile cannot write Deflate64
    return buffer.getvalue()


def raw_name(name: bytes) -> bytes:
    """Return a zip whose one entry name is exactly NAME's bytes, without the UTF-8 flag."""
    placeholder = "Q" * len(name)
    raw = zip_of([(placeholder, b"print('ok')\n"), ("main.py", b"")])
    assert raw.count(placeholder.encode()) == 2
    return raw.replace(placeholder.encode(), name)


def invalid_utf8_name() -> bytes:
    """Return a zip whose entry name is flagged UTF-8 but is not."""
    raw = zip_of([("caf\u00e9.py", b"x = 1\n")])  # zipfile sets the flag for non-ASCII
    return raw.replace("caf\u00e9".encode(), b"caf\xff\xfe")


def local_name(listed: str, hidden: str) -> bytes:
    """Return a zip whose directory lists LISTED where its entry's own header says HIDDEN
    (as long): what an unpacker reading entry by entry would write."""
    assert len(listed) == len(hidden)
    raw = zip_of([*project(), (listed, b"print('ok')\n")])
    first = raw.find(listed.encode())  # the local header comes before the directory
    return raw[:first] + hidden.encode() + raw[first + len(listed) :]


def declared_sizes(raw: bytes, size: int) -> bytes:
    """Return RAW with every central directory record declaring SIZE unpacked bytes."""
    patched = bytearray(raw)
    at = patched.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<L", patched, at + 24, size)
        at = patched.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


def damaged_file() -> bytes:
    """Return a zip whose file's bytes changed after it was packed: its checksum fails."""
    raw = zip_of(project(), zipfile.ZIP_STORED)
    assert raw.count(b"hello") == 1
    return raw.replace(b"hello", b"hellp")


def understated_size() -> bytes:
    """Return a zip whose 5 MB file both its headers declare as 1,000 bytes (probe 29:
    taken, past the bomb check that reads declared sizes, and shown to no grader)."""
    patched = bytearray(zip_of([*project(), ("src/big.py", b"0" * 5_000_000)]))
    for magic, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = patched.find(magic)
        while at >= 0:
            if struct.unpack_from("<L", patched, at + offset)[0] == 5_000_000:
                struct.pack_into("<L", patched, at + offset, 1000)
            at = patched.find(magic, at + 4)
    return bytes(patched)


def wide_name(prefix: str, suffix: str, length: int) -> str:
    return prefix + "\u00e9" * (length - len(prefix) - len(suffix)) + suffix


# --- building requests ---------------------------------------------------------------


def part(name: str, data: bytes, *, filename: str | None = None, headers: tuple = ()) -> bytes:
    disposition = f'form-data; name="{name}"'
    lines = []
    if filename is not None:
        disposition += f'; filename="{filename}"'
        lines.append("Content-Type: application/zip")
    lines = [f"Content-Disposition: {disposition}", *lines, *headers]
    head = f"--{BOUNDARY}\r\n" + "\r\n".join(lines) + "\r\n\r\n"
    return head.encode() + data + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def upload(data: bytes, filename: str = "project.zip") -> bytes:
    # The order a browser sends: the file first, then the fields after it.
    return form(part("archive", data, filename=filename), part("note", b"Our project"))


@dataclass
class Posted:
    status: int
    page: str
    body_read: int
    body_size: int


def post(client: Client, url: str, body: bytes, content_type: str = MULTIPART) -> Posted:
    payload = FakePayload(body)
    response = client.generic("POST", url, body, content_type, **{"wsgi.input": payload})
    page = html.unescape(response.content.decode())  # messages as the student reads them
    return Posted(response.status_code, page, len(body) - len(payload), len(body))


@dataclass(frozen=True)
class Case:
    id: str
    body: Callable[[], bytes]
    message: str
    content_type: str = MULTIPART

    def param(self):
        return pytest.param(self, id=self.id)


def archive(build: Callable[[], bytes], filename: str = "project.zip") -> Callable[[], bytes]:
    return lambda: upload(build(), filename)


def entries(*items: tuple, method: int = zipfile.ZIP_DEFLATED) -> Callable[[], bytes]:
    return archive(lambda: zip_of([*project(), *items], method))


REFUSED = [
    # Files that do not unpack as packed.
    Case(
        "damaged-file",
        archive(damaged_file),
        "The file 'src/app.py' is damaged in the archive, so it can't be read.",
    ),
    Case(
        "understated-size",
        archive(understated_size),
        "The file 'src/big.py' is damaged in the archive, so it can't be read.",
    ),
    # Paths that leave the archive, in every spelling.
    Case("traversal", entries(("../evil.py", b"x")), UNSAFE),
    Case("traversal-nested", entries(("src/../../evil.py", b"x")), UNSAFE),
    Case("traversal-backslash", entries(("..\\evil.py", b"x")), UNSAFE),
    Case("absolute", entries(("/etc/cron.d/evil", b"x")), UNSAFE),
    Case("absolute-backslash", entries(("\\Windows\\evil.py", b"x")), UNSAFE),
    Case("unc-path", entries(("\\\\server\\share\\evil.py", b"x")), UNSAFE),
    Case("drive-letter", entries(("C:\\Users\\evil.py", b"x")), UNSAFE),
    Case("drive-letter-slash", entries(("c:/evil.py", b"x")), UNSAFE),
    Case("drive-relative", entries(("D:evil.py", b"x")), UNSAFE),
    Case("symlink", archive(symlink), "symbolic link: 'src/config.py'"),
    # Entries the server cannot or must not read.
    Case("encrypted", archive(encrypted), "password-protected ('secret.py' is encrypted)"),
    Case("bzip2", entries(("data.csv", b"a,b\n"), method=zipfile.ZIP_BZIP2), "compression method"),
    Case("lzma", entries(("data.csv", b"a,b\n"), method=zipfile.ZIP_LZMA), "compression method"),
    Case("deflate64", archive(deflate64), "'big.csv' uses a compression method"),
    Case(
        "duplicate-names",
        entries(("src/app.py", b"evil")),
        "The archive lists 'src/app.py' more than once.",
    ),
    Case(
        "header-names-another-path",
        archive(lambda: local_name("src/aaaa.py", "../aa.py   ")),
        "The archive names 'src/aaaa.py' differently in two places",
    ),
    Case(
        "names-differing-in-capitals",
        entries(("src/App.py", b"x")),
        "The archive holds both 'src/app.py' and 'src/App.py'",
    ),
    Case(
        "names-differing-in-accent-encoding",
        entries(("src/caf\u00e9.py", b"x"), ("src/cafe\u0301.py", b"y")),
        "on Windows and macOS they are the same file",
    ),
    Case(
        "names-windows-takes-for-one",  # it drops trailing dots, and "ı" is its "I"
        entries(("src/app.py.", b"x")),
        "The archive holds both 'src/app.py' and 'src/app.py.'",
    ),
    Case("dotless-i", entries(("src/ıt.py", b"x"), ("src/It.py", b"y")), "the same file"),
    Case(
        "a-file-that-is-a-folder-entry",
        entries(("SRC/App.py/", b"")),
        "'src/app.py' is both a file and a folder in this archive, which cannot be unpacked",
    ),
    Case(
        "a-file-that-is-a-folder",
        entries(("src/app.py/more.py", b"x")),
        "'src/app.py' is both a file and a folder in this archive",
    ),
    Case(
        "duplicate-across-separators",
        entries(("src\\app.py", b"evil")),
        "The archive lists 'src\\app.py' more than once.",
    ),
    Case(
        "utf8-flag-on-other-bytes",
        archive(invalid_utf8_name),
        DAMAGED,
    ),
    # Not a zip, or not only a zip.
    Case("polyglot-png", archive(lambda: PNG + zip_of(project())), NOT_ZIP),
    Case("polyglot-exe", archive(lambda: b"MZ\x90\x00" + bytes(60) + zip_of(project())), NOT_ZIP),
    Case("polyglot-pdf", archive(lambda: b"%PDF-1.7\n" + zip_of(project())), NOT_ZIP),
    Case("plain-text", archive(lambda: b"My report, not a zip.\n"), NOT_ZIP),
    Case("binary-random", archive(lambda: os.urandom(4096)), NOT_ZIP),
    Case("binary-elf", archive(lambda: b"\x7fELF\x02\x01\x01" + bytes(500)), NOT_ZIP),
    Case("truncated", archive(lambda: zip_of(project())[:60]), DAMAGED),
    Case(
        "truncated-directory",
        archive(lambda: zip_of(project(**{"b.py": b"x" * 500}))[:-30]),
        DAMAGED,
    ),
    Case(
        "damaged-directory",
        archive(lambda: zip_of(project()).replace(b"PK\x01\x02", b"PK\x09\x09")),
        DAMAGED,
    ),
    # Empty.
    Case(
        "empty-file",
        archive(lambda: b""),
        "This file is empty. Please upload the zip archive of your project.",
    ),
    Case("empty-zip", archive(lambda: zip_of([])), NO_FILES),
    Case("only-folders", archive(lambda: zip_of([("src/", b""), ("docs/", b"")])), NO_FILES),
    Case(
        "only-os-clutter",
        archive(lambda: zip_of([("__MACOSX/._app.py", b"x"), ("Thumbs.db", b"x")])),
        NO_FILES,
    ),
    # Bombs and sizes.
    Case(
        "many-small-compressed-entries",
        archive(lambda: zip_of([(f"pad/{i}.txt", bytes(100 * 1024)) for i in range(40)])),
        BOMB,
    ),
    Case("one-bomb-entry", entries(("zeros.bin", bytes(10 * MIB))), BOMB),
    Case(
        "declared-sizes-over-total",
        archive(
            lambda: declared_sizes(
                zip_of([(f"d{i}.bin", os.urandom(6000)) for i in range(201)], zipfile.ZIP_STORED),
                MIB,
            )
        ),
        "Once unpacked, the archive would take 201 MB; the limit is 200 MB.",
    ),
    Case(
        "too-many-entries",
        archive(lambda: zip_of([(f"f{i}.txt", b"") for i in range(MAX_ENTRIES + 1)])),
        "The archive has 2,001 entries; the limit is 2,000.",
    ),
    Case(
        "too-many-files-and-folders",
        archive(lambda: zip_of([(f"f{i}/x.py", b"") for i in range(MAX_ENTRIES // 2 + 1)])),
        "The archive holds 2,002 files and folders; the limit is 2,000.",
    ),
    # Deep and long paths.
    Case(
        "deep-path",
        entries(("a/" * (MAX_DEPTH + 1) + "x.py", b"")),
        "is 21 folders deep; the limit is 20. Please move your files into fewer nested",
    ),
    Case(
        "very-deep-path",
        entries(("a/" * 30_000 + "x.py", b"")),
        "The name of 'a/a/a/",
    ),
    Case(
        "long-path",
        entries((wide_name("src/", ".py", MAX_PATH_LENGTH + 1), b"")),
        "is 256 characters long with its folders; the limit is 255.",
    ),
    Case(
        "long-name",
        entries(("n" * 60_000, b"")),
        "is 60,000 characters long with its folders; the limit is 255.",
    ),
]

REQUESTS = [
    Case(
        "long-upload-file-name", archive(lambda: zip_of(project()), "p" * 1000 + ".zip"), UNREADABLE
    ),
    Case(
        "invalid-boundary",
        archive(lambda: zip_of(project())),
        BROKEN_FORM,
        content_type="multipart/form-data; boundary=" + "b" * 300,
    ),
    Case(
        "bad-base64-part",
        lambda: form(
            part(
                "archive",
                b"!!not base64!!",
                filename="p.zip",
                headers=("Content-Transfer-Encoding: base64",),
            )
        ),
        BROKEN_FORM,
    ),
    Case(
        "too-many-file-parts",
        lambda: form(*[part("archive", b"PK", filename=f"{i}.zip") for i in range(101)]),
        ONE_ARCHIVE,
    ),
    Case(
        "no-file-in-the-form",
        lambda: form(part("note", b"forgot the file")),
        "Upload a zip archive of your project, give a repository URL, or both.",
    ),
    # Probe 26: Django read it as "\ufffd\ufffd", and the version was saved with that note.
    Case(
        "note-not-utf8",
        lambda: form(
            part("archive", zip_of(project()), filename="p.zip"), part("note", b"ok \xff\xfe")
        ),
        "This text holds “\ufffd”, the mark of characters that could not be read.",
    ),
    # Probe 58: the address was saved with the "\ufffd" Django put for its bytes.
    Case(
        "repository-url-not-utf8",
        lambda: form(
            part("archive", zip_of(project()), filename="p.zip"),
            part("repository_url", b"https://github.com/a/\xed\xa0\x80"),
        ),
        "This text holds “\ufffd”, the mark of characters that could not be read.",
    ),
    # Probe 58: Django's "Null characters are not allowed." said neither what nor how.
    Case(
        "note-with-a-nul",
        lambda: form(part("archive", zip_of(project()), filename="p.zip"), part("note", b"a\x00b")),
        "This text holds an invisible control character (NUL, U+0000)",
    ),
    Case(
        "raw-zip-body",
        lambda: zip_of(project()),
        "Upload a zip archive of your project, give a repository URL, or both.",
        content_type="application/zip",
    ),
]

ACCEPTED = [
    Case("plain-project", entries(), ""),
    Case("non-utf8-names", archive(lambda: raw_name(b"src/caf\xe9.py")), ""),
    # macOS's Archive Utility: UTF-8 names (decomposed accents) without the zip's mark.
    Case("unmarked-utf8-names", archive(lambda: raw_name("src/cafe\u0301.py".encode())), ""),
    Case("binary-files-inside", entries(("logo.png", PNG), ("data.bin", os.urandom(2048))), ""),
    Case("dots-that-stay-inside", entries(("notes..txt", b"x"), ("./src/.env.example", b"")), ""),
    Case(
        "deepest-and-longest-names-allowed",
        entries(
            ("a/" * MAX_DEPTH + "x.py", b""),
            (wide_name("src/", ".py", MAX_PATH_LENGTH), b""),
        ),
        "",
    ),
    Case(
        "non-ascii-upload-name", archive(lambda: zip_of(project()), "projet-\u00e9t\u00e9.zip"), ""
    ),
    Case("long-upload-name-that-fits", archive(lambda: zip_of(project()), "p" * 300 + ".zip"), ""),
]


@pytest.fixture
def spooled(settings, tmp_path):
    """Send every upload through a temporary file, in a folder the test can inspect."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return folder


@pytest.fixture
def submit_url(assignment, student):
    group_create(assignment=assignment, student=student, name="Owls")
    return reverse(
        "projects:submit", kwargs={"course_slug": assignment.course.slug, "slug": assignment.slug}
    )


def assert_nothing_left(settings, spooled) -> None:
    assert not Submission.objects.exists()
    assert media_files(settings) == []
    assert list(spooled.iterdir()) == []


@pytest.mark.parametrize("case", [c.param() for c in REFUSED + REQUESTS])
def test_hostile_upload_is_refused_clearly_and_leaves_nothing(
    client, student, submit_url, settings, spooled, case: Case
):
    client.force_login(student)
    posted = post(client, submit_url, case.body(), case.content_type)
    assert posted.status == 400
    assert case.message in posted.page
    assert_nothing_left(settings, spooled)


@pytest.mark.parametrize("case", [c.param() for c in ACCEPTED])
def test_unusual_but_honest_upload_is_accepted(
    client, student, submit_url, settings, spooled, case: Case
):
    client.force_login(student)
    posted = post(client, submit_url, case.body(), case.content_type)
    assert posted.status == 302
    submission = Submission.objects.get()
    assert len(submission.archive_name) <= 255 and submission.archive_name.endswith(".zip")
    assert len(media_files(settings)) == 1
    assert list(spooled.iterdir()) == []  # the temporary copy is gone


def test_an_upload_declared_over_the_limit_is_refused_unread(
    client, student, submit_url, assignment, settings, spooled
):
    assignment.max_upload_mb = 1
    assignment.save()
    client.force_login(student)
    posted = post(client, submit_url, upload(os.urandom(3 * MIB)))
    assert posted.status == 400
    assert "This file is 3 MB; the limit for this project is 1 MB." in posted.page
    assert posted.body_read == 0
    assert_nothing_left(settings, spooled)


def test_an_upload_over_the_limit_stops_being_read_at_the_limit(
    client, student, submit_url, assignment, settings, spooled
):
    # Within the allowance for the other fields, so the declared length lets it start.
    assignment.max_upload_mb = 1
    assignment.save()
    client.force_login(student)
    posted = post(client, submit_url, upload(os.urandom(MIB + 48 * 1024)))
    assert posted.body_size <= MIB + FORM_ALLOWANCE
    assert posted.status == 400
    assert "This file is over 1 MB; the limit for this project is 1 MB." in posted.page
    # Reading stopped one chunk after the limit (and one read ahead for the boundary).
    chunk = UploadLimitHandler.chunk_size
    assert posted.body_read <= MIB + 2 * chunk + 1024 < posted.body_size
    assert_nothing_left(settings, spooled)


def test_files_that_add_up_over_the_limit_are_refused(
    client, student, submit_url, assignment, settings, spooled
):
    assignment.max_upload_mb = 1
    assignment.save()
    client.force_login(student)
    half = zip_of([("a.bin", os.urandom(MIB // 2 + 4096))], zipfile.ZIP_STORED)
    body = form(part("archive", half, filename="a.zip"), part("archive", half, filename="b.zip"))
    posted = post(client, submit_url, body)
    assert posted.status == 400
    assert "the limit for this project is 1 MB." in posted.page
    assert_nothing_left(settings, spooled)


def test_an_upload_just_under_the_limit_is_accepted(
    client, student, submit_url, assignment, settings, spooled
):
    assignment.max_upload_mb = 1
    assignment.save()
    data = zip_of([("data.bin", os.urandom(MIB - 1024))], zipfile.ZIP_STORED)
    assert MIB - 1024 < len(data) <= MIB
    client.force_login(student)
    assert post(client, submit_url, upload(data)).status == 302
    assert Submission.objects.get().archive_size == len(data)


def test_outsiders_are_refused_before_the_body_is_read(client, charlie, submit_url, course):
    client.force_login(charlie)
    posted = post(client, submit_url, upload(os.urandom(2 * MIB)))
    assert posted.status == 404
    assert posted.body_read == 0


def test_csrf_is_still_checked_once_the_upload_is_read(student, submit_url, assignment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    forged = post(client, submit_url, upload(zip_of(project())))
    assert forged.status == 403
    assert not Submission.objects.exists()

    client.get(assignment.get_absolute_url())  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    body = form(
        part("csrfmiddlewaretoken", token.encode()),
        part("archive", zip_of(project()), filename="project.zip"),
    )
    assert post(client, submit_url, body).status == 302
    assert Submission.objects.count() == 1
