"""Validate and browse student project zips without extracting them to disk.

Students upload a group project as a ``.zip``; graders browse it in the browser.
Everything here works on an open binary file object (an ``UploadedFile``, an
opened ``FieldFile`` or a ``BytesIO``) and never writes archive members to disk.

``validate_zip`` raises ``django.core.exceptions.ValidationError`` with one of these codes:

* ``not_zip`` - the content is not a zip archive (whatever the extension says).
* ``corrupt`` - the archive is truncated, damaged, lists a file twice, or names an entry
  differently in its directory and in the entry's own header.
* ``name_clash`` - two files Windows and macOS take for one (names differing only in
  capitals or accents), or a file that is also a folder of other entries.
* ``unsafe_path`` - an absolute path, a ``..`` component or a symbolic link.
* ``encrypted`` - a password-protected entry.
* ``unsupported_compression`` - a method other than Stored or Deflate.
* ``name_too_long`` - an entry name longer than ``max_path_length`` characters.
* ``too_deep`` - an entry inside more than ``max_depth`` folders.
* ``too_many_entries`` - more than ``max_entries`` entries, or more files and folders
  (counting the folders that names imply) than that.
* ``suspicious_ratio`` - an entry over 1 MiB that expands more than ``max_ratio`` times,
  or a whole archive whose unpacked size (over 1 MiB) is more than ``max_ratio`` times
  its own: many small, highly compressed entries are a bomb too.
* ``too_large_uncompressed`` - declared sizes add up to more than the limit.
* ``empty_archive`` - no files at all (nothing, only folders, or only OS clutter).

Every reader opens archives with ``open_zip``, which reads names not marked UTF-8 as
UTF-8 when they are (macOS's Archive Utility writes them so), else as CP437.

The viewer's work is linear in the total length of the entry names (``build_tree``
never joins prefixes), and these limits bound that total for every accepted archive.

Messages use ``%(name)s``-style params, as Django recommends, and need no settings.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import lzma
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ValidationError

__all__ = [
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_PATH_LENGTH",
    "MAX_RATIO",
    "MAX_TOTAL_UNCOMPRESSED",
    "RATIO_CHECK_MIN_SIZE",
    "VIEWER_MAX_FILE_BYTES",
    "SNIFF_BYTES",
    "ArchiveSummary",
    "BinaryReader",
    "MemberContent",
    "MemberNotFound",
    "TreeNode",
    "UnreadableMember",
    "build_tree",
    "decode_text",
    "format_bytes",
    "is_junk",
    "read_member",
    "sha256_of",
    "validate_zip",
]

KIB = 1024
MIB = 1024 * KIB

MAX_ENTRIES = 2000
MAX_TOTAL_UNCOMPRESSED = 200 * MIB
MAX_RATIO = 200
# Longer names cannot be extracted on Windows (260 characters with the folder they are
# unpacked into) and make viewer links too long for proxies; real projects stay far below.
MAX_PATH_LENGTH = 255
# Folders inside folders; Java's src/main/java/org/example/... needs about ten.
MAX_DEPTH = 20
# Small files may compress extremely well (e.g. blank templates); only big ones are bombs.
RATIO_CHECK_MIN_SIZE = 1 * MIB
VIEWER_MAX_FILE_BYTES = 512 * KIB
# How much of a member to inspect when deciding whether it is text.
SNIFF_BYTES = 8 * KIB

# Deflate is what every OS "compress" tool writes. zipfile inflates Deflate in bounded
# chunks, but feeds whole 4 KiB reads to bzip2/LZMA, which can expand them to gigabytes
# when an entry lies about its size, so those (and exotic methods) are refused.
_SUPPORTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

_LOCAL_HEADER_MAGIC = b"PK\x03\x04"
_EMPTY_ARCHIVE_MAGIC = b"PK\x05\x06"
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_MAGIC = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_SEPARATORS_RE = re.compile(r"[\\/]")
_JUNK_DIRS = frozenset({"__MACOSX"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# C0/C1 controls that do not appear in ordinary text files (tabs, newlines, ESC do).
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\b\x1b")
_CONTROL_CHARS = frozenset(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]) - _TEXT_CONTROLS
_MAX_CONTROL_SHARE = 0.05
_HASH_CHUNK = 1 * MIB
_MAX_NAME_IN_MESSAGE = 120


class BinaryReader(Protocol):
    """Seekable binary stream, e.g. an ``UploadedFile`` or ``io.BytesIO``."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


