"""Markdown to safe HTML, done once when content is saved (never per request).

Lesson bodies are written by instructors, but a pasted snippet or a typo must
never run in a student's browser: everything Markdown produces goes through nh3
with an allow-list before it is stored.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote

import markdown
import nh3
from markdown.extensions import Extension, toc
from markdown.htmlparser import HTMLExtractor
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from pygments.token import STANDARD_TYPES

from coursesite.timeouts import raising_at
from coursesite.wording import first_few

# Tags Markdown (with our extensions) produces, and nothing else: no script,
# style, iframe, form or object, whatever the author writes inline.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "samp", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "bdi",
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
    # Shown unfolded (no "name": that ties the page's other <details> to the lesson's).
    "details": {"open"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    # Any element: its language, and its direction (an Arabic or Hebrew paragraph,
    # `{: dir="rtl" }`), which only lays text out (_attribute_filter keeps ltr/rtl/auto).
    "*": {"lang", "title", "dir"},
}
_DIRECTIONS = {"ltr", "rtl", "auto"}
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
# Relative links (other lessons, anchors) are fine; javascript:, data: and
# vbscript: URLs are dropped by nh3 because they are not in this list.
URL_SCHEMES = {"http", "https", "mailto"}


def _heading_slug(value: str, separator: str) -> str:
    """A heading's anchor: its words in ASCII ("Énoncé" -> "enonce"), as they always
    were, unless its letters have no ASCII form: then its words as written, where the
    ASCII slug was empty and the anchors numbered by position, "_1", "_2" (probe 53: a
    heading added above renumbered them, and "[link](#введение)" led nowhere)."""
    unmarked = "".join(
        c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)
    )
    if all(c.isascii() or not c.isalnum() for c in unmarked):
        return toc.slugify(value, separator)
    # Letters, digits and the marks that belong to them (Python-Markdown's own Unicode
    # slug drops the marks: "परिचय" became "परचय", which no link to it spells; probe 56).
    kept = "".join(
        c if _is_id_character(c) else " " if c.isspace() else ""
        for c in unicodedata.normalize("NFC", value)
    )
    return re.sub(rf"[\s{re.escape(separator)}]+", separator, kept.strip()).lower()


def _is_id_character(character: str) -> bool:
    return unicodedata.category(character)[0] in "LNM" or character in "-_"


def _is_heading_id(value: str) -> bool:
    return 0 < len(value) <= 120 and all(_is_id_character(c) for c in value)


# Raw HTML in the Markdown source is kept only for the tags of the allow-list (nh3
# then strips what their attributes may not carry); any other tag is shown as the
# text the author typed, see _RawHtmlExtension. A whole HTML block (a line starting
# with <script> ... closed by </script>) is still left to nh3, which drops it.
MARKDOWN_EXTENSIONS = ["fenced_code", "codehilite", "tables", "toc", "sane_lists", "attr_list"]
MARKDOWN_CONFIG = {
    "codehilite": {"css_class": "highlight", "guess_lang": False, "wrapcode": True},
    "tables": {"use_align_attribute": True},
    "toc": {
        "permalink": "#",
        "permalink_class": "headerlink",
        "permalink_title": "Link to this section",
        "toc_depth": "2-3",
        "slugify": _heading_slug,
    },
}

# Attributes that are written without a value in real HTML: "<details open>" is
# markup, "a<b and c>d" is a comparison in prose.
_BOOLEAN_ATTRIBUTES = {"open", "reversed", "hidden"}

# Elements whose content an HTML parser reads as text up to their end tag.
_TEXT_ONLY_ELEMENTS = {
    "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea",
    "title", "xmp",
}  # fmt: skip

NESTED_TOO_DEEPLY = "This text nests lists or quotes too deeply to be formatted; shown as typed."
TOO_SLOW = "This text is too long or too tangled to be formatted in time; shown as typed."
# What one conversion may take. Python-Markdown looks for each "[" or "(" of a link's
# closing bracket up to the end of the text: 20,000 characters of brackets took 30 s
# to 60 s (a grader's feedback held a worker that long; a lesson's got it killed).
# Real text converts in about 10 ms per KB (the demo's longest lesson, 11 KB: 0.11 s on
# a busy machine), so the budget grows with the text, three times that and a second.
MARKDOWN_SECONDS = 1.0
MARKDOWN_SECONDS_PER_KB = 0.03
_LINK_PROCESSORS = (
    "reference",
    "link",
    "image_link",
    "image_reference",
    "short_reference",
    "short_image_ref",
)

_PERMALINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')
_INLINE_TAG_RE = re.compile(r"</?(?:span|code|a|em|strong|b|i|kbd|mark)\b[^>]*>")
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str
    text: str


class _TagReader(HTMLParser):
    """Read the name and attributes of the single tag it is fed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tag: str | None = None
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag, self.attrs = tag, attrs

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.tag = tag


