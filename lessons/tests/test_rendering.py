from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lessons.rendering import markdown_to_html, render_markdown
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

HOSTILE = """# Title

<script>alert("owned")</script>

<img src="x.png" onerror="alert(1)">

<a href="javascript:alert(2)">click</a> and [md link](javascript:alert(3))

<div onclick="alert(4)" style="position:fixed">box</div>

<iframe src="https://evil.example"></iframe>
"""


def test_it_highlights_fenced_code_with_pygments_classes():
    html = render_markdown("```python\ndef hello():\n    return 42\n```").html
    assert '<div class="highlight">' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="mi">42</span>' in html


def test_it_renders_tables_and_heading_anchors_with_a_table_of_contents():
    rendered = render_markdown("## First part\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n### Detail\n")
    assert '<h2 id="md-first-part">' in rendered.html
    assert 'class="headerlink" href="#md-first-part"' in rendered.html
    assert "<table>" in rendered.html and '<td align="right">2</td>' in rendered.html
    assert 'href="#md-first-part"' in rendered.toc_html
    assert 'href="#md-detail"' in rendered.toc_html


def test_headings_in_any_script_get_anchors_of_their_own_words():
    """Probe 53: a Russian, Chinese or Arabic heading's anchor was numbered ("md-_1"): a
    heading added above renumbered it, and an author's "(#введение)" led nowhere."""
    source = (
        "## Введение\n\n[see](#введение)\n\n## 中文标题\n\n## مقدمة\n\n## Énoncé de l’exercice\n"
    )
    rendered = render_markdown(source)
    for anchor in ("введение", "中文标题", "مقدمة"):
        assert f'<h2 id="md-{anchor}">' in rendered.html, anchor
        assert f'href="#md-{anchor}"' in rendered.toc_html
    assert '<a href="#md-введение"' in rendered.html  # the author's own link
    # Latin letters with accents keep the anchors they always had.
    assert '<h2 id="md-enonce-de-lexercice">' in rendered.html
    assert "md-_" not in rendered.html
    # Adding a heading above changes no other anchor.
    assert '<h2 id="md-введение">' in render_markdown("## Новое\n\n" + source).html
    # Vowel signs are part of the word (probe 56: "परिचय" became "परचय", which no link
    # spells), and a heading of other digits is no number of position.
    hindi = render_markdown("## परिचय\n\n[go](#परिचय)\n\n## ٣٤\n").html
    assert '<h2 id="md-परिचय">' in hindi and '<a href="#md-परिचय"' in hindi
    assert '<h2 id="md-٣٤">' in hindi


def test_right_to_left_text_can_be_marked_so():
    """Probe 53: the sanitiser dropped dir="rtl", and <bdi> showed as text: an Arabic or
    Hebrew paragraph could only be laid out left to right."""
    html = render_markdown(
        'مرحبا بكم\n{: dir="rtl" lang="ar" }\n\n<p dir="rtl">שלום</p>\n\n'
        'A name: <bdi>محمد</bdi>.\n\n<p dir="ltr; x" lang="he">a</p>\n'
    ).html
    assert '<p dir="rtl" lang="ar">مرحبا بكم</p>' in html
    assert '<p dir="rtl">שלום</p>' in html
    assert "<bdi>محمد</bdi>" in html
    assert '<p lang="he">a</p>' in html  # a direction that is not one is dropped


def test_it_strips_scripts_event_handlers_and_javascript_urls():
    html = render_markdown(HOSTILE).html
    lowered = html.lower()
    assert "<script" not in lowered
    assert "alert(" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered
    assert "style=" not in lowered
    assert "click" in html and "box" in html  # the text survives, the code does not


def test_it_stores_html_toc_and_text_when_a_lesson_is_saved():
    lesson = LessonFactory(body="## Setup\n\nInstall **Flask**.")
    assert "<strong>Flask</strong>" in lesson.body_html
    assert 'href="#md-setup"' in lesson.toc_html
    assert lesson.body_text == "Setup Install Flask."
    lesson.body = "## Other\n\nNew text."
    lesson.save(update_fields=["body"])
    lesson.refresh_from_db()
    assert "New text." in lesson.body_html
    assert 'href="#md-other"' in lesson.toc_html


def test_script_in_markdown_never_reaches_the_lesson_page(client, pyweb, bob):
    lesson = pyweb.lessons[0]
    lesson.body = HOSTILE
    lesson.save()
    client.force_login(bob)
    page = client.get(lesson.get_absolute_url()).content.decode().lower()
    assert 'alert("owned")' not in page
    assert "onerror=" not in page
    assert "javascript:" not in page
    # The page's own scripts are external files (the CSP has no inline script).
    assert "<script>" not in page


