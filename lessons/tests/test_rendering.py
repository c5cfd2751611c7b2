from __future__ import annotations

import pytest

from lessons.rendering import render_markdown
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
    assert '<h2 id="first-part">' in rendered.html
    assert 'class="headerlink" href="#first-part"' in rendered.html
    assert "<table>" in rendered.html and '<td align="right">2</td>' in rendered.html
    assert 'href="#first-part"' in rendered.toc_html
    assert 'href="#detail"' in rendered.toc_html


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
    assert 'href="#setup"' in lesson.toc_html
    assert lesson.body_text == "Setup Install Flask."
    lesson.body = "## Other\n\nNew text."
    lesson.save(update_fields=["body"])
    lesson.refresh_from_db()
    assert "New text." in lesson.body_html
    assert 'href="#other"' in lesson.toc_html


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