class MemberNotFound(KeyError):
    """The path is not a file entry of the archive."""


class UnreadableMember(Exception):
    """The entry exists but its data cannot be decompressed."""


@dataclass(frozen=True, slots=True)
class ArchiveSummary:
    """What ``validate_zip`` learned; ``sizes`` maps file entry names to declared sizes."""

    entry_count: int
    file_count: int
    total_uncompressed: int
    names: list[str]
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class TreeNode:
    """One directory or file in the browser tree; ``size`` is known for files only.

    A file's ``path`` is its exact entry name, ready for ``read_member``. A directory's
    ``path`` (its components joined with ``/``) is built only when asked for: storing
    every prefix of a path thousands of folders deep would take memory quadratic in
    its depth. Nodes compare by identity; ``repr`` leaves out the (deep) relatives.
    """

    name: str
    is_dir: bool
    entry: str = ""
    size: int | None = None
    parent: TreeNode | None = field(default=None, repr=False)
    children: list[TreeNode] = field(default_factory=list, repr=False)

    @property
    def path(self) -> str:
        if not self.is_dir:
            return self.entry
        names: list[str] = []
        node: TreeNode | None = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names))


@dataclass(frozen=True, slots=True)
class MemberContent:
    """The displayable start of one entry; ``size`` is its full uncompressed size."""

    path: str
    size: int
    text: str | None
    is_binary: bool
    truncated: bool
    encoding: str | None = None


# The zip format's "names are UTF-8" flag (general purpose bit 11).
_UTF8_NAMES = 0x800


def open_zip(fileobj) -> zipfile.ZipFile:
    """Open the zip FILEOBJ (a binary file or a path) for reading, its names as meant.

    Names not marked UTF-8 are CP437 by the zip standard, and Windows' "Compressed
    folder" writes them so on American and Western European systems ("café.py" reads
    right). macOS's Archive Utility and some other tools write UTF-8 without the mark
    ("résumé.py" then read "re╠üsume╠ü.py"): when every unmarked name is valid UTF-8,
    which CP437 accents never are (they are lone continuation bytes), the archive is
    read again with UTF-8 names. Other code pages (a Chinese or Russian Windows) cannot
    be told from these and read as CP437, garbled. The same archive always gets the same
    names, so entries of one opening can be opened through another.
    (autograding/inside/runner.py, which cannot import this, repeats the rule.)
    """
    archive = zipfile.ZipFile(fileobj)
    # Entries with a Unicode path field too: reading again decodes their own names.
    unmarked = [
        info.orig_filename
        for info in archive.infolist()
        if not info.flag_bits & _UTF8_NAMES and not info.orig_filename.isascii()
    ]
    if unmarked and all(_is_utf8(name) for name in unmarked):
        archive.close()
        if hasattr(fileobj, "seek"):
            fileobj.seek(0)
        archive = zipfile.ZipFile(fileobj, metadata_encoding="utf-8")
    return archive


def _is_utf8(cp437_name: str) -> bool:
    try:
        cp437_name.encode("cp437").decode("utf-8")
    except UnicodeError:
        return False
    return True


def format_bytes(size: int) -> str:
    """Return ``size`` in binary units with at most one decimal, e.g. ``"200 MB"``."""
    if size < KIB:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= KIB
        if round(value, 1) < KIB or unit == "TB":
            break
    return f"{value:,.1f}".removesuffix(".0") + f" {unit}"


def is_junk(name: str) -> bool:
    """Return True for OS clutter (``__MACOSX/``, ``.DS_Store``, ``._*``) graders never need."""
    return _is_junk_parts(_split(name))


def _is_junk_parts(parts: list[str]) -> bool:
    if not parts:
        return False
    return (
        any(part in _JUNK_DIRS for part in parts)
        or parts[-1] in _JUNK_FILES
        or parts[-1].startswith("._")
    )