# Classes and ids: Markdown must not restyle, hide or overlay the page around it.
OVERLAY = """## Complete status

<div class="position-fixed top-0 start-0 w-100 h-100" id="main-nav" style="z-index:9999">
Session expired: <a class="btn btn-danger stretched-link" href="https://x.example">log in</a>
</div>

<span class="d-none">hidden</span> <p class="visually-hidden" id="main">gone</p>

<a href="javascript:alert(1)" class="headerlink">x</a> <img src="data:image/png;base64,AAAA">

## Setup {: #submit .btn .fixed-top style="color:red" onclick="alert(1)" }

[Back to setup](#submit) and [the overlay](#main-nav)
"""


def attributes_of(html: str) -> list[tuple[str, str, str]]:
    """Return every (tag, attribute, value) in HTML, as a browser would read it."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend((tag, name, value or "") for name, value in attrs)

    Collector().feed(html)
    return found


# The box the renderer itself puts around each table after the sanitizer
# (test_a_table_scrolls_in_a_focusable_box_of_its_own): not the author's markup. An
# author's own div with that class loses it in the sanitizer, so is still caught.
_OWN_TABLE_BOX = re.compile(
    r'<div class="md-table" tabindex="0" role="region" aria-label="Table \d+"><table>'
)


def assert_cannot_restyle_the_page(html: str) -> None:
    from lessons.rendering import ALLOWED_CLASSES

    html = _OWN_TABLE_BOX.sub("<table>", html)
    for tag, name, value in attributes_of(html):
        assert name not in {"style"} and not name.startswith("on"), (tag, name, value)
        if name == "class":
            assert set(value.split()) <= ALLOWED_CLASSES.get(tag, set()), (tag, value)
        if name == "id":
            assert tag in {"h1", "h2", "h3", "h4", "h5", "h6"}, (tag, value)
            assert value.startswith("md-"), value
        if name in {"href", "src"}:
            assert not value.lower().startswith(("javascript:", "data:", "vbscript:")), value
        if name == "dir":
            assert value in {"ltr", "rtl", "auto"}, (tag, value)


def test_classes_ids_and_styles_cannot_overlay_or_hide_the_page():
    rendered = render_markdown(OVERLAY)
    assert_cannot_restyle_the_page(rendered.html)
    assert_cannot_restyle_the_page(rendered.toc_html)
    for bootstrap in ("position-fixed", "stretched-link", "btn", "d-none", "visually-hidden"):
        assert bootstrap not in rendered.html
    assert 'id="main-nav"' not in rendered.html and 'id="main"' not in rendered.html
    assert "Session expired" in rendered.html and "hidden" in rendered.html


def test_code_highlighting_and_heading_links_still_work():
    rendered = render_markdown(OVERLAY + "\n```python\nx = 1  # one\n```\n")
    assert '<div class="highlight">' in rendered.html
    assert '<span class="n">x</span>' in rendered.html and '<span class="c1">' in rendered.html
    assert '<h2 id="md-complete-status">' in rendered.html
    assert '<h2 id="md-submit">' in rendered.html  # attr_list's id, prefixed like the rest
    # Every in-page link (table of contents, permalinks, the author's own) has its target.
    ids = {value for _, name, value in attributes_of(rendered.html) if name == "id"}
    links = [
        value[1:]
        for _, name, value in attributes_of(rendered.html + rendered.toc_html)
        if name == "href" and value.startswith("#")
    ]
    assert links and set(links) - {"md-main-nav"} <= ids
    assert 'href="#md-submit"' in rendered.toc_html


def test_a_heading_cannot_take_the_id_of_an_element_of_the_lesson_page(client, pyweb, bob):
    lesson = pyweb.lessons[0]
    lesson.body = OVERLAY
    lesson.save()
    client.force_login(bob)
    page = client.get(lesson.get_absolute_url()).content.decode()
    # Our script writes "Completed" into #complete-status: it must still be our span.
    assert page.count('id="complete-status"') == 1
    assert page.count('id="main"') == 1
    assert "position-fixed top-0" not in page and "stretched-link" not in page


def test_briefs_and_feedback_are_sanitized_the_same_way(alice, bob, grace):
    from grading.services import review_save
    from grading.tests.factories import grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace)
    world.assignment.brief = OVERLAY
    world.assignment.save()
    review = review_save(review=world.review, by=grace, scores={}, overall_feedback=OVERLAY)
    for html in (world.assignment.brief_html, review.overall_feedback_html):
        assert_cannot_restyle_the_page(html)
        assert "position-fixed" not in html and "Session expired" in html


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<div ",
                    "<span ",
                    "<a ",
                    "<h2 ",
                    "<p ",
                    "<img ",
                    "<code ",
                    "<pre ",
                    'class="',
                    'id="',
                    'style="',
                    'href="',
                    "onclick=",
                    "javascript:",
                    "position-fixed",
                    "highlight",
                    "headerlink",
                    "toc",
                    "k",
                    "md-",
                    "#",
                    '">',
                    ">",
                    "</div>",
                    "</a>",
                    "\n\n## ",
                    "{: ",
                    " }",
                    "\n```python\n",
                    "\n```\n",
                    " ",
                    ".",
                    "=",
                ]
            ),  # fmt: skip
            st.text(max_size=8),
        ),
        max_size=40,
    ).map("".join)
)
# Found by CI: a bare table, boxed by the renderer itself, once read as the author's class.
@example(source="<table>")
def test_no_markdown_gets_a_class_or_id_past_the_sanitizer(source):
    rendered = render_markdown(source)
    assert_cannot_restyle_the_page(rendered.html)
    assert_cannot_restyle_the_page(rendered.toc_html)


def test_no_template_uses_the_prefix_kept_for_heading_ids():
    from pathlib import Path

    from django.conf import settings as django_settings

    from lessons.rendering import ID_PREFIX

    templates = Path(django_settings.BASE_DIR, "templates").rglob("*.html")
    clashing = [str(t) for t in templates if f'id="{ID_PREFIX}' in t.read_text(encoding="utf-8")]
    assert clashing == []


# Tags in prose: a web course names <style> or <textarea> all the time. What the
# sanitizer would not keep as markup must show as typed, not swallow what follows.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "Good work. Your <style> block in base.html is misplaced.\n\n"
            "Second paragraph: see line 12.",
            "<p>Good work. Your &lt;style&gt; block in base.html is misplaced.</p>\n"
            "<p>Second paragraph: see line 12.</p>",
        ),
        (
            "Move the <script> tag to the end of body.\n\nThen reload.",
            "<p>Move the &lt;script&gt; tag to the end of body.</p>\n<p>Then reload.</p>",
        ),
        (
            "An <xmp> element is obsolete.\n\nUse pre.",
            "<p>An &lt;xmp&gt; element is obsolete.</p>\n<p>Use pre.</p>",
        ),
        (
            "Use a <textarea> for the comment.\n\nThen a button.",
            "<p>Use a &lt;textarea&gt; for the comment.</p>\n<p>Then a button.</p>",
        ),
        (
            "The <title> names the tab.\n\nKeep it short.",
            "<p>The &lt;title&gt; names the tab.</p>\n<p>Keep it short.</p>",
        ),
        ("a<b and c>d", "<p>a&lt;b and c&gt;d</p>"),
        (
            "<style> goes in the head.\n\nSecond paragraph.",
            "<p>&lt;style&gt; goes in the head.</p>\n<p>Second paragraph.</p>",
        ),
    ],
)
def test_a_tag_named_in_prose_is_shown_as_typed(source, expected):
    rendered = render_markdown(source)
    assert rendered.html == expected
    assert rendered.text == " ".join(source.split())


def test_a_script_in_prose_is_shown_as_text_and_never_runs():
    html = render_markdown("Never write <script>alert(1)</script> in a template.").html
    assert html == "<p>Never write &lt;script&gt;alert(1)&lt;/script&gt; in a template.</p>"
    assert "<script" not in html.lower()
    assert html.count("<") == 2  # <p> and </p>: the rest is text


def test_the_html_the_allow_list_keeps_still_renders():
    html = render_markdown(
        "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, <img src=x.png onerror=alert(1)>"
        " <!-- a note -->\n\n<details open><summary>Hint</summary>\n\nUse a loop.\n\n</details>"
    ).html
    assert "<kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, " in html
    assert '<img alt="" src="x.png">' in html and "onerror" not in html
    assert "a note" not in html
    assert '<details open=""><summary>Hint</summary>' in html and "Use a loop." in html


def test_a_closed_script_or_style_block_is_still_dropped():
    source = "<style>\nbody { display: none }\n</style>\n\n<script>alert(1)</script>\n\nok"
    html = render_markdown(source).html
    assert html.strip() == "<p>ok</p>"


def test_tags_in_code_spans_and_fences_are_unchanged():
    source = "Write `<style>` here:\n\n```\n<script>x()</script>\n```\n\n    <textarea>"
    rendered = render_markdown(source)
    assert "<p>Write <code>&lt;style&gt;</code> here:</p>" in rendered.html
    assert "<code>&lt;script&gt;x()&lt;/script&gt;\n</code>" in rendered.html
    assert "<code>&lt;textarea&gt;\n</code>" in rendered.html


def test_a_later_style_block_does_not_close_a_style_named_in_prose():
    html = render_markdown("<style> goes in the head.\n\nSee:\n\n<style>p {}</style>\n\nDone.").html
    assert "<p>&lt;style&gt; goes in the head.</p>\n<p>See:</p>" in html
    assert "p {}" not in html and html.strip().endswith("<p>Done.</p>")


@pytest.mark.parametrize(
    "source",
    ["[" * 20000 + "x" + "]" * 20000, "[a](" * 10000, "<a " * 20000],
    ids=["nested brackets", "links never closed", "tags never closed"],
)
def test_brackets_that_keep_markdown_busy_are_shown_as_typed_within_the_budget(source):
    """Python-Markdown looks for each bracket's closing one up to the end of the text:
    these took 30 to 60 s (a worker held, or killed). Now the conversion stops at its
    budget and the text is shown as typed, escaped."""
    import time
    from html import escape

    from lessons.rendering import MARKDOWN_SECONDS, MARKDOWN_SECONDS_PER_KB, TOO_SLOW

    started = time.monotonic()
    rendered = render_markdown(source)
    budget = MARKDOWN_SECONDS + len(source) / 1024 * MARKDOWN_SECONDS_PER_KB
    assert time.monotonic() - started < budget + 1.5  # the budget, and the escaping after
    assert TOO_SLOW in rendered.html
    assert rendered.html.count("<a ") == 0 and escape(source[:48]) in rendered.html


@pytest.mark.parametrize(
    "source",
    ["``a`" * 10000, "```a``" * 7000, "```ini\n" + "=" * 60000 + "\n```\n"],
    ids=["backtick runs", "longer backtick runs", "a code block its lexer scans for long"],
)
def test_texts_that_keep_any_markdown_step_busy_are_stopped_at_the_budget(source):
    """Only the link processors looked at the deadline: a grader's feedback of backtick
    runs took 6 s to save, a lesson's 52 s (its worker killed), and a rubric text held
    every review page (probe 63). Every inline match, block and tree pass now looks."""
    import time

    from lessons.rendering import TOO_SLOW, markdown_deadline

    started = time.monotonic()
    with markdown_deadline(started + 0.3):
        rendered = render_markdown(source)
    assert TOO_SLOW in rendered.html
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("line", ["# a", "a\n=", "a\n--", "---", "- - -", "* * *"])
def test_a_text_of_hundreds_of_headings_or_rules_is_shown_as_typed(line):
    """Repeated titles each got an id counted up from the first, in one pass no deadline
    stops: 10,000 "# a" took 5.5 s (probe 63)."""
    from lessons.rendering import MAX_HEADINGS, TOO_SLOW

    assert TOO_SLOW in render_markdown(f"{line}\n\n" * (MAX_HEADINGS + 1)).html
    fine = render_markdown(f"{line}\n\n" * 20).html
    assert TOO_SLOW not in fine


def test_code_comments_are_not_counted_as_headings():
    from lessons.rendering import MAX_HEADINGS, TOO_SLOW

    code = "```python\n" + "# a comment\nx = 1\n" * (MAX_HEADINGS + 50) + "```\n"
    rendered = render_markdown("## Setup\n\n" + code)
    assert TOO_SLOW not in rendered.html
    assert "a comment" in rendered.html and "Setup" in rendered.toc_html


def test_ordinary_links_still_render_under_the_budget():
    rendered = render_markdown(
        "See [the docs](https://docs.djangoproject.com/) and [a][b].\n\n[b]: /x"
    )
    assert '<a href="https://docs.djangoproject.com/"' in rendered.html
    assert '<a href="/x"' in rendered.html


def test_nothing_of_one_text_reaches_the_next_rendered_after_it():
    """Texts share a converter per thread: a reference link, a heading or stashed HTML
    of one (a student's comment, another course's lesson) must not show in the next,
    nor what a conversion stopped halfway left behind."""
    fresh = render_markdown("Read [the guide][g].\n\n## Setup")
    first = render_markdown(
        "## Secret plan\n\n<details><summary>Hidden</summary>Kept</details>\n\n"
        "[g]: https://attacker.example/"
    )
    assert "Secret plan" in first.toc_html and "<details>" in first.html
    for after in ("[" * 20000 + "x" + "]" * 20000, "no stop", "> " * 2000 + "deep"):
        again = render_markdown("Read [the guide][g].\n\n## Setup")
        assert again == fresh, after[:20]
        assert "attacker.example" not in again.html and "Secret" not in again.toc_html
        assert "[the guide][g]" in again.html
        render_markdown(after)  # stopped at its budget or nesting, or ordinary


def test_a_table_scrolls_in_a_focusable_box_of_its_own():
    # Twelve columns made a phone's whole page scroll sideways; the box scrolls instead,
    # and takes the keyboard's focus so it can be scrolled without a mouse.
    source = "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\n<table></table>\n```\n"
    source += '<div class="md-table" tabindex="3" onfocus="x()">typed box</div>\n'
    html = render_markdown(source).html
    box = '<div class="md-table" tabindex="0" role="region" aria-label="Table 1"><table>'
    assert html.count(box) == 1 and html.count("</table></div>") == 1
    assert "&lt;table&gt;&lt;/table&gt;" in html  # code stays code
    assert 'tabindex="3"' not in html and "onfocus" not in html  # an author's box is not ours


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        # A grader's comment probing for script: the script goes; the image without a
        # text alternative gets an empty one, so screen readers skip it (axe image-alt).
        ("<img src=x onerror=alert(2)>", '<img alt="" src="x">'),
        ('![](/static/y.png "t")', '<img alt="" src="/static/y.png" title="t">'),
        ('<img src="a?alt=1">', '<img alt="" src="a?alt=1">'),
        ("![A diagram](/static/x.png)", '<img alt="A diagram" src="/static/x.png">'),
        # Another site's image, which the pages' CSP never loads (it was a broken image,
        # probe 37): a link to it, named by its text, escaped.
        (
            '![A <b>"chart"</b>](https://evil.example/p.png?a=1&b=2)',
            '<a href="https://evil.example/p.png?a=1&amp;b=2" rel="noopener noreferrer">'
            "A &lt;b&gt;&quot;chart&quot;&lt;/b&gt;</a> (an image on another site)",
        ),
        (
            '<img src="//cdn.example/y.png" onerror="alert(1)">',
            '<a href="//cdn.example/y.png" rel="noopener noreferrer">an image</a> (an image on',
        ),
    ],
)
def test_every_image_has_a_text_alternative(source, shown):
    html = markdown_to_html(source)
    assert shown in html
    assert 'src="http' not in html and 'src="//' not in html


@pytest.mark.parametrize(
    "source",
    [
        "\n".join(" " * (2 * level) + "- x" for level in range(2200)),
        "\n".join(">" * level + " - x" for level in range(1000)),
        "\n".join("\t" * level + "> - x" for level in range(400)),
    ],
    ids=["lists", "quotes", "tabs and quotes"],
)
def test_nesting_built_to_be_slow_is_shown_as_typed_within_the_budget(source):
    """Python-Markdown's block parsing is quadratic in the depth of lists and quotes,
    and the time budget did not reach it: 2,200 levels of a lesson held a worker 50 s."""
    import time

    from lessons.rendering import MARKDOWN_SECONDS, MARKDOWN_SECONDS_PER_KB, NESTED_TOO_DEEPLY

    started = time.monotonic()
    rendered = render_markdown(source)
    budget = MARKDOWN_SECONDS + len(source) / 1024 * MARKDOWN_SECONDS_PER_KB
    assert time.monotonic() - started < budget + 1.5
    assert NESTED_TOO_DEEPLY in rendered.html and "<pre>" in rendered.html


def test_lists_and_quotes_fifty_levels_deep_are_still_formatted():
    # Four columns a level, as Python-Markdown reads lists: 50 levels, 200 columns.
    lists = render_markdown("\n".join(" " * (4 * level) + "- x" for level in range(51))).html
    assert lists.count("<ul>") == 51
    quotes = render_markdown("\n".join(">" * level + " x" for level in range(1, 60))).html
    assert "<blockquote>" in quotes and "too deeply" not in quotes
