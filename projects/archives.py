"""Validate and browse student project zips without extracting them to disk.

Students upload a group project as a ``.zip``; graders browse it in the browser.
Everything here works on an open binary file object (an ``UploadedFile``, an
opened ``FieldFile`` or a ``BytesIO``) and never writes archive members to disk.

``validate_zip`` raises ``django.core.exceptions.ValidationError`` with one of these codes:

* ``not_zip`` - the content is not a zip archive (whatever the extension says).
* ``corrupt`` - the archive is truncated, damaged or lists a file twice.
* ``unsafe_path`` - an absolute path, a ``..`` component or a symbolic link.
* ``encrypted`` - a password-protected entry.
* ``unsupported_compression`` - a method other than Stored or Deflate.
* ``too_many_entries`` - more than ``max_entries`` entries.
* ``suspicious_ratio`` - an entry over 1 MiB that expands more than ``max_ratio`` times.
* ``too_large_uncompressed`` - declared sizes add up to more than the limit.

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
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ValidationError

__all__ = [
    "MAX_ENTRIES",
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


@dataclass(slots=True)
class TreeNode:
    """One directory or file in the browser tree; ``size`` is known for files only."""

    name: str
    path: str
    is_dir: bool
    children: list[TreeNode] = field(default_factory=list)
    size: int | None = None


@dataclass(frozen=True, slots=True)
class MemberContent:
    """The displayable start of one entry; ``size`` is its full uncompressed size."""

    path: str
    size: int
    text: str | None
    is_binary: bool
    truncated: bool
    encoding: str | None = None


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
    parts = _split(name)
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
) -> ArchiveSummary:
    """Check an uploaded zip without decompressing it and return its summary.

    Rely on the sizes the central directory declares: zipfile never yields more than an
    entry declares, so checking them bounds what browsing the archive can inflate.
    Raise ``ValidationError`` with a student-facing message and a ``code``.
    """
    fileobj.seek(0)
    try:
        return _validate(fileobj, max_entries, max_total_uncompressed, max_ratio)
    finally:
        fileobj.seek(0)


def _validate(
    fileobj: BinaryReader, max_entries: int, max_total: int, max_ratio: int
) -> ArchiveSummary:
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
    if counted is not None and counted > max_entries:
        raise _too_many(counted, max_entries)

    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
        # ValueError covers names flagged UTF-8 that are not.
        raise _corrupt() from exc
    if len(infos) > max_entries:
        raise _too_many(len(infos), max_entries)

    seen_files: set[str] = set()
    total = 0
    for info in infos:
        _check_entry(info, max_ratio)
        if not _is_dir_name(info.filename):
            # Tools disagree on which copy of a duplicated file wins; refuse the ambiguity.
            key = "/".join(_split(info.filename))
            if key in seen_files:
                raise ValidationError(
                    "The archive lists '%(name)s' more than once. "
                    "Please create the archive again so every file appears only once.",
                    code="corrupt",
                    params={"name": _shorten(info.filename)},
                )
            seen_files.add(key)
        total += info.file_size

    if total > max_total:
        raise ValidationError(
            "Once unpacked, the archive would take %(size)s; the limit is %(limit)s.",
            code="too_large_uncompressed",
            params={"size": format_bytes(total), "limit": format_bytes(max_total)},
        )

    files = [info for info in infos if not _is_dir_name(info.filename)]
    return ArchiveSummary(
        entry_count=len(infos),
        file_count=len(files),
        total_uncompressed=total,
        names=sorted(info.filename for info in infos),
        sizes={info.filename: info.file_size for info in files},
    )


def _check_entry(info: zipfile.ZipInfo, max_ratio: int) -> None:
    """Raise ``ValidationError`` if one entry is unsafe or unreadable."""
    params = {"name": _shorten(info.filename)}
    if not _is_safe_path(info.filename):
        raise ValidationError(
            "The archive contains an unsafe path: '%(name)s'. "
            "Entries must stay inside the archive (no absolute paths or '..').",
            code="unsafe_path",
            params=params,
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
    if info.file_size > RATIO_CHECK_MIN_SIZE and info.file_size > max_ratio * info.compress_size:
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
    ``\\`` separate components (Windows tools write either). Directory paths are joined
    with ``/``; file paths are the exact entry names, ready for ``read_member``. Skip OS
    junk and, defensively, any name with a ``..`` component.
    """
    root = TreeNode(name="", path="", is_dir=True)
    dirs: dict[str, TreeNode] = {"": root}
    files: dict[str, TreeNode] = {}
    for name in names:
        parts = _split(name)
        if not parts or ".." in parts or is_junk(name):
            continue
        is_dir = _is_dir_name(name)
        dir_parts = parts if is_dir else parts[:-1]
        parent = root
        for depth in range(1, len(dir_parts) + 1):
            dir_path = "/".join(dir_parts[:depth])
            node = dirs.get(dir_path)
            if node is None:
                node = TreeNode(name=dir_parts[depth - 1], path=dir_path, is_dir=True)
                parent.children.append(node)
                dirs[dir_path] = node
            parent = node
        if is_dir:
            continue
        key = "/".join(parts)
        if key in files:
            continue
        size = sizes.get(name) if sizes is not None else None
        node = TreeNode(name=parts[-1], path=name, is_dir=False, size=size)
        parent.children.append(node)
        files[key] = node

    # Sort every directory in one pass; recursion would overflow on absurdly deep paths.
    for node in dirs.values():
        node.children.sort(key=lambda child: (not child.is_dir, child.name.casefold(), child.name))
    return root.children


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
        with zipfile.ZipFile(fileobj) as archive:
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
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,  # zipfile's "password required"
        ValueError,  # includes UnicodeDecodeError for mislabelled names
    ) as exc:
        raise UnreadableMember(f"Cannot read {path!r} from the archive: {exc}") from exc
    finally:
        fileobj.seek(0)

    truncated = len(data) > max_bytes
    data = data[:max_bytes]
    decoded = _decode_text(data, truncated=truncated)
    text, encoding = decoded if decoded is not None else (None, None)
    return MemberContent(
        path=path,
        size=info.file_size,
        text=text,
        is_binary=decoded is None,
        truncated=truncated,
        encoding=encoding,
    )


def _decode_text(data: bytes, *, truncated: bool) -> tuple[str, str] | None:
    """Return ``(text, encoding)`` if ``data`` looks like text, else None."""
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


def _is_safe_path(name: str) -> bool:
    if name.startswith(("/", "\\")) or _DRIVE_RE.match(name):
        return False
    return ".." not in _SEPARATORS_RE.split(name)


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