def validate_zip(
    fileobj: BinaryReader,
    *,
    max_entries: int = MAX_ENTRIES,
    max_total_uncompressed: int = MAX_TOTAL_UNCOMPRESSED,
    max_ratio: int = MAX_RATIO,
    max_path_length: int = MAX_PATH_LENGTH,
    max_depth: int = MAX_DEPTH,
) -> ArchiveSummary:
    """Check an uploaded zip without decompressing it and return its summary.

    Rely on the sizes the central directory declares: zipfile never yields more than an
    entry declares, so checking them bounds what browsing the archive can inflate.
    Raise ``ValidationError`` with a student-facing message and a ``code``.
    """
    limits = _Limits(max_entries, max_total_uncompressed, max_ratio, max_path_length, max_depth)
    fileobj.seek(0)
    try:
        return _validate(fileobj, limits)
    finally:
        fileobj.seek(0)


@dataclass(frozen=True, slots=True)
class _Limits:
    entries: int
    total: int
    ratio: int
    path_length: int
    depth: int


def _validate(fileobj: BinaryReader, limits: _Limits) -> ArchiveSummary:
    # Check the leading magic, not just the trailing directory is_zipfile() finds, so
    # self-extracting executables and image/zip polyglots are refused.
    if fileobj.read(4) not in (_LOCAL_HEADER_MAGIC, _EMPTY_ARCHIVE_MAGIC):
        raise ValidationError(
            "This file is not a zip archive. "
            "Please upload a .zip file created with your system's compress tool.",
            code="not_zip",
        )
    if not zipfile.is_zipfile(fileobj):
        raise _corrupt()

    # Count before zipfile builds a ZipInfo per entry: a small upload can list millions.
    counted = _count_central_directory(fileobj)
    if counted is not None and counted > limits.entries:
        raise _too_many(counted, limits.entries)

    fileobj.seek(0, io.SEEK_END)
    archive_size = fileobj.tell()
    fileobj.seek(0)
    try:
        with open_zip(fileobj) as archive:
            infos = archive.infolist()
            if len(infos) > limits.entries:
                raise _too_many(len(infos), limits.entries)
            seen_files: dict[str, str] = {}
            folders: set[str] = set()  # the folder entries, as _folded() keys
            total = 0
            for info in infos:
                _check_entry(info, limits)
                _check_local_name(archive, info)
                if _is_dir_name(info.filename):
                    folders.add(_folded(info.filename))
                else:
                    _check_unique(info.filename, seen_files)
                total += info.file_size
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
        # ValueError covers names flagged UTF-8 that are not.
        raise _corrupt() from exc
    _check_files_are_not_folders(seen_files, folders)

    if total > limits.total:
        raise ValidationError(
            "Once unpacked, the archive would take %(size)s; the limit is %(limit)s.",
            code="too_large_uncompressed",
            params={"size": format_bytes(total), "limit": format_bytes(limits.total)},
        )
    # Entries under 1 MiB escape the per-entry check; thousands of them still add up.
    if total > RATIO_CHECK_MIN_SIZE and total > limits.ratio * archive_size:
        raise ValidationError(
            "This %(packed)s archive would grow to %(size)s when unpacked, which is "
            "typical of a zip bomb. Please remove generated or padded files (logs, data "
            "dumps, empty disk images) and upload it again.",
            code="suspicious_ratio",
            params={"packed": format_bytes(archive_size), "size": format_bytes(total)},
        )

    names = [info.filename for info in infos]
    folders, files = _count_tree(names)
    if folders + files > limits.entries:
        raise ValidationError(
            "The archive holds %(count)s files and folders; the limit is %(limit)s.",
            code="too_many_entries",
            params={"count": f"{folders + files:,}", "limit": f"{limits.entries:,}"},
        )
    if files == 0:
        raise ValidationError(
            "The archive has no files in it. "
            "Please put your project's files in the zip and upload it again.",
            code="empty_archive",
        )

    _check_contents(fileobj, infos)
    return ArchiveSummary(
        entry_count=len(infos),
        file_count=sum(1 for name in names if not _is_dir_name(name)),
        total_uncompressed=total,
        names=sorted(names),
        sizes={info.filename: info.file_size for info in infos if not _is_dir_name(info.filename)},
    )


# What reading a member's data raises when the data is damaged.
_MEMBER_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,  # zipfile's "password required"
    ValueError,  # includes UnicodeDecodeError for mislabelled names
)