def _kept_as_markup(raw_tag: str) -> bool:
    """Return whether RAW_TAG is a tag of the allow-list, written as HTML."""
    reader = _TagReader()
    reader.feed(raw_tag)
    reader.close()
    if reader.tag not in ALLOWED_TAGS:
        return False
    return all(value is not None or name in _BOOLEAN_ATTRIBUTES for name, value in reader.attrs)


class _ProseTagProcessor(HtmlInlineProcessor):
    """Keep inline raw HTML of the allow-list; leave any other tag as text.

    Left to nh3, "<style>" in a sentence swallows the rest of the lesson (raw text
    until a "</style>" that never comes), "<textarea>" turns it into literal markup
    and "a<b and c>d" turns it bold. As text, Markdown escapes it like any "<".
    """

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str | None, int | None, int | None]:
        raw = m.group(1)
        if raw.startswith("<!--") or _kept_as_markup(raw):
            return super().handleMatch(m, data)
        return None, None, None


class _ProseTagExtractor(HTMLExtractor):
    """Read a line starting with a tag outside the allow-list as prose, unless closed.

    Markdown takes "<style> goes in the head." at the start of a line for an HTML
    block that runs to its "</style>": without one, to the end of the text, which
    nh3 then drops. Such an unclosed tag is prose and goes to _ProseTagProcessor.
    """

    def reset(self) -> None:
        self._tag_positions: dict[str, tuple[list[int], list[int]]] = {}
        super().reset()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        prose = not (self.inraw or tag in ALLOWED_TAGS or self._closed_later(tag))
        if not (prose and self.md.is_block_level(tag)):
            super().handle_starttag(tag, attrs)
            return
        self.cleandoc.append(self.get_starttag_text())
        if tag in self.CDATA_CONTENT_ELEMENTS:
            self.clear_cdata_mode()

    def _closed_later(self, tag: str) -> bool:
        # The positions are found once per tag name, not once per tag: a text of a
        # thousand "<style>" lines must not be read a thousand times.
        if tag not in self._tag_positions:
            name = re.escape(tag)
            opens = re.finditer(rf"<{name}[\s/>]", self.rawdata, re.IGNORECASE)
            ends = re.finditer(rf"</{name}\s*>", self.rawdata, re.IGNORECASE)
            self._tag_positions[tag] = ([m.start() for m in opens], [m.start() for m in ends])
        opens, ends = self._tag_positions[tag]
        here = self.line_offset + self.offset
        end = bisect.bisect_right(ends, here)
        if end == len(ends):
            return False
        if tag not in _TEXT_ONLY_ELEMENTS:
            return True
        # <style> cannot nest: the next </style> closes a later <style>, not this one.
        next_open = bisect.bisect_right(opens, here)
        return next_open == len(opens) or ends[end] < opens[next_open]


# A "<" that opens a tag nothing closes before the next "<": Python's HTML parser looks
# for its end up to the end of the text, each time ("<a " x 20,000 took 60 s).
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*(?=<|\Z)")
MAX_UNCLOSED_TAGS = 300


