"""The code viewer: a submission's file tree and one highlighted file, read in place.

The file to show comes from a query parameter; it is only ever looked up among the
archive's own entry names (never joined to a path on disk), and entries with ``..``
components are neither listed nor shown. Damaged archives, undecodable names, huge
or binary members all end as a message in the page, never as an error.

Every step is linear in the size of the archive's names and bounded: the tree lists at
most ``MAX_TREE_ROWS`` rows (the upload limits keep every accepted archive under it;
older archives may be cut), names are shortened for display, and a file shows at most
``VIEWER_MAX_FILE_BYTES`` and ``MAX_LINES`` lines.
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from urllib.parse import quote

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from coursesite.invisible import IN_CODE, REORDERING, badged
from coursesite.memo import ProcessMemo
from coursesite.timeouts import hard_deadlines_hold, raising_at
from projects.archives import (
    MAX_ENTRIES,
    MAX_PATH_LENGTH,
    VIEWER_MAX_FILE_BYTES,
    MemberNotFound,
    TreeNode,
    UnreadableMember,
    build_tree,
    format_bytes,
    open_zip,
    read_member,
)
from projects.models import Submission

from .models import LineComment

__all__ = ["ArchiveView", "archive_view", "highlight_lines"]

# Each level indents the tree by this many rem, down to MAX_INDENT levels; deeper ones
# are still listed, just not indented further: 12 rem left names one letter a line in
# the tree's column (a third of the page).
INDENT_REM = 0.75
MAX_INDENT = 8
# validate_zip counts files and folders against MAX_ENTRIES, so only archives stored
# before that check can reach this cap.
MAX_TREE_ROWS = MAX_ENTRIES
# A 512 KB file of empty lines would otherwise be half a million table rows.
MAX_LINES = 20_000
# Pygments colours about 120 KB a second; later lines are shown plain.
HIGHLIGHT_MAX_CHARS = 100_000
# But some of its lexers slow down with the square of the text (YAML or XML full of "&",
# reStructuredText, systemd units: 20 KB took 4-28 s, 100 KB of YAML killed the worker
# at 60 s): past this, the file is shown plain. Real files of 100 KB take under a second.
HIGHLIGHT_SECONDS = 1.5
# Where the deadline cannot be enforced within one regular expression (a thread other
# than the main one: coursesite/timeouts.py), only this much is coloured.
THREAD_HIGHLIGHT_MAX_CHARS = 10_000
# How long a highlighted archive stays in the cache (it never changes, but space is finite).
CACHE_SECONDS = 24 * 60 * 60
# Part of the keys: raised when what a view holds changes, so that views cached before
# are not served (2: a file's invisible characters are shown and said).
VIEWS_VERSION = 2
# Trees and files this small are also kept in each process (see _cached): at most
# _MEMO_ENTRIES x _MEMO_MAX_CHARS of HTML, a few MB, per worker.
_MEMO_ENTRIES = 128
_MEMO_MAX_CHARS = 64 * 1024
# Larger values are built again on each view (a few tenths of a second) rather than
# kept: without Redis the shared cache is each worker's memory, 300 entries of any
# size, and 300 files of 2.6 MB of HTML each took 800 MB of it (probe 63).
_CACHE_MAX_CHARS = 512 * 1024
# Characters of a ?path= value once URL-encoded: every name uploads accept fits (a
# character is at most 4 UTF-8 bytes, each "%XX"), and proxies take 8 KB request lines.
MAX_LINK_LENGTH = MAX_PATH_LENGTH * 4 * 3


@dataclass(frozen=True)
class TreeRow:
    """One line of the file tree; ``path`` is empty for folders and unopenable files."""

    name: str
    path: str
    is_dir: bool
    depth: int
    size: str = ""
    comment_count: int = 0

    @property
    def indent(self) -> str:
        # A string: the template would localize a number (slowly, and maybe as "1,0").
        return f"{min(self.depth, MAX_INDENT) * INDENT_REM:g}"


@dataclass(frozen=True)
class CodeLine:
    number: int
    html: str
    comments: tuple[LineComment, ...] | list[LineComment] = ()


@dataclass
class CodeBlock:
    """Consecutive code rows as one piece of HTML, then the comments on the last of them."""

    rows: SafeString
    line: int
    comments: list[LineComment] = field(default_factory=list)


@dataclass
class FileView:
    path: str
    size: str = ""
    is_binary: bool = False
    truncated: bool = False
    encoding: str | None = None
    language: str = ""
    lines: Sequence[CodeLine] = ()
    blocks: list[CodeBlock] = field(default_factory=list)
    error: str = ""
    orphan_comments: list[LineComment] = field(default_factory=list)
    lines_truncated: bool = False
    # The invisible characters of the file's text, as code points ("U+202E, U+2066"),
    # and whether some of them reorder the text.
    invisible: str = ""
    reordering: bool = False


@dataclass
class ArchiveView:
    tree: list[TreeRow] = field(default_factory=list)
    file: FileView | None = None
    error: str = ""
    cap: str = format_bytes(VIEWER_MAX_FILE_BYTES)
    line_cap: str = f"{MAX_LINES:,}"
    file_count: int = 0
    # Files and folders left out of ``tree`` (only archives stored before the limits).
    rows_hidden: int = 0


def highlight_lines(
    text: str, filename: str, *, max_chars: int = HIGHLIGHT_MAX_CHARS
) -> tuple[list[str], str]:
    """Return TEXT as one HTML string per line, highlighted by FILENAME, and the language.

    Only the lines within the first MAX_CHARS characters are coloured (Pygments takes
    about 8 µs a character); the rest is escaped as plain text.
    """
    basename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        lexer = get_lexer_for_filename(basename, stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    if not hard_deadlines_hold():
        max_chars = min(max_chars, THREAD_HIGHLIGHT_MAX_CHARS)
    # Pygments turns every \r into a line break; do it first so the counts agree.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text) if len(text) <= max_chars else text.rfind("\n", 0, max_chars) + 1
    lines: list[str] = []
    if cut:
        deadline = time.monotonic() + HIGHLIGHT_SECONDS
        html = io.StringIO()
        try:
            # Within one lexer's scan too, where _until cannot look: many of Pygments'
            # lexers, Python's, YAML's and INI's among them, scan for seconds before
            # their first token on runs of one character (probe 63: "=" x 60,000 in a
            # setup.cfg took 36 s; "(" x 100,000 in a .ng2 file held a worker until
            # gunicorn killed it).
            with raising_at(deadline, _OutOfTime):
                # HtmlFormatter closes its spans at every newline: each line is valid
                # HTML alone.
                tokens = _until(lexer.get_tokens(text[:cut]), deadline)
                HtmlFormatter(nowrap=True).format(tokens, html)
            lines = html.getvalue().split("\n")
        except _OutOfTime:
            lines = [escape(line) for line in text[:cut].split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
    if cut < len(text):
        rest = text[cut:].split("\n")
        if rest[-1] == "":
            rest.pop()
        lines.extend(escape(line) for line in rest)
    return lines, lexer.name


class _OutOfTime(Exception):
    pass


def _until(tokens: Iterable, deadline: float) -> Iterator:
    """Yield TOKENS until DEADLINE (time.monotonic()), then raise _OutOfTime."""
    for count, token in enumerate(tokens):
        if count % 64 == 0 and time.monotonic() > deadline:
            raise _OutOfTime
        yield token


def _flatten(
    nodes: list[TreeNode], *, max_rows: int = MAX_TREE_ROWS
) -> tuple[tuple[TreeRow, ...], frozenset[str], int]:
    """Return the first ``max_rows`` rows, every file's path, and how many rows were cut."""
    # Iterative: archives stored before the depth limit may nest thousands of levels deep.
    rows: list[TreeRow] = []
    files: set[str] = set()
    hidden = 0
    stack = [(node, 0) for node in reversed(nodes)]
    while stack:
        node, depth = stack.pop()
        if not node.is_dir:
            files.add(node.entry)
        if len(rows) < max_rows:
            rows.append(_row(node, depth))
        else:
            hidden += 1
        if node.is_dir:
            stack.extend((child, depth + 1) for child in reversed(node.children))
    return tuple(rows), frozenset(files), hidden