def _check_contents(fileobj: BinaryReader, infos: list[zipfile.ZipInfo]) -> None:
    """Unpack every file once, checking each one's checksum: an archive with a damaged or
    altered file was taken ("Version 2 submitted") and its file then shown to no grader.

    Bounded by the sizes the directory declares, checked above: zipfile never yields more
    than an entry declares, however much its data would inflate.
    """
    fileobj.seek(0)
    with open_zip(fileobj) as archive:
        for info in infos:
            if _is_dir_name(info.filename):
                continue
            try:
                with archive.open(info) as member:
                    while member.read(1 << 20):
                        pass
            except _MEMBER_UNREADABLE as exc:
                raise ValidationError(
                    "The file '%(name)s' is damaged in the archive, so it can't be read. "
                    "Please create the archive again with your system's compress tool and "
                    "upload it again.",
                    code="corrupt",
                    params={"name": _shorten(info.filename)},
                ) from exc


def _check_entry(info: zipfile.ZipInfo, limits: _Limits) -> None:
    """Raise ``ValidationError`` if one entry is unsafe, unreadable or out of bounds."""
    params = {"name": _shorten(info.filename)}
    if not _is_safe_path(info.filename):
        raise ValidationError(
            "The archive contains an unsafe path: '%(name)s'. "
            "Entries must stay inside the archive (no absolute paths or '..').",
            code="unsafe_path",
            params=params,
        )
    # The name as written, and the one a Unicode path field gives (which readers use;
    # probe 54: a right-to-left override passed there).
    for name in (info.orig_filename, info.filename):
        if hidden := _unshowable_in(name):
            break
    if hidden:
        raise ValidationError(
            "The name of '%(name)s' holds a character a name cannot show (%(char)s): a line "
            "break, a tab, another control character, an invisible one (such as a zero-width "
            "space), or one that reverses text. Please "
            "rename that file or folder and zip the project again.",
            code="unsafe_name",
            params={
                "name": _shorten("".join("?" if _unshowable_in(c) else c for c in name)),
                "char": f"U+{ord(hidden):04X}",
            },
        )
    # A link could point graders (or a later extraction) anywhere on the server.
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ValidationError(
            "The archive contains a symbolic link: '%(name)s'. "
            "Please replace links with the real files before zipping.",
            code="unsafe_path",
            params=params,
        )
    if info.flag_bits & 0x1:
        raise ValidationError(
            "The archive is password-protected ('%(name)s' is encrypted). "
            "Please upload it without a password.",
            code="encrypted",
            params=params,
        )
    if info.compress_type not in _SUPPORTED_METHODS:
        raise ValidationError(
            "'%(name)s' uses a compression method this site can't read. "
            "Please create the archive again with your system's standard compress tool.",
            code="unsupported_compression",
            params=params,
        )
    if len(info.filename) > limits.path_length:
        raise ValidationError(
            "The name of '%(name)s' is %(length)s characters long with its folders; "
            "the limit is %(limit)s. Please shorten its folder or file names.",
            code="name_too_long",
            params={**params, "length": f"{len(info.filename):,}", "limit": limits.path_length},
        )
    depth = _depth(info.filename)
    if depth > limits.depth:
        raise ValidationError(
            "'%(name)s' is %(depth)s folders deep; the limit is %(limit)s. "
            "Please move your files into fewer nested folders.",
            code="too_deep",
            params={**params, "depth": depth, "limit": limits.depth},
        )
    if info.file_size > RATIO_CHECK_MIN_SIZE and info.file_size > limits.ratio * info.compress_size:
        raise ValidationError(
            "'%(name)s' would grow from %(packed)s to %(size)s when unpacked, "
            "which is typical of a zip bomb. Please remove it from the archive.",
            code="suspicious_ratio",
            params={
                **params,
                "packed": format_bytes(info.compress_size),
                "size": format_bytes(info.file_size),
            },
        )


