"""The code viewer on the largest archives the upload limits accept, and on older ones.

Work is asserted structurally (rows, lines, queries), never timed: bench/viewer.py
prints the times and memory of the same worst cases.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from grading import services, viewer
from grading.models import LineComment
from grading.viewer import MAX_LINES, MAX_TREE_ROWS, archive_view, highlight_lines
from projects.archives import MAX_DEPTH, MAX_ENTRIES, MAX_PATH_LENGTH, validate_zip

pytestmark = pytest.mark.django_db

# Three UTF-8 bytes, nine characters once URL-encoded: the longest links a name can make.
WIDE = "\u6587"


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def worst_accepted_entries() -> list[tuple[str, bytes]]:
    """MAX_DEPTH nested folders holding files up to the entry limit, names at max length."""
    prefix = "".join(f"d{depth}{WIDE * 6}/" for depth in range(MAX_DEPTH))
    entries = []
    for index in range(MAX_ENTRIES - MAX_DEPTH):
        tail = f"{index}.py"
        name = prefix + WIDE * (MAX_PATH_LENGTH - len(prefix) - len(tail)) + tail
        entries.append((name, b"print('hi')\n"))
    return entries


def review_url(world, **query) -> str:
    url = reverse("grading:review", kwargs={"pk": world.review.pk})
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def store(world, data: bytes) -> None:
    # Saved straight to storage, as archives uploaded before the current limits were.
    world.submission.archive.save("stored.zip", ContentFile(data))


@pytest.fixture
def worst(world):
    entries = worst_accepted_entries()
    data = zip_bytes(entries)
    validate_zip(io.BytesIO(data))  # the limits accept it
    store(world, data)
    return entries


def test_the_largest_tree_the_limits_accept_is_listed_in_full(client, world, grace, worst):
    client.force_login(grace)
    response = client.get(review_url(world))
    assert response.status_code == 200
    viewer = response.context["viewer"]
    assert len(viewer.tree) == MAX_ENTRIES
    assert viewer.rows_hidden == 0
    assert viewer.file_count == MAX_ENTRIES - MAX_DEPTH
    assert max(row.depth for row in viewer.tree) == MAX_DEPTH
    files = [row for row in viewer.tree if not row.is_dir]
    # Every file of an accepted archive can be opened: its link is in the page.
    assert {row.path for row in files} == {name for name, _ in worst}
    assert response.content.decode().count('<a href="?path=') == len(files)
    assert 'id="tree-cut"' not in response.content.decode()

    longest = worst[-1][0]
    opened = client.get(review_url(world, path=longest))
    assert opened.status_code == 200
    assert opened.context["viewer"].file.lines[0].html.startswith('<span class="nb">print')


def test_the_largest_tree_costs_no_more_queries_than_a_small_one(client, world, grace, worst):
    client.force_login(grace)
    client.get(review_url(world))  # the first request also loads the session and user
    with CaptureQueriesContext(connection) as large:
        assert client.get(review_url(world)).status_code == 200
    store(world, zip_bytes([("app.py", b"print(1)\n")]))
    with CaptureQueriesContext(connection) as small:
        assert client.get(review_url(world)).status_code == 200
    assert len(large) == len(small)


def test_an_archive_stored_before_the_limits_is_cut_not_crashed(client, world, grace):
    deep = "d/" * 30_000
    long_name = "a/" + "n" * 4_000 + ".py"  # too long for a link (MAX_LINK_LENGTH)
    store(
        world,
        zip_bytes(
            [(long_name, b"x = 1\n"), ("a/b.py", b"print(1)\n")]
            + [(f"{deep}{i}.py", b"pass\n") for i in range(3)]
        ),
    )
    client.force_login(grace)
    response = client.get(review_url(world))
    assert response.status_code == 200
    viewer = response.context["viewer"]
    page = response.content.decode()
    assert len(viewer.tree) == MAX_TREE_ROWS
    nodes = 30_000 + 3 + 3
    assert viewer.rows_hidden == nodes - MAX_TREE_ROWS
    assert f"{nodes - MAX_TREE_ROWS} more items not listed" in page
    assert viewer.file_count == 5
    assert [row.name for row in viewer.tree[:2]] == ["a", "b.py"]

    # The name too long for a link is listed, shortened, without one.
    long_row = next(row for row in viewer.tree if row.name.startswith("nnn"))
    assert (long_row.path, len(long_row.name)) == ("", MAX_PATH_LENGTH)
    assert "name too long to open here; " in page
    # ... and the archive it sends the grader to is a link away (it was a 404 to them).
    download = world.submission.get_download_url()
    assert f'name too long to open here; <a href="{download}">download the archive</a>' in page
    assert f'not listed: <a href="{download}">download the archive</a>' in page
    assert client.get(download).status_code == 200
    assert '<a href="?path=a/b.py#file-viewer"' in page

    # Files past the cut still open by name.
    shown = archive_view(world.submission, f"{deep}2.py").file
    assert shown is not None and shown.error == ""
    assert shown.lines[0].html == '<span class="k">pass</span>'


def test_a_file_name_with_a_direction_override_shows_it(client, world, grace):
    """ "rtl\u202egpj.py" would read "rtlyp.jpg": the tree and the file's heading show
    the override as its code point, and the file still opens by its real name."""
    name = "rtl\u202egpj.py"
    store(world, zip_bytes([(name, b"x = 1\n"), ("app.py", b"y = 2\n")]))
    client.force_login(grace)
    page = client.get(review_url(world, path=name)).content.decode()
    badge = '<span class="badge text-bg-warning" title="An invisible character">U+202E</span>'
    assert f"rtl{badge}gpj.py" in page
    assert "\u202e" not in page.split('name="path"')[0]  # only the form's value keeps it
    assert '<span class="n">x</span>' in page


def test_the_feedback_page_uses_the_same_bounded_viewer(client, world, alice, bob):
    store(world, zip_bytes([(f"{'d/' * 5_000}x.py", b"pass\n"), ("a.py", b"1\n")]))
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal(8), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="",
        complete=True,
    )
    services.grades_release(assignment=world.assignment, by=alice)
    client.force_login(bob)
    response = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk}))
    assert response.status_code == 200
    assert len(response.context["viewer"].tree) == MAX_TREE_ROWS
    assert response.context["viewer"].rows_hidden == 5_000 + 2 - MAX_TREE_ROWS


def test_a_file_with_more_lines_than_the_cap_is_cut_and_says_so(client, world, grace):
    store(world, zip_bytes([("log.txt", b"ok\n" * (MAX_LINES + 5_000))]))
    LineComment.objects.create(review=world.review, path="log.txt", line=3, text="Early")
    LineComment.objects.create(
        review=world.review, path="log.txt", line=MAX_LINES + 10, text="Past the cut"
    )
    client.force_login(grace)
    response = client.get(review_url(world, path="log.txt"))
    shown = response.context["viewer"].file
    page = response.content.decode()
    assert len(shown.lines) == MAX_LINES
    assert shown.lines_truncated and not shown.truncated
    assert f"This file has more than {MAX_LINES:,} lines" in page
    assert page.count('<td class="ln">') == MAX_LINES
    assert [c.text for c in shown.orphan_comments] == ["Past the cut"]
    assert "Comments on lines not shown" in page


def test_carriage_returns_count_as_line_breaks(world):
    # Pygments splits lines at \r too; counted the same way, the cap holds.
    store(world, zip_bytes([("old-mac.txt", b"line\r" * (MAX_LINES + 10))]))
    shown = archive_view(world.submission, "old-mac.txt").file
    assert len(shown.lines) == MAX_LINES
    assert shown.lines_truncated


def test_line_comments_render_after_their_line(client, world, grace):
    store(world, zip_bytes([("app.py", b"a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n")]))
    LineComment.objects.create(review=world.review, path="app.py", line=2, text="About b")
    LineComment.objects.create(review=world.review, path="app.py", line=4, text="About d")
    client.force_login(grace)
    page = client.get(review_url(world, path="app.py")).content.decode()
    order = [page.index(marker) for marker in ('id="L2"', "About b", 'id="L3"', "About d")]
    assert order == sorted(order)
    assert page.index("About d") < page.index('id="L5"')
    assert '<tr id="L2" class="has-comment">' in page
    assert '<tr id="L3">' in page
    assert "Comment on line 4:" in page


def test_text_past_the_coloured_part_is_still_escaped(client, world, grace, monkeypatch):
    # Time enough to colour the first part on a loaded machine: the escaping after it
    # is what is tested (the time limit has a test of its own, below).
    monkeypatch.setattr(viewer, "HIGHLIGHT_SECONDS", 60)
    head = b"value = 1\n" * 11_000  # 110,000 characters: past the coloured part
    store(world, zip_bytes([("app.py", head + b"<script>alert(1)</script>\n")]))
    client.force_login(grace)
    response = client.get(review_url(world, path="app.py"))
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert response.context["viewer"].file.lines[0].html.startswith('<span class="n">value')


# --- properties ----------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list("ab =<>&\"'\r\n\t#:x1\u00e9")), max_size=200)
_TAG = re.compile(r"<[^>]*>")


@given(text=_TEXT, max_chars=st.integers(min_value=0, max_value=250))
def test_highlighting_keeps_every_line_and_escapes_it(text: str, max_chars: int) -> None:
    lines, _ = highlight_lines(text, "app.py", max_chars=max_chars)
    expected = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if expected[-1] == "":
        expected.pop()
    assert len(lines) == len(expected)
    for line, source in zip(lines, expected, strict=True):
        assert "\n" not in line
        assert html.unescape(_TAG.sub("", line)) == source


_PATHS = st.one_of(
    st.sampled_from(["app.py", "src/", "src/util.py", "src\\util.py", "../app.py", "/app.py"]),
    st.text(alphabet=st.sampled_from(list("./\\aps\u00e9%:\x00")), max_size=40),
    st.text(max_size=3000),
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_PATHS)
def test_any_path_shows_that_file_or_says_it_is_not_there(world, path: str) -> None:
    store(world, zip_bytes([("app.py", b"x = 1\n"), ("src/util.py", b"y = 2\n")]))
    view = archive_view(world.submission, path)
    assert view.error == ""
    if not path:
        assert view.file is None
    elif path in {"app.py", "src/util.py"}:
        assert view.file.error == "" and len(view.file.lines) == 1
    else:
        assert view.file.error == "That file is not in this archive."


def test_a_file_that_keeps_the_highlighter_busy_is_shown_plain_within_its_budget():
    """Some Pygments lexers slow down with the square of the text: 20,000 "&" in a YAML
    file took 4 s a view, 100,000 killed the worker. Past the budget, plain text."""
    import time

    from grading.viewer import HIGHLIGHT_SECONDS, highlight_lines

    highlight_lines("x: 1\n", "warm.yaml")  # Pygments loads its lexers on first use
    text = "&" * 30_000 + "\nkey: <b>value</b>\n"
    started = time.monotonic()
    lines, language = highlight_lines(text, "config.yaml")
    assert time.monotonic() - started < HIGHLIGHT_SECONDS + 1.5
    assert language == "YAML"
    assert lines == ["&amp;" * 30_000, "key: &lt;b&gt;value&lt;/b&gt;"]
    quick, _ = highlight_lines("key: value\n", "config.yaml")
    assert "<span" in quick[0]  # a file of normal size is still coloured


@pytest.mark.parametrize(
    ("text", "filename"),
    [("(" * 100_000, "app.ng2"), ("=" * 60_000, "setup.cfg"), ("a" * 20_000, "run.sh-session")],
)
def test_a_lexer_busy_before_its_first_token_is_stopped_at_the_budget(text, filename):
    """The deadline was looked at between tokens only: these lexers scan for seconds to
    minutes before their first one (probe 63: a student's .ng2 file of 100,000 "(" held
    the grader's worker until gunicorn killed it; a setup.cfg of "=" took 36 s)."""
    import time

    from grading.viewer import HIGHLIGHT_SECONDS, highlight_lines

    highlight_lines("x = 1\n", "warm.cfg")
    started = time.monotonic()
    lines, _language = highlight_lines(text + "\nafter\n", filename)
    assert time.monotonic() - started < HIGHLIGHT_SECONDS + 1.5
    assert lines == [text, "after"]  # plain: nothing in it to escape


def test_in_a_thread_less_is_coloured_where_no_timer_can_stop_a_lexer():
    import threading

    from grading.viewer import THREAD_HIGHLIGHT_MAX_CHARS, highlight_lines

    text = "x = 1\n" * (THREAD_HIGHLIGHT_MAX_CHARS // 6 + 100)
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(lines=highlight_lines(text, "a.py")[0]))
    thread.start()
    thread.join()
    lines = seen["lines"]
    assert "<span" in lines[0] and "<span" not in lines[-1] and lines[-1] == "x = 1"
    assert "<span" in highlight_lines(text, "a.py")[0][-1]  # the main thread colours it all


# "Trojan Source" (CVE-2021-42574): the comparison reads as a comment, and runs.
TROJAN = (
    'access_level = "user"\n'
    'if access_level != "none\u202e \u2066// Check if admin\u2069 \u2066":\n'
    "    print('You are an admin.')\n"
).encode()


def test_code_whose_characters_reorder_it_shows_them_and_says_so(client, world, grace):
    """Probe 104: a file's text with direction overrides read one way on the grader's
    page and ran another, with no mark, where file names with them were marked."""
    store(
        world,
        zip_bytes(
            [
                ("trojan.py", TROJAN),
                ("plain.py", b"x = 1\n"),
                ("emoji.py", "\ufeffcoder = '👩\u200d💻'\n".encode()),
                ("spaced.py", "na\u200bme = 1\n".encode()),
            ]
        ),
    )
    client.force_login(grace)
    page = client.get(review_url(world, path="trojan.py")).content.decode()
    code = page.split('id="code"')[1].split("</table>")[0]
    for point in ("U+202E", "U+2066", "U+2069"):
        assert f'title="An invisible character">{point}</span>' in code
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", code)  # none left to act
    warning = page.split('id="invisible-characters">')[1].split("</div>")[0]
    assert "(U+202E, U+2066, U+2069)" in warning
    assert "code can run differently from how it reads" in warning
    # A file without them has no warning; nor one whose only ones are an emoji's joiners
    # and a byte-order mark (probe 105: every emoji sequence was badged, alarmingly);
    # a zero-width space is shown, without the words about reordering.
    page = client.get(review_url(world, path="plain.py")).content.decode()
    assert 'id="invisible-characters"' not in page
    page = client.get(review_url(world, path="emoji.py")).content.decode()
    assert 'id="invisible-characters"' not in page and "U+200D" not in page
    page = client.get(review_url(world, path="spaced.py")).content.decode()
    warning = page.split('id="invisible-characters">')[1].split("</div>")[0]
    assert "(U+200B)" in warning and "run differently" not in warning


def test_the_changes_between_versions_show_reordering_characters_too(client, grace, alice, bob):
    from .factories import grading_world, resubmitted_after_grading

    world = grading_world(alice=alice, bob=bob, grace=grace)
    resubmitted_after_grading(world, bob, {"app.py": TROJAN.decode()})
    client.force_login(grace)
    page = client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).content.decode()
    changes = page.split("Changes from graded version 1 to version 2")[1]
    assert 'title="An invisible character">U+202E</span>' in changes
    assert "\u202e" not in changes.split('name="path"')[0]