class _ProseTagBlockPreprocessor(HtmlBlockPreprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        unclosed = itertools.islice(_UNCLOSED_TAG.finditer(text), MAX_UNCLOSED_TAGS + 1)
        if sum(1 for _ in unclosed) > MAX_UNCLOSED_TAGS:
            raise _OutOfTime
        parser = _ProseTagExtractor(self.md)
        parser.feed(text)
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class _OutOfTime(Exception):
    pass


class _TimeBudgetExtension(Extension):
    """Stop a conversion past its deadline (``md.deadline``) wherever it can run long: the
    link processors' scans for a closing bracket, asked once per opening one; and every
    inline match, block and tree pass, each of which may scan the rest of the text
    (probe 63: backtick runs, repeated "---" or setext underlines took seconds to
    minutes, outside the budget). Registered last: it wraps every other extension's."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.deadline = float("inf")
        for name in _LINK_PROCESSORS:
            processor = md.inlinePatterns[name]
            for method in ("getText", "getLink"):
                setattr(processor, method, _within(md, getattr(processor, method)))
        for processor in md.inlinePatterns:
            processor.handleMatch = _within(md, processor.handleMatch)
        for processor in md.parser.blockprocessors:
            processor.run = _within(md, processor.run)
        for processor in md.treeprocessors:
            processor.run = _within(md, processor.run)
        # After fenced_code (25) has set the code blocks aside: their "# comments" are code.
        md.preprocessors.register(_ManyHeadingsPreprocessor(md), "many_headings", 15)


def _within(md: markdown.Markdown, step):
    def bounded(*args):
        if time.monotonic() > md.deadline:
            raise _OutOfTime
        return step(*args)

    return bounded


# Headings a text may have. The table of contents gives each repeated title an id of its
# own by counting up from the first ("a", "a_1", "a_2"…), anew for each: 10,000 "# a"
# took 5.5 s in one pass no deadline can stop, 1,000 a second (probe 63). A long lesson
# has a few dozen.
MAX_HEADINGS = 500
# A heading ("#", or text underlined with "=" or "-") or a rule ("---", "* * *").
_HEADING_LINE_RE = re.compile(
    r"^ {0,3}(?:#|=+[ \t]*$|-+[ \t]*$|(?:[-*_][ \t]*){3,}$)", re.MULTILINE
)


class _ManyHeadingsPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        found = _HEADING_LINE_RE.finditer("\n".join(lines))
        if sum(1 for _ in itertools.islice(found, MAX_HEADINGS + 1)) > MAX_HEADINGS:
            raise _OutOfTime
        return lines


class _RawHtmlExtension(Extension):
    """Replace Markdown's raw HTML handlers (same names and priorities) with ours."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_ProseTagBlockPreprocessor(md), "html_block", 20)
        md.inlinePatterns.register(_ProseTagProcessor(HTML_RE, md), "html", 90)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "dir":
        return value if value in _DIRECTIONS else None
    if attribute == "id":
        # Letters of any script: a Russian or Hindi heading's anchor is its own words.
        return ID_PREFIX + value if _is_heading_id(value) else None
    if tag == "a" and attribute == "href" and value.startswith("#") and len(value) > 1:
        return f"#{ID_PREFIX}{value[1:]}"
    if attribute == "open":  # a boolean attribute: its value means nothing, keep none
        return ""
    return value


def sanitize(fragment: str) -> str:
    """Return FRAGMENT reduced to the allow-lists, heading ids and their links prefixed,
    each table in a box that scrolls sideways (``_scrolling_tables``)."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return _scrolling_tables(_images_with_alt(cleaned))


# nh3 writes every tag's attributes as name="value".
OTHER_SITE_IMAGE = "(an image on another site)"
_IMG_TAG = re.compile(r'<img((?:\s+[a-z-]+="[^"]*")*)\s*/?>')


_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"')


def _images_with_alt(html: str) -> str:
    """Give an image written without a text alternative an empty one (alt=""): a
    screen reader then skips it instead of reading its file name. An image of another
    site, which the pages' Content-Security-Policy never loads (a reader's address is
    nobody else's to log), becomes a link to it: it was a broken image (probe 37)."""
    if "<img" not in html:
        return html

    def with_alt(found: re.Match[str]) -> str:
        attributes = found.group(1)
        named = dict(_ATTRIBUTE.findall(attributes))
        # "/\host/x.png" and "\\host" are read by browsers as "//host": another site's.
        if named.get("src", "").startswith(("http:", "https:", "//", "/\\", "\\")):
            text = named.get("alt") or "an image"  # both as escaped by nh3
            link = f'<a href="{named["src"]}" rel="noopener noreferrer">{text}</a>'
            return f"{link} {OTHER_SITE_IMAGE}"
        if "alt" in named:
            return found.group(0)
        return f'<img alt=""{attributes}>'

    return _IMG_TAG.sub(with_alt, html)


# nh3 writes a link's attributes as name="value" too.
_A_TAG = re.compile(r'<a((?:\s+[a-z-]+="[^"]*")*)\s*>')


def with_attached_files(rendered: str, attached: Mapping[str, str]) -> str:
    """Point each image and link of RENDERED whose address is the name of a file in
    ATTACHED ({file name: its address}) at that file: an author writes
    ``![Flow](diagram.png)`` or ``[the slides](slides.pdf)`` with the file attached, which
    the browser looked for beside the page (probe 83). Names match as typed, then
    whatever their case ("Diagram.PNG")."""
    if not attached or ("<img" not in rendered and "<a" not in rendered):
        return rendered
    folded = {name.casefold(): address for name, address in reversed(attached.items())}

    def pointed(found: re.Match[str], attribute: str) -> str:
        value = dict(_ATTRIBUTE.findall(found.group(1))).get(attribute, "")
        name = unquote(html.unescape(value)).removeprefix("./")
        address = attached.get(name) or folded.get(name.casefold())
        if not value or address is None:
            return found.group(0)
        escaped = html.escape(address, quote=True)
        return found.group(0).replace(f' {attribute}="{value}"', f' {attribute}="{escaped}"', 1)

    rendered = _IMG_TAG.sub(lambda found: pointed(found, "src"), rendered)
    return _A_TAG.sub(lambda found: pointed(found, "href"), rendered)


# The addresses with_attached_files writes, relative to the lesson's page. In sanitised
# HTML a quote inside text is escaped, so ` src="` can only open an attribute.
_FILE_ADDRESS = re.compile(r' (src|href)="(files/\d+/)"')


def with_absolute_file_addresses(rendered: str, page_address: str) -> str:
    """RENDERED with its attached files' addresses made absolute from PAGE_ADDRESS (the
    lesson page's, ending in "/"): a reader of the HTML outside that page, an API
    client, would resolve "files/3/" against its own address."""
    if "files/" not in rendered:
        return rendered
    base = html.escape(page_address, quote=True)
    return _FILE_ADDRESS.sub(lambda found: f' {found[1]}="{base}{found[2]}"', rendered)


def image_problems(rendered: str, attached: Mapping[str, str]) -> list[str]:
    """What an author is told of the images of RENDERED (a lesson's HTML, its ATTACHED
    files {name: address}) that readers will not see: addresses that are no attached file
    (nor the site's own, "/…"), and images of other sites. One sentence for each kind,
    naming the first few (probe 85: 10,000 images made as many messages)."""
    addresses = set(attached.values())
    missing: dict[str, None] = {}
    for found in _IMG_TAG.finditer(rendered):
        src = html.unescape(dict(_ATTRIBUTE.findall(found.group(1))).get("src", ""))
        if src not in addresses and not (src.startswith("/") and not src.startswith("/\\")):
            # An address the sanitiser took away (data:, javascript:) leaves none.
            missing[src or "an address the site does not load"] = None
    problems = []
    if missing:
        names = first_few([f"“{name}”" for name in missing], 5)
        if len(missing) == 1:
            problems.append(
                f"The image {names} is no file attached to this lesson: students would see "
                "a broken image. Attach a file of that name to the lesson, or correct the "
                "name."
            )
        else:
            problems.append(
                f"The images {names} are no files attached to this lesson: students would "
                "see broken images. Attach files of those names to the lesson, or correct "
                "the names."
            )
    if f"</a> {OTHER_SITE_IMAGE}" in rendered:  # as _images_with_alt writes it, not prose
        problems.append(
            "Images of other sites are shown as links, not images (the site loads nothing "
            "from elsewhere, so that nobody else learns who reads the lesson): attach the "
            "image to the lesson and write its file name instead."
        )
    return problems


# A relative address whose last part has a file's extension ("slides.pdf", "data/a.csv"):
# an attachment's name; a link to another lesson ("../flask-intro/") has none.
_FILE_NAME = re.compile(
    r"\A(?![a-z][a-z0-9+.-]*:|[/#?])(?:[^?#]*/)?[^/?#]+\.[A-Za-z0-9]{1,8}(?:[?#].*)?\Z"
)


def link_problems(rendered: str, attached: Mapping[str, str]) -> list[str]:
    """What an author is told of RENDERED's links to files that are not ATTACHED (probe 96:
    "[the slides](slides.pdf)" without the file gave students a page not found, where a
    missing image was said). One sentence, naming the first few."""
    addresses = set(attached.values())
    names = {name.casefold() for name in attached}
    missing: dict[str, None] = {}
    for found in _A_TAG.finditer(rendered):
        href = html.unescape(dict(_ATTRIBUTE.findall(found.group(1))).get("href", ""))
        if href in addresses or href.startswith("www.") or not _FILE_NAME.match(href):
            continue  # "www.…" is a site, said by the link itself when followed
        name = unquote(re.split(r"[?#]", href, maxsplit=1)[0]).removeprefix("./")
        if unicodedata.normalize("NFC", name).casefold() not in names:
            missing[href] = None
    if not missing:
        return []
    said = first_few([f"“{name}”" for name in missing], 5)
    if len(missing) == 1:
        return [
            f"The link to {said} points at no file attached to this lesson: students would "
            "find no page there. Attach a file of that name to the lesson, or correct the "
            "name."
        ]
    return [
        f"The links to {said} point at no files attached to this lesson: students would "
        "find no page there. Attach files of those names to the lesson, or correct the names."
    ]


# nh3 writes every table tag as these, without attributes (none is allowed on a table).
_TABLE_BOX = '<div class="md-table" tabindex="0" role="region" aria-label="Table {}">'


def _scrolling_tables(html: str) -> str:
    """Put each table in a box of its own width that scrolls sideways, focusable so the
    keyboard scrolls it too: twelve columns made a phone's whole page scroll. The
    boxes are numbered, so a screen reader's list of regions tells them apart."""
    if "<table>" not in html:
        return html
    parts = html.split("<table>")
    boxed = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        boxed.append(_TABLE_BOX.format(number) + "<table>" + part)
    return "".join(boxed).replace("</table>", "</table></div>")


# The deadline of the texts rendered together (markdown_budget), if any.
_shared_deadline: ContextVar[float] = ContextVar("markdown_deadline", default=math.inf)


def seconds_for(source: str) -> float:
    """The time SOURCE may take to convert."""
    return MARKDOWN_SECONDS + len(source) / 1024 * MARKDOWN_SECONDS_PER_KB


@contextmanager
def markdown_budget(source: str) -> Iterator[None]:
    """Convert every text inside within the budget of SOURCE, all of them together.

    A lesson's question blocks each render their prompt, choices and feedback: with a
    budget each, a body of many blocks built to be slow took 24 s a block.
    """
    token = _shared_deadline.set(
        min(_shared_deadline.get(), time.monotonic() + seconds_for(source))
    )
    try:
        yield
    finally:
        _shared_deadline.reset(token)


@contextmanager
def markdown_deadline(at: float) -> Iterator[None]:
    """Convert every text inside by AT (``time.monotonic()``), all of them together."""
    token = _shared_deadline.set(min(_shared_deadline.get(), at))
    try:
        yield
    finally:
        _shared_deadline.reset(token)


def fell_back(html_text: str) -> bool:
    """Whether HTML_TEXT is a text shown as typed, out of time or nesting too deeply."""
    return html_text.startswith(("<p><strong>" + TOO_SLOW, "<p><strong>" + NESTED_TOO_DEEPLY))


# One converter a thread, reset before each text: building one (its extensions, their
# processors) was more than half of rendering a short text, and a lesson's questions
# render a few texts each (200 questions: 1,600 texts, a second of the save).
_converters = threading.local()


def _converter() -> markdown.Markdown:
    md = getattr(_converters, "md", None)
    if md is None:
        md = _converters.md = markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, _RawHtmlExtension(), _TimeBudgetExtension()],
            extension_configs=MARKDOWN_CONFIG,
        )
    # Forgets the last text's reference links, stashed HTML and table of contents.
    return md.reset()