def _count_central_directory(fileobj: BinaryReader) -> int | None:
    """Return how many records the central directory holds, or None if unsure.

    Walk the records the way zipfile does (by directory size, not the count field the
    end record claims), keeping nothing but a counter. None defers to zipfile.
    """
    fileobj.seek(0, io.SEEK_END)
    file_size = fileobj.tell()
    tail_start = max(0, file_size - _EOCD.size - _MAX_COMMENT)
    fileobj.seek(tail_start)
    tail = fileobj.read()
    pos = tail.rfind(_EMPTY_ARCHIVE_MAGIC)
    if pos < 0 or len(tail) - pos < _EOCD.size:
        return None
    record_at = tail_start + pos
    directory_size = _EOCD.unpack_from(tail, pos)[5]

    # Zip64 archives put the real directory size in a record just before the locator.
    locator_at = record_at - _EOCD64_LOCATOR.size
    if locator_at >= 0:
        fileobj.seek(locator_at)
        locator = fileobj.read(_EOCD64_LOCATOR.size)
        if locator[:4] == b"PK\x06\x07":
            record_at = locator_at - _EOCD64.size
            if record_at < 0:
                return None
            fileobj.seek(record_at)
            record = fileobj.read(_EOCD64.size)
            if len(record) != _EOCD64.size or record[:4] != b"PK\x06\x06":
                return None
            directory_size = _EOCD64.unpack(record)[8]

    # The directory ends where the end record starts (we refuse prepended data anyway).
    directory_at = record_at - directory_size
    if directory_at < 0:
        return None
    fileobj.seek(directory_at)
    directory = fileobj.read(directory_size)
    count = offset = 0
    while offset < len(directory):
        if len(directory) - offset < _CENTRAL_HEADER.size:
            return None
        header = _CENTRAL_HEADER.unpack_from(directory, offset)
        if header[0] != _CENTRAL_MAGIC:
            return None
        name_len, extra_len, comment_len = header[12:15]
        offset += _CENTRAL_HEADER.size + name_len + extra_len + comment_len
        count += 1
    return count


def build_tree(names: Iterable[str], *, sizes: Mapping[str, int] | None = None) -> list[TreeNode]:
    """Return the top level of a directory tree built from archive entry names.

    Directories come before files, each group sorted case-insensitively. Both ``/`` and
    ``\\`` separate components (Windows tools write either). Skip OS junk and,
    defensively, any name with a ``..`` component; the first of duplicate files wins.
    The work is linear in the total length of the names, however deep they go: each
    component is looked up once among its parent's children, never as a joined prefix.
    """
    root = TreeNode(name="", is_dir=True)
    # (id of the parent directory, component) -> node; ids are stable while root lives.
    folders: dict[tuple[int, str], TreeNode] = {}
    files: set[tuple[int, str]] = set()
    for name, parts, is_dir in _tree_entries(names):
        parent = root
        for part in parts if is_dir else parts[:-1]:
            key = (id(parent), part)
            node = folders.get(key)
            if node is None:
                node = folders[key] = TreeNode(name=part, is_dir=True, parent=parent)
                parent.children.append(node)
            parent = node
        if is_dir or (id(parent), parts[-1]) in files:
            continue
        files.add((id(parent), parts[-1]))
        size = sizes.get(name) if sizes is not None else None
        parent.children.append(
            TreeNode(name=parts[-1], is_dir=False, entry=name, size=size, parent=parent)
        )

    # Sort every directory in one pass; recursion would overflow on absurdly deep paths.
    for node in (root, *folders.values()):
        node.children.sort(key=lambda child: (not child.is_dir, child.name.casefold(), child.name))
    return root.children


def _tree_entries(names: Iterable[str]) -> Iterator[tuple[str, list[str], bool]]:
    """Yield ``(name, components, is_dir)`` for each name the tree shows."""
    for name in names:
        parts = _split(name)
        if not parts or ".." in parts or _is_junk_parts(parts):
            continue
        yield name, parts, _is_dir_name(name)


def _count_tree(names: Iterable[str]) -> tuple[int, int]:
    """Return how many folders and files ``build_tree`` would show, in linear time."""
    folders: dict[tuple[int, str], int] = {}
    files: set[tuple[int, str]] = set()
    for _, parts, is_dir in _tree_entries(names):
        parent = 0
        for part in parts if is_dir else parts[:-1]:
            parent = folders.setdefault((parent, part), len(folders) + 1)
        if not is_dir:
            files.add((parent, parts[-1]))
    return len(folders), len(files)