def _row(node: TreeNode, depth: int) -> TreeRow:
    name = node.name
    if len(name) > MAX_PATH_LENGTH:
        name = name[: MAX_PATH_LENGTH - 1] + "\N{HORIZONTAL ELLIPSIS}"
    # A longer link (a name from before the length limit) could exceed proxies' URL limits.
    openable = (
        not node.is_dir
        and len(node.entry) <= MAX_LINK_LENGTH
        and len(quote(node.entry, safe="/")) <= MAX_LINK_LENGTH
    )
    return TreeRow(
        name=name,
        path=node.entry if openable else "",
        is_dir=node.is_dir,
        depth=depth,
        size=format_bytes(node.size) if node.size is not None else "",
    )


def archive_view(
    submission: Submission, path: str | None, comments: Iterable[LineComment] = ()
) -> ArchiveView:
    """Return the tree of SUBMISSION's archive and, if PATH is one of its files, that file.

    An archive never changes once submitted, so its tree and its highlighted files are
    kept in the cache under the archive's SHA-256: graders reopening a review, and
    students reading feedback, do not unzip and highlight the same code again.
    """
    view = ArchiveView()
    if not submission.archive:
        return view
    by_path: dict[str, list[LineComment]] = defaultdict(list)
    for comment in comments:
        by_path[comment.path].append(comment)
    listing = _cached(f"tree:{submission.sha256}", submission, lambda f: _listing(f))
    if isinstance(listing, str):
        view.error = listing
        return view
    rows, files, view.rows_hidden = listing
    view.file_count = len(files)
    # Copies of the cached rows only where this review commented.
    view.tree = [
        replace(row, comment_count=len(by_path[row.path])) if row.path in by_path else row
        for row in rows
    ]
    if path:
        if path not in files:
            view.file = FileView(path=path, error="That file is not in this archive.")
        else:
            key = f"file:{submission.sha256}:{hashlib.sha256(path.encode()).hexdigest()}"
            shown = _cached(key, submission, lambda f: _file_view(f, path))
            if isinstance(shown, str):
                view.error = shown
            else:
                view.file = _with_comments(shown, by_path.get(path, []))
    return view


