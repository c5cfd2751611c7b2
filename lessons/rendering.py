"""Markdown to safe HTML, done once when content is saved (never per request).

Lesson bodies are written by instructors, but a pasted snippet or a typo must
never run in a student's browser: everything Markdown produces goes through nh3
with an allow-list before it is stored.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown
import nh3
from pygments.token import STANDARD_TYPES

# Tags Markdown (with our extensions) produces, and nothing else: no script,
# style, iframe, form or object, whatever the author writes inline.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "samp", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
# No on* handlers, no style, and no free "class" or "id": the page's own Bootstrap
# classes (position-fixed, stretched-link, d-none...) and ids (the navigation, the
# forms our scripts look up) would let a lesson, a brief or a feedback restyle,
# hide or overlay the page around it. See ALLOWED_CLASSES and _attribute_filter.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
# The classes that code highlighting (Pygments token names inside the codehilite
# wrapper) and the table of contents need, and nothing else.
PYGMENTS_CLASSES = frozenset(STANDARD_TYPES.values()) - {""} | {"hll"}
ALLOWED_CLASSES = {
    "span": set(PYGMENTS_CLASSES),
    "div": {"highlight", "toc"},
    "a": {"headerlink"},
}
# Heading anchors get this prefix, and so do the in-page links to them, so a heading
# called "Submit" cannot take the id of the page's own submit button.
ID_PREFIX = "md-"
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,120}")
# Relative links (other lessons, anchors) are fine; javascript:, data: and
# vbscript: URLs are dropped by nh3 because they are not in this list.
URL_SCHEMES = {"http", "https", "mailto"}

# Raw HTML in the Markdown source passes through Markdown untouched and is then
# reduced by nh3 to the allow-list above (script and style lose their content too).
MARKDOWN_EXTENSIONS = ["fenced_code", "codehilite", "tables", "toc", "sane_lists", "attr_list"]
MARKDOWN_CONFIG = {
    "codehilite": {"css_class": "highlight", "guess_lang": False, "wrapcode": True},
    "tables": {"use_align_attribute": True},
    "toc": {
        "permalink": "#",
        "permalink_class": "headerlink",
        "permalink_title": "Link to this section",
        "toc_depth": "2-3",
    },
}

NESTED_TOO_DEEPLY = "This text nests lists or quotes too deeply to be formatted; shown as typed."

_PERMALINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')
_INLINE_TAG_RE = re.compile(r"</?(?:span|code|a|em|strong|b|i|kbd|mark)\b[^>]*>")
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str
    text: str


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return ID_PREFIX + value if _ID_RE.fullmatch(value) else None
    if tag == "a" and attribute == "href" and value.startswith("#") and len(value) > 1:
        return f"#{ID_PREFIX}{value[1:]}"
    return value


def sanitize(fragment: str) -> str:
    """Return FRAGMENT reduced to the allow-lists, heading ids and their links prefixed."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(source: str) -> Rendered:
    """Return sanitised HTML, a table of contents and plain text for SOURCE."""
    md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG)
    try:
        converted = md.convert(source or "")
    except RecursionError:
        # Python-Markdown recurses once per level of nested lists or quotes: a few
        # hundred levels exhaust the stack. Show the text as it was typed instead of
        # failing the save; the author sees at once that something is off.
        escaped = html.escape(source)
        converted = f"<p><strong>{NESTED_TOO_DEEPLY}</strong></p>\n<pre>{escaped}</pre>"
        toc_tokens = []
    else:
        toc_tokens = getattr(md, "toc_tokens", [])
    body = sanitize(converted)
    toc = sanitize(md.toc) if toc_tokens else ""
    return Rendered(html=body, toc_html=toc, text=html_to_text(body))


def markdown_to_html(source: str) -> str:
    """Return only the sanitised HTML of SOURCE: project briefs, grader feedback."""
    return render_markdown(source).html


def html_to_text(fragment: str) -> str:
    """Return the readable text of FRAGMENT, used for search and snippets."""
    text = _INLINE_TAG_RE.sub("", _PERMALINK_RE.sub("", fragment))
    text = _TAG_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", html.unescape(text)).strip()