def read_member(
    fileobj: BinaryReader, path: str, *, max_bytes: int = VIEWER_MAX_FILE_BYTES
) -> MemberContent:
    """Return the start of one file entry, decoded for display, without extracting it.

    Read at most ``max_bytes + 1`` decompressed bytes (the extra byte detects truncation).
    Decode as UTF-16 if a byte-order mark says so, else as UTF-8, else as Windows-1252
    (Latin-1 plus curly quotes, as Windows editors save). Treat the content as binary when
    its first 8 KiB holds a NUL byte (outside UTF-16) or over 5% control characters.
    Raise ``MemberNotFound`` (a ``KeyError``) if ``path`` is not a file entry and
    ``UnreadableMember`` if its data is damaged.
    """
    if max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    fileobj.seek(0)
    try:
        with open_zip(fileobj) as archive:
            try:
                info = archive.getinfo(path)
            except KeyError:
                raise MemberNotFound(path) from None
            if _is_dir_name(info.filename):
                raise MemberNotFound(path)
            # Also guards archives that were stored before validate_zip refused these.
            if info.compress_type not in _SUPPORTED_METHODS:
                raise UnreadableMember(f"{path!r} uses an unsupported compression method")
            with archive.open(info) as member:
                data = member.read(max_bytes + 1)
    except _MEMBER_UNREADABLE as exc:
        raise UnreadableMember(f"Cannot read {path!r} from the archive: {exc}") from exc
    finally:
        fileobj.seek(0)

    truncated = len(data) > max_bytes
    data = data[:max_bytes]
    decoded = decode_text(data, truncated=truncated)
    text, encoding = decoded if decoded is not None else (None, None)
    return MemberContent(
        path=path,
        size=info.file_size,
        text=text,
        is_binary=decoded is None,
        truncated=truncated,
        encoding=encoding,
    )


def decode_text(data: bytes, *, truncated: bool = False) -> tuple[str, str] | None:
    """Return ``(text, encoding)`` if ``data`` looks like text, else None.

    A byte-order mark decides (UTF-16, or UTF-8 with the mark dropped, as Windows
    Notepad saves), else UTF-8, else Windows-1252. TRUNCATED: DATA is the start of a
    longer file, so a character cut in half at its end is dropped.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # PowerShell's ">" writes UTF-16, which is full of NUL bytes.
        candidates = [("utf-16", "utf-16", "strict")]
    elif b"\x00" in data[:SNIFF_BYTES]:
        return None
    else:
        candidates = [("utf-8-sig", "utf-8", "strict"), ("cp1252", "cp1252", "replace")]
    for codec, label, errors in candidates:
        # final=False drops a multi-byte character cut in half by truncation.
        decoder = codecs.getincrementaldecoder(codec)(errors=errors)
        try:
            text = decoder.decode(data, final=not truncated)
        except UnicodeDecodeError:
            continue
        return (text, label) if _mostly_printable(text[:SNIFF_BYTES]) else None
    return None


def _mostly_printable(sample: str) -> bool:
    controls = sum(1 for char in sample if char in _CONTROL_CHARS)
    return controls <= len(sample) * _MAX_CONTROL_SHARE


def sha256_of(fileobj: BinaryReader) -> str:
    """Return the SHA-256 hex digest of the whole stream, reading it in chunks."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    try:
        while chunk := fileobj.read(_HASH_CHUNK):
            digest.update(chunk)
    finally:
        fileobj.seek(0)
    return digest.hexdigest()


def _split(name: str) -> list[str]:
    """Return the meaningful path components of an entry name."""
    return [part for part in _SEPARATORS_RE.split(name) if part not in ("", ".")]


def _is_dir_name(name: str) -> bool:
    return name.endswith(("/", "\\"))


def _depth(name: str) -> int:
    """Return how many folders hold the entry (a folder entry counts itself)."""
    parts = _split(name)
    return len(parts) if _is_dir_name(name) else max(len(parts) - 1, 0)


def _is_safe_path(name: str) -> bool:
    if name.startswith(("/", "\\")) or _DRIVE_RE.match(name):
        return False
    return ".." not in _SEPARATORS_RE.split(name)