_memo = ProcessMemo(_MEMO_ENTRIES)


def _cached(key: str, submission: Submission, build):
    """Return BUILD(the open archive), cached under KEY when the archive has a hash.

    What a key names never changes (an archive's hash names its contents), so small
    values are also kept in this process, in front of the shared cache: a grader moving
    between a review's files spared a cache round trip and the unpickling of the tree
    and the highlighted file (0.8 ms of the review page's 8). Shared by every request of
    the process, the values are only ever copied, never changed (frozen rows and lines;
    ``_with_comments`` copies the file).
    """
    key = f"viewer:{VIEWS_VERSION}:{key}"
    if submission.sha256:
        found = _memo.get(key)
        if found is not None:
            return found
        found = cache.get(key)
        if found is not None:
            _remember(key, found)
            return found
    try:
        with submission.archive.open("rb") as fileobj:
            value = build(fileobj)
    except OSError:
        return "The archive file is missing from storage."  # not cached: it may come back
    if submission.sha256:
        size = _size(value)
        if size <= _CACHE_MAX_CHARS:
            cache.set(key, value, CACHE_SECONDS)
        if size <= _MEMO_MAX_CHARS:
            _memo.set(key, value)
    return value


def _remember(key: str, value) -> None:
    if _size(value) <= _MEMO_MAX_CHARS:
        _memo.set(key, value)


def _size(value) -> int:
    """About how many characters VALUE holds (a file's HTML, a listing, a message)."""
    if isinstance(value, FileView):
        return sum(len(line.html) for line in value.lines)
    if isinstance(value, tuple):  # a listing: (rows, files, rows_hidden)
        return sum(len(row.name) + len(row.path) + 40 for row in value[0])
    return len(value)  # an error message