# Levels of lists and quotes a text may nest (a level: a ">" or two columns of indent).
# Python-Markdown's block parsing is quadratic in the depth, outside the time budget,
# which only its inline scanning checks: 2,200 levels took 50 s to save. Real lessons
# nest a few levels; 100 take 0.05 s.
MAX_NESTING = 100
_LINE_LEAD_RE = re.compile(r"^[ \t>]+", re.MULTILINE)


def _nests_too_deeply(source: str) -> bool:
    for found in _LINE_LEAD_RE.finditer(source):
        lead = found.group()
        quotes = lead.count(">")
        if quotes + len(lead.replace(">", "").expandtabs(4)) // 2 > MAX_NESTING:
            return True
    return False


def render_markdown(source: str) -> Rendered:
    """Return sanitised HTML, a table of contents and plain text for SOURCE."""
    md = _converter()
    source = source or ""
    md.deadline = min(time.monotonic() + seconds_for(source), _shared_deadline.get())
    try:
        if _nests_too_deeply(source):
            raise RecursionError  # what Python-Markdown meets a few hundred levels down
        # Within one processor's scan too (a code block's lexer, a regular expression):
        # _TimeBudgetExtension looks at the deadline between steps only.
        with raising_at(md.deadline, _OutOfTime):
            converted = md.convert(source)
    except BaseException as exc:
        # A conversion stopped halfway may leave state that reset() does not know of:
        # the next text gets a new converter.
        _converters.md = None
        if not isinstance(exc, (RecursionError, _OutOfTime)):
            raise
        # Python-Markdown recurses once per level of nested lists or quotes: a few
        # hundred levels exhaust the stack; and brackets can keep it busy for minutes.
        # Show the text as it was typed instead of failing the save or holding the
        # worker; the author sees at once that something is off.
        why = NESTED_TOO_DEEPLY if isinstance(exc, RecursionError) else TOO_SLOW
        escaped = html.escape(source)
        converted = f"<p><strong>{why}</strong></p>\n<pre>{escaped}</pre>"
        toc_tokens = []
    else:
        toc_tokens = getattr(md, "toc_tokens", [])
    body = sanitize(converted)
    toc = sanitize(md.toc) if toc_tokens else ""
    return Rendered(html=body, toc_html=toc, text=html_to_text(body))


def markdown_to_html(source: str) -> str:
    """Return only the sanitised HTML of SOURCE: project briefs, grader feedback."""
    return render_markdown(source).html


_HEADING_RE = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.S)
_HEADERLINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)


def feedback_to_html(source: str) -> str:
    """Return the sanitised HTML of a grader's feedback or comment, SOURCE, whose
    headings are bold lines: a "# Note" in a line comment was an <h1> in the middle of
    the review page, breaking its outline, and two of them one id (probe 37)."""
    html_text = markdown_to_html(source)
    return _HEADING_RE.sub(
        lambda match: f"<p><strong>{_HEADERLINK_RE.sub('', match.group(1))}</strong></p>",
        html_text,
    )


def html_to_text(fragment: str) -> str:
    """Return the readable text of FRAGMENT, used for search and snippets."""
    text = _INLINE_TAG_RE.sub("", _PERMALINK_RE.sub("", fragment))
    text = _TAG_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", html.unescape(text)).strip()
