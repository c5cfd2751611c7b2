"""The code viewer: a submission's file tree and one highlighted file, read in place.

The file to show comes from a query parameter; it is only ever looked up among the
archive's own entry names (never joined to a path on disk), and entries with ``..``
components are neither listed nor shown. Damaged archives, undecodable names, huge
or binary members all end as a message in the page, never as an error.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from projects.archives import (
    VIEWER_MAX_FILE_BYTES,
    MemberNotFound,
    TreeNode,
    UnreadableMember,
    build_tree,
    format_bytes,
    read_member,
)
from projects.models import Submission

from .models import LineComment

__all__ = ["ArchiveView", "archive_view", "highlight_lines"]

# Deeper levels are still listed, just not indented further.
MAX_INDENT = 12


@dataclass
class TreeRow:
    name: str
    path: str
    is_dir: bool
    depth: int
    size: str = ""
    comment_count: int = 0

    @property
    def indent(self) -> float:
        return min(self.depth, MAX_INDENT) * 1.0


@dataclass
class CodeLine:
    number: int
    html: str
    comments: list[LineComment] = field(default_factory=list)


@dataclass
class FileView:
    path: str
    size: str = ""
    is_binary: bool = False
    truncated: bool = False
    encoding: str | None = None
    language: str = ""
    lines: list[CodeLine] = field(default_factory=list)
    error: str = ""
    orphan_comments: list[LineComment] = field(default_factory=list)


@dataclass
class ArchiveView:
    tree: list[TreeRow] = field(default_factory=list)
    file: FileView | None = None
    error: str = ""
    cap: str = format_bytes(VIEWER_MAX_FILE_BYTES)
    file_count: int = 0


def highlight_lines(text: str, filename: str) -> tuple[list[str], str]:
    """Return TEXT as one HTML string per line, highlighted by FILENAME, and the language."""
    basename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        lexer = get_lexer_for_filename(basename, stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    # HtmlFormatter closes its spans at every newline, so each line is valid HTML alone.
    html = highlight(text, lexer, HtmlFormatter(nowrap=True))
    lines = html.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, lexer.name


def _flatten(nodes: list[TreeNode]) -> list[TreeRow]:
    # Iterative: archives may nest thousands of levels deep.
    rows: list[TreeRow] = []
    stack = [(node, 0) for node in reversed(nodes)]
    while stack:
        node, depth = stack.pop()
        rows.append(
            TreeRow(
                name=node.name,
                path=node.path,
                is_dir=node.is_dir,
                depth=depth,
                size=format_bytes(node.size) if node.size is not None else "",
            )
        )
        if node.is_dir:
            stack.extend((child, depth + 1) for child in reversed(node.children))
    return rows


def archive_view(
    submission: Submission, path: str | None, comments: Iterable[LineComment] = ()
) -> ArchiveView:
    """Return the tree of SUBMISSION's archive and, if PATH is one of its files, that file."""
    view = ArchiveView()
    if not submission.archive:
        return view
    by_path: dict[str, list[LineComment]] = defaultdict(list)
    for comment in comments:
        by_path[comment.path].append(comment)
    try:
        with submission.archive.open("rb") as fileobj:
            try:
                with zipfile.ZipFile(fileobj) as archive:
                    infos = archive.infolist()
            except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError):
                view.error = "This archive is damaged or uses file names that can't be read."
                return view
            sizes = {info.filename: info.file_size for info in infos}
            view.tree = _flatten(build_tree(sizes.keys(), sizes=sizes))
            files = {row.path for row in view.tree if not row.is_dir}
            view.file_count = len(files)
            for row in view.tree:
                row.comment_count = len(by_path.get(row.path, ()))
            if path:
                view.file = _file_view(fileobj, path, files, by_path.get(path, []))
    except OSError:
        view.error = "The archive file is missing from storage."
    return view


def _file_view(fileobj, path: str, files: set[str], comments: list[LineComment]) -> FileView:
    shown = FileView(path=path)
    if path not in files:
        shown.error = "That file is not in this archive."
        return shown
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
        shown.orphan_comments = comments
        return shown
    html_lines, shown.language = highlight_lines(member.text, path)
    by_line: dict[int, list[LineComment]] = defaultdict(list)
    for comment in comments:
        by_line[comment.line].append(comment)
    shown.lines = [
        CodeLine(number=index, html=html, comments=by_line.pop(index, []))
        for index, html in enumerate(html_lines, start=1)
    ]
    # Comments on lines past the shown part (e.g. of a truncated file) stay visible.
    shown.orphan_comments = [c for line in sorted(by_line) for c in by_line[line]]
    return shown