def _check_local_name(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an entry whose own header names it otherwise than the archive's directory.

    Every check here reads the directory at the end of the file; a tool that unpacks
    entry by entry reads the name in front of each one, which a crafted archive sets
    to "../x" behind an innocent listing.
    """
    try:
        archive.open(info).close()  # zipfile compares the two names, reading no data
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            "The archive names '%(name)s' differently in two places, as tampered archives "
            "do. Please create it again with your system's compress tool.",
            code="corrupt",
            params={"name": _shorten(info.filename)},
        ) from exc


def _check_unique(name: str, seen: dict[str, str]) -> None:
    """Refuse NAME if SEEN (folded key -> name) has it, or a name Windows and macOS take
    for the same file: one differing only in capitals or in how an accent is encoded.
    Unpacked there, one of the two silently replaces the other."""
    key = _folded(name)
    other = seen.get(key)
    if other is None:
        seen[key] = name
        return
    if "/".join(_split(other)) == "/".join(_split(name)):
        # Tools disagree on which copy of a duplicated file wins; refuse the ambiguity.
        raise ValidationError(
            "The archive lists '%(name)s' more than once. "
            "Please create the archive again so every file appears only once.",
            code="corrupt",
            params={"name": _shorten(name)},
        )
    if _trimmed(other) == _trimmed(name):
        where, reason = "Windows", "dots or spaces at their end, which Windows drops"
    elif _folded(other, trim=False) == _folded(name, trim=False):
        where, reason = "Windows and macOS", "capitals or accents"
    else:
        where = "Windows and macOS"
        reason = "capitals, accents, or dots or spaces at their end, which Windows drops"
    raise ValidationError(
        "The archive holds both '%(name)s' and '%(other)s': on %(where)s they are the "
        "same file (the names differ only in %(reason)s), so one would replace the "
        "other. Rename one of them and upload the archive again.",
        code="name_clash",
        params={
            "name": _shorten(other),
            "other": _shorten(name),
            "where": where,
            "reason": reason,
        },
    )


def _trimmed(name: str) -> str:
    """Return NAME's components without the trailing dots and spaces Windows drops."""
    return "/".join(part.rstrip(". ") or part for part in _split(name))


def _folded(name: str, *, trim: bool = True) -> str:
    """Return NAME as Windows and macOS compare names: components without the trailing
    dots and spaces Windows drops (unless not TRIM), NFC, case folded after upper-casing
    (Windows takes "ı" for "I", which case folding alone keeps apart)."""
    joined = _trimmed(name) if trim else "/".join(_split(name))
    return unicodedata.normalize("NFC", joined).upper().casefold()


def _check_files_are_not_folders(files: Mapping[str, str], folders: set[str]) -> None:
    """Refuse a file whose name is also a folder: a folder entry's, or one holding other
    entries ("a" and "a/b.py")."""
    for key, name in files.items():
        parts = key.split("/")
        holders = (files.get("/".join(parts[:end])) for end in range(1, len(parts)))
        both = name if key in folders else next((h for h in holders if h is not None), None)
        if both is not None:
            raise ValidationError(
                "'%(file)s' is both a file and a folder in this archive, which cannot be "
                "unpacked. Rename one of them and upload the archive again.",
                code="name_clash",
                params={"file": _shorten(both)},
            )


# Control characters (a browser sends a newline back as CRLF: the file could not be
# commented on; a NUL cut the name short), bidirectional overrides ("rlo\u202egnp.py"
# showed graders "rloyp.png") and the other invisible format characters ("ma\u200bin.py"
# was a second "main.py" in the graders' file tree), as repository links refuse them.
_CONTROLS_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f]")


def _unshowable_in(name: str) -> str | None:
    """Return the first character of NAME that a file tree cannot show as stored."""
    for character in name:
        if _CONTROLS_IN_NAMES.match(character) or unicodedata.category(character) == "Cf":
            return character
    return None


def _shorten(name: str) -> str:
    if len(name) <= _MAX_NAME_IN_MESSAGE:
        return name
    return name[: _MAX_NAME_IN_MESSAGE - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _corrupt() -> ValidationError:
    return ValidationError(
        "This zip archive is incomplete or damaged, so it can't be read. "
        "Please create it again and re-upload it.",
        code="corrupt",
    )


def _too_many(count: int, limit: int) -> ValidationError:
    return ValidationError(
        "The archive has %(count)s entries; the limit is %(limit)s.",
        code="too_many_entries",
        params={"count": f"{count:,}", "limit": f"{limit:,}"},
    )
