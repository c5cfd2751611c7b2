"""Markdown to safe HTML for project briefs, rendered once when the brief is saved.

A small stand-in for the lessons renderer so projects do not depend on it; the two
use the same allow-list idea and can be merged into one helper later.
"""

from __future__ import annotations

import markdown
import nh3

# What Markdown produces for a brief, and nothing else: no script, style, iframe,
# form, object or inline event handler survives, whatever the author types.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


def render_markdown(source: str) -> str:
    """Return sanitized HTML for the Markdown SOURCE."""
    html = markdown.markdown(source or "", extensions=MARKDOWN_EXTENSIONS)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