def _listing(fileobj) -> tuple[tuple[TreeRow, ...], frozenset[str], int] | str:
    try:
        with open_zip(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError):
        return "This archive is damaged or uses file names that can't be read."
    sizes = {info.filename: info.file_size for info in infos}
    return _flatten(build_tree(sizes.keys(), sizes=sizes))


def _file_view(fileobj, path: str) -> FileView:
    """Return PATH of the open archive, highlighted, without the review's comments."""
    shown = FileView(path=path)
    try:
        member = read_member(fileobj, path)
    except MemberNotFound:
        shown.error = "That file is not in this archive."
        return shown
    except UnreadableMember:
        shown.error = "This file is damaged in the archive and can't be shown."
        return shown
    shown.size = format_bytes(member.size)
    shown.truncated = member.truncated
    shown.encoding = member.encoding
    if member.is_binary or member.text is None:
        shown.is_binary = True
        return shown
    text = member.text.replace("\r\n", "\n").replace("\r", "\n")
    text, shown.lines_truncated = _first_lines(text, MAX_LINES)
    html_lines, shown.language = highlight_lines(text, path)
    if found := sorted(set(IN_CODE.findall(text))):
        # Shown, and said above the code: direction overrides make code read one way and
        # run another (probe 104), which names in the tree were already guarded against.
        shown.invisible = ", ".join(f"U+{ord(character):04X}" for character in found)
        shown.reordering = bool(REORDERING.search(text))
        html_lines = [badged(line, IN_CODE) for line in html_lines]
    shown.lines = tuple(
        CodeLine(number=index, html=html) for index, html in enumerate(html_lines, start=1)
    )
    return shown


def _with_comments(cached: FileView, comments: list[LineComment]) -> FileView:
    """Return a copy of the CACHED file with this review's COMMENTS placed on their lines."""
    shown = replace(cached)
    if shown.is_binary or shown.error:
        shown.orphan_comments = comments
        return shown
    by_line: dict[int, list[LineComment]] = defaultdict(list)
    for comment in comments:
        by_line[comment.line].append(comment)
    shown.lines = [
        replace(line, comments=by_line.pop(line.number)) if line.number in by_line else line
        for line in cached.lines
    ]
    shown.blocks = _blocks(shown.lines)
    # Comments on lines past the shown part (e.g. of a truncated file) stay visible.
    shown.orphan_comments = [c for line in sorted(by_line) for c in by_line[line]]
    return shown


# The template engine spends about 70 µs on a row of the code table (localizing each line
# number alone costs 50), so 20,000 lines took seconds; one format() call takes 2 µs.
# Pygments has already escaped the code; the rest are integers. A number's link is
# named "Line 4" (a screen reader said "4, link", probe 37).
_ROW = (
    '<tr id="L{0}"{1}><td class="ln">'
    '<a href="#L{0}" data-line="{0}" aria-label="Line {0}">{0}</a></td>'
    '<td class="code">{2}</td></tr>\n'
)


def _blocks(lines: Sequence[CodeLine]) -> list[CodeBlock]:
    """Group LINES into blocks that end at each line with comments (and at the last)."""
    blocks: list[CodeBlock] = []
    rows: list[str] = []
    for line in lines:
        marker = ' class="has-comment"' if line.comments else ""
        rows.append(_ROW.format(line.number, marker, line.html))
        if line.comments or line is lines[-1]:
            blocks.append(CodeBlock(mark_safe("".join(rows)), line.number, line.comments))  # noqa: S308
            rows = []
    return blocks


def _first_lines(text: str, limit: int) -> tuple[str, bool]:
    """Return the first LIMIT lines of TEXT and whether any line was left out."""
    end = -1
    for _ in range(limit):
        end = text.find("\n", end + 1)
        if end < 0:
            return text, False
    return text[: end + 1], end + 1 < len(text)
