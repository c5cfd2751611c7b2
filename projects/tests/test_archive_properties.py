"""Properties of the archive checks and the path handling, over generated names and bytes.

No database: zips are built in memory. Whatever the input, ``validate_zip`` answers with
a summary or a ``ValidationError`` (never another exception), and what it accepts is
safe to list and to read.
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import warnings
import zipfile

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from projects.archives import (
    MAX_DEPTH,
    MAX_PATH_LENGTH,
    MemberNotFound,
    TreeNode,
    UnreadableMember,
    build_tree,
    is_junk,
    read_member,
    validate_zip,
)

_DRIVE = re.compile(r"[A-Za-z]:")  # C:\x, c:/x and C:x all start at a drive
# Components that exercise every rule: traversal, drives, junk, dots, odd characters.
_COMPONENTS = st.one_of(
    st.sampled_from(["src", "SRC", "a.py", "", ".", "a..b", "._x", ".DS_Store", "__MACOSX"]),
    st.text(alphabet=st.sampled_from(list("ab_\u00e9\u6587 -")), min_size=1, max_size=12),
)
# One name in five leaves the archive somehow; the rest stay inside.
_DANGER = st.sampled_from(["..", "/", "\\", "C:\\", "c:/", "D:", *[""] * 24])


def _join(danger: str, parts: list[str], separators: list[str], trailing: str) -> str:
    pairs = zip(separators, parts[1:], strict=False)
    joined = parts[0] + "".join(sep + part for sep, part in pairs)
    if danger == "..":
        joined = f"{joined}/../.."
    else:
        joined = danger + joined
    return joined + trailing


_NAMES = st.builds(
    _join,
    _DANGER,
    st.lists(_COMPONENTS, min_size=1, max_size=22),
    st.lists(st.sampled_from(["/", "/", "\\", "//"]), min_size=21, max_size=21),
    st.sampled_from(["", "", "", "/", "\\"]),  # a trailing separator makes a folder entry
)
_ENTRIES = st.lists(
    st.tuples(_NAMES, st.binary(max_size=64)), min_size=0, max_size=6, unique_by=lambda e: e[0]
)


def zip_of(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the input space
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def walk(nodes: list[TreeNode], depth: int = 0):
    stack = [(node, depth) for node in nodes]
    while stack:
        node, level = stack.pop()
        yield node, level
        stack.extend((child, level + 1) for child in node.children)


def escapes(name: str) -> bool:
    """Return True if NAME, unpacked with either separator, would land outside the folder."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        return True
    resolved = posixpath.normpath(normal)
    return resolved == ".." or resolved.startswith("../")


@given(entries=_ENTRIES)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_accepted_archives_are_safe_bounded_and_readable(entries) -> None:
    data = zip_of(entries)
    try:
        summary = validate_zip(io.BytesIO(data))
    except ValidationError as exc:
        assert exc.code  # every refusal says why
        event(f"refused: {exc.code}")
        return
    event("accepted")
    assert summary.file_count >= 1
    for name in summary.names:
        assert not escapes(name), name
        assert len(name) <= MAX_PATH_LENGTH
    files = [node for node, _ in walk(build_tree(summary.names)) if not node.is_dir]
    assert files, "an accepted archive shows at least one file"
    for node in files:
        assert read_member(io.BytesIO(data), node.path).size == summary.sizes[node.path]
    assert max(level for _, level in walk(build_tree(summary.names))) <= MAX_DEPTH


@given(entries=_ENTRIES, cut=st.integers(min_value=0), flips=st.lists(st.integers(), max_size=6))
@settings(max_examples=300)
def test_damaged_bytes_are_refused_or_still_readable(entries, cut, flips) -> None:
    raw = bytearray(zip_of(entries))
    assume(raw)
    for flip in flips:
        raw[flip % len(raw)] ^= 0xFF
    damaged = bytes(raw[: len(raw) - cut % len(raw)] if cut % 3 == 0 else raw)
    try:
        summary = validate_zip(io.BytesIO(damaged))
    except ValidationError:
        return
    for node, _ in walk(build_tree(summary.names)):
        if not node.is_dir:
            try:
                read_member(io.BytesIO(damaged), node.path, max_bytes=1024)
            except (UnreadableMember, MemberNotFound):
                pass  # shown as "damaged" in the viewer, never an error page


@given(names=st.lists(_NAMES, max_size=30))
def test_the_tree_lists_each_safe_file_once_sorted_under_its_folders(names) -> None:
    tree = build_tree(names)
    nodes = list(walk(tree))
    expected: dict[str, str] = {}
    for name in names:
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        if parts and ".." not in parts and not is_junk(name) and not name.endswith(("/", "\\")):
            expected.setdefault("/".join(parts), name)  # the first of duplicates wins
    files = {node.path: node for node, _ in nodes if not node.is_dir}
    assert sorted(files) == sorted(expected.values())
    for node, level in nodes:
        parents = []
        parent = node.parent
        while parent is not None and parent.parent is not None:
            parents.append(parent.name)
            parent = parent.parent
        assert len(parents) == level
        if node.is_dir:
            assert node.path == "/".join([*reversed(parents), node.name])
            kinds = [(not child.is_dir, child.name.casefold()) for child in node.children]
            assert kinds == sorted(kinds)
        else:
            parts = [p for p in node.path.replace("\\", "/").split("/") if p not in ("", ".")]
            assert parts == [*reversed(parents), node.name]


def refused_path(name: str) -> bool:
    """Return True for names validate_zip refuses as unsafe (stricter than ``escapes``)."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or ".." in parts


@given(names=st.lists(_NAMES, max_size=30))
@example(names=["b ", "b/src"])  # a file that is a folder once Windows drops the space
@example(names=["ı.py", "I.py"])  # one file on Windows
def test_the_entry_limit_is_exactly_the_rows_the_tree_shows(names) -> None:
    # One entry per node at most: no junk, no unsafe names, no two spellings of one path.
    # Nor two files Windows and macOS take for one, nor a file that is also a folder.
    kept: dict[tuple[tuple[str, ...], bool], str] = {}
    for name in names:
        parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
        if parts and not refused_path(name) and not is_junk(name):
            # As Windows and macOS compare names: trailing dots and spaces dropped ("b "
            # is "b"), NFC, case folded after upper-casing ("ı" is "I").
            folded = tuple(
                unicodedata.normalize("NFC", p.rstrip(". ") or p).upper().casefold() for p in parts
            )
            kept.setdefault((folded, name.endswith(("/", "\\"))), name)
    folders = {key[:end] for key, _is_dir in kept for end in range(1, len(key))}
    folders |= {key for key, is_dir in kept if is_dir}
    kept = {key: name for key, name in kept.items() if key[1] or key[0] not in folders}
    rows = list(walk(build_tree(kept.values())))
    assume(any(not node.is_dir for node, _ in rows))
    data = io.BytesIO(zip_of([(name, b"x") for name in kept.values()]))
    lenient = {"max_depth": 10_000, "max_path_length": 10**6}

    assert validate_zip(data, max_entries=len(rows), **lenient).entry_count == len(kept)
    try:
        validate_zip(data, max_entries=len(rows) - 1, **lenient)
    except ValidationError as exc:
        assert exc.code == "too_many_entries"
    else:
        raise AssertionError(f"{len(rows)} rows passed a limit of {len(rows) - 1}")
