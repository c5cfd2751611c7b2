"""Tests for projects.archives; zips are built in memory, no settings or database needed."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import tracemalloc
import unicodedata
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import archives
from projects.archives import (
    MAX_ENTRIES,
    MAX_TOTAL_UNCOMPRESSED,
    MemberNotFound,
    TreeNode,
    UnreadableMember,
    build_tree,
    format_bytes,
    is_junk,
    open_zip,
    read_member,
    sha256_of,
    validate_zip,
)

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
)


def make_zip(
    entries: list[tuple[str | zipfile.ZipInfo, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def zip_with_raw_name(raw_name: bytes, data: bytes) -> io.BytesIO:
    """Build a zip whose entry name bytes are ``raw_name`` with the UTF-8 flag unset.

    zipfile always writes non-ASCII names as flagged UTF-8, so write an ASCII placeholder
    of the same length and patch both the local and the central header.
    """
    placeholder = b"Q" * len(raw_name)
    raw = make_zip([(placeholder.decode("ascii"), data)]).getvalue()
    assert raw.count(placeholder) == 2
    return io.BytesIO(raw.replace(placeholder, raw_name))


def rejection(fileobj: io.BytesIO, **kwargs: int) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validate_zip(fileobj, **kwargs)
    return excinfo.value


def forbid_zipfile_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory should not be parsed into ZipInfo objects")

    monkeypatch.setattr(archives.zipfile, "ZipFile", fail)


def find_child(nodes: list[TreeNode], name: str) -> TreeNode:
    return next(node for node in nodes if node.name == name)


class CountingBytesIO(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


# --- validate_zip: accepted archives -------------------------------------------------


def test_valid_archive_summary_counts_and_rewinds() -> None:
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        ("proj/", b""),
        ("proj/src/main.py", b"print('hi')\n"),
        ("proj/README.md", b"# Group 4\n"),
        ("proj/src/util.py", b"def f():\n    return 1\n"),
    ]
    buffer = make_zip(entries)
    buffer.seek(7)

    summary = validate_zip(buffer)

    assert buffer.tell() == 0
    assert summary.entry_count == 4
    assert summary.file_count == 3
    assert summary.total_uncompressed == 12 + 10 + 22
    assert summary.names == ["proj/", "proj/README.md", "proj/src/main.py", "proj/src/util.py"]
    assert summary.sizes == {"proj/src/main.py": 12, "proj/README.md": 10, "proj/src/util.py": 22}


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param([], id="no-entries"),
        pytest.param([("src/", b""), ("src/tests/", b"")], id="only-folders"),
        pytest.param([("__MACOSX/._a.py", b"x"), (".DS_Store", b"x")], id="only-os-clutter"),
    ],
)
def test_archive_without_files_is_refused(entries: list[tuple[str, bytes]]) -> None:
    error = rejection(make_zip(entries))
    assert error.code == "empty_archive"
    assert error.messages == [
        "The archive has no files in it. "
        "Please put your project's files in the zip and upload it again."
    ]


def test_stored_archive_is_accepted() -> None:
    summary = validate_zip(make_zip([("a.txt", b"abc")], compression=zipfile.ZIP_STORED))
    assert summary.file_count == 1


@pytest.mark.parametrize(
    "name", ["notes..txt", "a/..b/c.py", ".hidden", "./src/x.py", "src/.gitignore", "a..b/"]
)
def test_names_with_dots_that_stay_inside_are_safe(name: str) -> None:
    assert validate_zip(make_zip([(name, b"x"), ("main.py", b"")])).entry_count == 2


def test_works_with_django_uploaded_file() -> None:
    raw = make_zip([("src/app.py", b"x = 1\n")]).getvalue()
    upload = SimpleUploadedFile("project.zip", raw, content_type="application/zip")

    assert validate_zip(upload).names == ["src/app.py"]
    assert read_member(upload, "src/app.py").text == "x = 1\n"
    assert sha256_of(upload) == hashlib.sha256(raw).hexdigest()
    assert upload.tell() == 0


# --- validate_zip: not a zip / corrupt -----------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PNG_BYTES, id="png"),
        pytest.param(b"This is my report, not a zip.\n", id="text"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
        pytest.param(b"", id="empty"),
        pytest.param(b"PK", id="two-bytes"),
    ],
)
def test_non_zip_content_is_rejected_whatever_the_extension(content: bytes) -> None:
    upload = SimpleUploadedFile("project.zip", content)
    error = rejection(upload)
    assert error.code == "not_zip"
    assert error.messages == [
        "This file is not a zip archive. "
        "Please upload a .zip file created with your system's compress tool."
    ]
    assert upload.tell() == 0


def test_zip_hidden_behind_other_content_is_rejected() -> None:
    # zipfile.is_zipfile() alone accepts this image/zip polyglot.
    polyglot = io.BytesIO(PNG_BYTES + make_zip([("a.py", b"x")]).getvalue())
    assert zipfile.is_zipfile(polyglot)
    assert rejection(polyglot).code == "not_zip"


def test_truncated_upload_is_corrupt() -> None:
    raw = make_zip([("a.py", b"print(1)\n" * 50)]).getvalue()
    error = rejection(io.BytesIO(raw[: len(raw) // 2]))
    assert error.code == "corrupt"
    assert "incomplete or damaged" in error.messages[0]


def test_damaged_central_directory_is_corrupt() -> None:
    raw = make_zip([("a.py", b"x"), ("b.py", b"y")]).getvalue()
    damaged = raw.replace(b"PK\x01\x02", b"PK\x09\x09", 1)
    assert rejection(io.BytesIO(damaged)).code == "corrupt"


def test_name_flagged_utf8_but_invalid_is_corrupt() -> None:
    raw = make_zip([("caf\u00e9.py", b"x")]).getvalue()
    assert raw.count("caf\u00e9".encode()) == 2
    damaged = raw.replace("caf\u00e9".encode(), b"caf\xe9\xe9")
    assert rejection(io.BytesIO(damaged)).code == "corrupt"


def test_duplicate_file_names_are_rejected() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        buffer = make_zip([("src/a.py", b"one"), ("src/a.py", b"two")])
    error = rejection(buffer)
    assert error.code == "corrupt"
    assert error.messages[0].startswith("The archive lists 'src/a.py' more than once.")


def test_same_file_with_both_separators_counts_as_duplicate() -> None:
    assert rejection(make_zip([("src/a.py", b"1"), ("src\\a.py", b"2")])).code == "corrupt"


def test_repeated_directory_entries_are_fine() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        buffer = make_zip([("src/", b""), ("src/", b""), ("src/a.py", b"1")])
    assert validate_zip(buffer).file_count == 1


# --- validate_zip: unsafe entries ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "/etc/passwd",
        "a/../../b",
        "C:\\x",
        "..\\x",
        "c:/Windows/x",
        "D:relative.txt",
        "\\\\server\\share\\x",
        "\\abs.txt",
        "src/..",
        "src\\..\\..\\x",
    ],
)
def test_traversal_and_absolute_paths_are_rejected(name: str) -> None:
    buffer = make_zip([("ok.py", b"x"), (name, b"payload")])
    error = rejection(buffer)
    assert error.code == "unsafe_path"
    assert f"'{name}'" in error.messages[0]
    assert buffer.tell() == 0


@pytest.mark.parametrize(
    ("raw_name", "char"),
    [
        (b"a\nb.py", "U+000A"),  # sent back by the browser as CRLF: no line comment
        (b"tab\tname.py", "U+0009"),
        (b"a.py\x00../../x", "U+0000"),  # listed as "a.py"
        ("rlo\u202egnp.py".encode(), "U+202E"),  # shown to graders as "rloyp.png"
        ("isolate\u2067.py".encode(), "U+2067"),
        # Listed as a second "main.py" beside the real one (probe 43).
        ("proj/ma\u200bin.py".encode(), "U+200B"),
        ("proj/\ufeffmain.py".encode(), "U+FEFF"),
        ("proj/main\u2060.py".encode(), "U+2060"),
        ("proj/\u200emain.py".encode(), "U+200E"),
    ],
)
def test_names_that_cannot_be_shown_as_stored_are_refused(raw_name: bytes, char: str) -> None:
    if raw_name.isascii():
        buffer = zip_with_raw_name(raw_name, b"x")
    else:
        buffer = make_zip([(raw_name.decode(), b"x")])
    error = rejection(buffer)
    assert error.code == "unsafe_name"
    message = error.messages[0]
    assert char in message and "rename that file" in message
    assert not any(ord(c) < 32 or unicodedata.category(c) == "Cf" for c in message)


def test_names_in_any_script_are_kept() -> None:
    names = ["src/café.py", "docs/日本語.md", "src/עברית.py", "emoji-🐍.txt"]
    summary = validate_zip(make_zip([(name, b"x") for name in names]))
    assert summary.names == sorted(names)


def test_unsafe_path_message() -> None:
    error = rejection(make_zip([("../etc/passwd", b"x")]))
    assert error.messages == [
        "The archive contains an unsafe path: '../etc/passwd'. "
        "Entries must stay inside the archive (no absolute paths or '..')."
    ]


def test_very_long_unsafe_name_is_shortened_in_message() -> None:
    name = "../" + "a" * 500
    message = rejection(make_zip([(name, b"x")])).messages[0]
    assert "a" * 500 not in message
    assert "\N{HORIZONTAL ELLIPSIS}" in message


def test_symlink_entry_is_rejected() -> None:
    link = zipfile.ZipInfo("src/config.py")
    link.create_system = 3  # Unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    error = rejection(make_zip([("src/app.py", b"x"), (link, b"/etc/passwd")]))
    assert error.code == "unsafe_path"
    assert "symbolic link: 'src/config.py'" in error.messages[0]


def test_regular_unix_file_mode_is_fine() -> None:
    info = zipfile.ZipInfo("run.sh")
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    assert validate_zip(make_zip([(info, b"#!/bin/sh\n")])).file_count == 1


def test_encrypted_entry_is_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret.py", b"x")
        # writestr() clears flag bits; the central directory is written on close.
        archive.getinfo("secret.py").flag_bits |= 0x1
    error = rejection(buffer)
    assert error.code == "encrypted"
    assert "password-protected" in error.messages[0]


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 9])
def test_unsupported_compression_is_rejected(method: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if method == 9:  # Deflate64 (Windows Explorer); zipfile cannot write it, so relabel.
            archive.writestr("big.csv", b"a,b\n")
            archive.getinfo("big.csv").compress_type = 9
        else:
            archive.writestr("big.csv", b"a,b\n", compress_type=method)
    error = rejection(buffer)
    assert error.code == "unsupported_compression"
    assert "'big.csv'" in error.messages[0]


# --- validate_zip: size limits -------------------------------------------------------


def test_too_many_entries() -> None:
    buffer = make_zip([(f"f{i}.txt", b"") for i in range(5000)])
    error = rejection(buffer)
    assert error.code == "too_many_entries"
    assert error.messages == ["The archive has 5,000 entries; the limit is 2,000."]
    assert buffer.tell() == 0


def test_entry_count_is_checked_before_zipfile_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = make_zip([(f"f{i}.txt", b"") for i in range(30)])
    forbid_zipfile_parsing(monkeypatch)
    assert rejection(buffer, max_entries=10).code == "too_many_entries"


def test_entry_count_field_that_lies_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = bytearray(make_zip([(f"f{i}.txt", b"") for i in range(30)]).getvalue())
    eocd = raw.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", raw, eocd + 8, 1, 1)  # "this disk" and "total" entry counts
    forbid_zipfile_parsing(monkeypatch)
    error = rejection(io.BytesIO(bytes(raw)), max_entries=10)
    assert error.messages == ["The archive has 30 entries; the limit is 10."]


def test_entry_count_is_read_from_zip64_records(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 5)  # force zip64 end records
        raw = bytearray(make_zip([(f"f{i}.txt", b"x") for i in range(30)]).getvalue())
    assert b"PK\x06\x06" in raw
    # Like many zip64 writers, leave only placeholders in the classic end record.
    struct.pack_into(
        "<4H2L", raw, raw.rfind(b"PK\x05\x06") + 4, 0, 0, *[0xFFFF] * 2, *[0xFFFFFFFF] * 2
    )
    raw = bytes(raw)
    assert validate_zip(io.BytesIO(raw)).entry_count == 30

    forbid_zipfile_parsing(monkeypatch)
    assert rejection(io.BytesIO(raw), max_entries=10).messages == [
        "The archive has 30 entries; the limit is 10."
    ]


def test_entry_limit_is_inclusive() -> None:
    assert validate_zip(make_zip([(f"{i}", b"") for i in range(10)]), max_entries=10)


def test_zip_bomb_by_compression_ratio() -> None:
    buffer = make_zip([("src/app.py", b"x"), ("data/zeros.bin", bytes(10 * 1024 * 1024))])
    error = rejection(buffer)
    assert error.code == "suspicious_ratio"
    assert error.messages[0].startswith("'data/zeros.bin' would grow from ")
    assert " to 10 MB when unpacked" in error.messages[0]


def test_small_files_may_compress_very_well() -> None:
    assert validate_zip(make_zip([("blank.txt", bytes(512 * 1024))])).file_count == 1


def test_ratio_limit_is_configurable() -> None:
    buffer = make_zip([("zeros.bin", bytes(2 * 1024 * 1024))])
    assert validate_zip(buffer, max_ratio=10_000).file_count == 1
    assert rejection(buffer).code == "suspicious_ratio"


def test_total_uncompressed_limit() -> None:
    three_mib = b"a" * (3 * 1024 * 1024)
    buffer = make_zip([("a.txt", three_mib)], compression=zipfile.ZIP_STORED)
    error = rejection(buffer, max_total_uncompressed=1024 * 1024)
    assert error.code == "too_large_uncompressed"
    assert error.messages == ["Once unpacked, the archive would take 3 MB; the limit is 1 MB."]


def test_total_uncompressed_sums_all_entries() -> None:
    buffer = make_zip([("a.txt", b"a" * 600), ("b/c.txt", b"b" * 600)])
    assert rejection(buffer, max_total_uncompressed=1000).code == "too_large_uncompressed"
    assert validate_zip(buffer, max_total_uncompressed=1200).total_uncompressed == 1200


def test_many_small_compressed_entries_are_a_bomb_too() -> None:
    # Each entry stays under the 1 MiB per-entry check; together they expand 400 times.
    buffer = make_zip([(f"pad/{i}.txt", bytes(100 * 1024)) for i in range(20)])
    archive_size = len(buffer.getvalue())
    error = rejection(buffer)
    assert error.code == "suspicious_ratio"
    assert error.messages == [
        f"This {format_bytes(archive_size)} archive would grow to 2 MB when unpacked, which "
        "is typical of a zip bomb. Please remove generated or padded files (logs, data "
        "dumps, empty disk images) and upload it again."
    ]


def test_whole_archive_ratio_ignores_archives_under_one_mib_unpacked() -> None:
    buffer = make_zip([(f"blank{i}.txt", bytes(100 * 1024)) for i in range(10)])
    assert validate_zip(buffer).total_uncompressed == 1000 * 1024


def test_ordinary_source_code_passes_the_whole_archive_ratio() -> None:
    source = b"".join(b"def f%d(x):\n    return x * %d\n\n" % (i, i) for i in range(40_000))
    assert len(source) > archives.RATIO_CHECK_MIN_SIZE
    assert validate_zip(make_zip([("src/gen.py", source)])).file_count == 1


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a" * 256, id="one-long-name"),
        pytest.param("src/" + "b" * 252, id="long-file-in-folder"),
        pytest.param("/".join(["folder"] * 36) + "/x.py", id="many-folders"),
        pytest.param("\u00e9" * 256, id="non-ascii"),
    ],
)
def test_names_over_255_characters_are_refused(name: str) -> None:
    assert len(name) > archives.MAX_PATH_LENGTH
    error = rejection(make_zip([("ok.py", b"x"), (name, b"x")]))
    assert error.code == "name_too_long"
    message = error.messages[0]
    assert message.startswith("The name of '")
    assert f"' is {len(name):,} characters long with its folders; the limit is 255." in message
    assert message.endswith("Please shorten its folder or file names.")
    assert name not in message  # shortened
    assert "\N{HORIZONTAL ELLIPSIS}" in message


def test_names_of_255_characters_are_fine() -> None:
    name = "src/" + "\u00e9" * 251
    assert len(name) == archives.MAX_PATH_LENGTH
    assert validate_zip(make_zip([(name, b"x")])).names == [name]


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        ("/".join(["d"] * 21) + "/x.py", 21),
        ("\\".join(["d"] * 22) + "\\x.py", 22),
        ("d/" * 21, 21),  # a folder entry counts itself
    ],
)
def test_entries_more_than_20_folders_deep_are_refused(name: str, depth: int) -> None:
    error = rejection(make_zip([("ok.py", b"x"), (name, b"")]))
    assert error.code == "too_deep"
    assert error.messages == [
        f"'{name}' is {depth} folders deep; the limit is 20. "
        "Please move your files into fewer nested folders."
    ]


def test_entries_20_folders_deep_are_fine() -> None:
    entries = [("d/" * 20, b""), ("d/" * 20 + "x.py", b"x"), ("./a//b/" + "c/" * 18 + "y", b"")]
    assert validate_zip(make_zip(entries)).file_count == 2


def test_implied_folders_count_towards_the_entry_limit() -> None:
    # Five entries, but the tree a grader sees has five files in five folders.
    buffer = make_zip([(f"f{i}/x.py", b"x") for i in range(5)])
    error = rejection(buffer, max_entries=9)
    assert error.code == "too_many_entries"
    assert error.messages == ["The archive holds 10 files and folders; the limit is 9."]
    assert validate_zip(buffer, max_entries=10).entry_count == 5


def test_os_clutter_does_not_count_towards_the_entry_limit() -> None:
    clutter = [(f"__MACOSX/._{i}", b"x") for i in range(5)]
    assert validate_zip(make_zip([("a.py", b"x"), *clutter]), max_entries=6).file_count == 6


def test_default_limits() -> None:
    assert MAX_ENTRIES == 2000
    assert archives.MAX_PATH_LENGTH == 255
    assert archives.MAX_DEPTH == 20
    assert MAX_TOTAL_UNCOMPRESSED == 200 * 1024 * 1024
    assert archives.MAX_RATIO == 200
    assert archives.VIEWER_MAX_FILE_BYTES == 512 * 1024


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1,023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (1024 * 1024 - 1, "1 MB"),
        (200 * 1024 * 1024, "200 MB"),
        (int(3.2 * 1024**3), "3.2 GB"),
        (5 * 1024**4, "5 TB"),
        (2048 * 1024**4, "2,048 TB"),
    ],
)
def test_format_bytes(size: int, expected: str) -> None:
    assert format_bytes(size) == expected


# --- build_tree ----------------------------------------------------------------------


def test_tree_orders_dirs_first_case_insensitively_and_skips_junk() -> None:
    names = [
        "README.md",
        "b.txt",
        "A.txt",
        "src/",
        "src/main.py",
        "src/utils/helpers.py",
        "src/.DS_Store",
        "docs/Guide.md",
        "docs/api.md",
        "Zeta/",
        ".DS_Store",
        "__MACOSX/",
        "__MACOSX/src/._main.py",
        "._README.md",
        "Thumbs.db",
    ]
    tree = build_tree(names)

    assert [(node.name, node.is_dir) for node in tree] == [
        ("docs", True),
        ("src", True),
        ("Zeta", True),
        ("A.txt", False),
        ("b.txt", False),
        ("README.md", False),
    ]
    docs = find_child(tree, "docs")
    assert docs.path == "docs"
    assert [child.name for child in docs.children] == ["api.md", "Guide.md"]
    src = find_child(tree, "src")
    assert [child.name for child in src.children] == ["utils", "main.py"]
    helpers = find_child(src.children, "utils").children[0]
    assert (helpers.name, helpers.path, helpers.is_dir) == (
        "helpers.py",
        "src/utils/helpers.py",
        False,
    )
    assert find_child(tree, "Zeta").children == []


def test_tree_sizes_come_from_mapping() -> None:
    tree = build_tree(["a/b.py", "c.py"], sizes={"a/b.py": 12, "c.py": 3})
    assert tree[0].size is None  # directory
    assert tree[0].children[0].size == 12
    assert tree[1].size == 3
    assert build_tree(["c.py"])[0].size is None


def test_tree_from_summary() -> None:
    summary = validate_zip(make_zip([("p/a.py", b"abc"), ("p/b/", b"")]))
    tree = build_tree(summary.names, sizes=summary.sizes)
    assert [(n.name, n.is_dir) for n in tree[0].children] == [("b", True), ("a.py", False)]
    assert tree[0].children[1].size == 3


def test_tree_accepts_backslash_separators_and_keeps_entry_name_as_path() -> None:
    buffer = make_zip([("src\\pkg\\mod.py", b"x = 2\n")])
    tree = build_tree(validate_zip(buffer).names)
    src = tree[0]
    assert (src.name, src.path) == ("src", "src")
    module = src.children[0].children[0]
    assert (module.name, module.path) == ("mod.py", "src\\pkg\\mod.py")
    assert read_member(buffer, module.path).text == "x = 2\n"


def test_tree_ignores_empty_and_dot_components_and_parent_refs() -> None:
    tree = build_tree(["./a//b.py", "/", "", "../evil.py", "x/../y.py"])
    assert [node.name for node in tree] == ["a"]
    assert tree[0].children[0].path == "./a//b.py"


def test_tree_deduplicates_names() -> None:
    tree = build_tree(["a.py", "a.py", "d/", "d/", "d/x.py", "d\\x.py"])
    assert [node.name for node in tree] == ["d", "a.py"]
    assert len(tree[0].children) == 1


def test_tree_handles_very_deep_paths() -> None:
    deep = "/".join(["d"] * 3000) + "/leaf.txt"
    node = build_tree([deep])[0]
    depth = 1
    while node.children:
        node = node.children[0]
        depth += 1
    assert (depth, node.name, node.path) == (3001, "leaf.txt", deep)


def test_tree_of_a_very_deep_name_takes_memory_linear_in_its_length() -> None:
    # 30,000 folders: joining every prefix, as the tree once did, takes about 900 MB.
    deep = "d/" * 30_000 + "leaf.py"
    tracemalloc.start()
    try:
        tree = build_tree([deep, deep.replace("leaf", "other")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 400 * len(deep)  # about 12 MB: one small node per folder
    node = tree[0]
    stored = 0
    while node.children:
        stored += len(node.name)
        node = node.children[0]
    assert stored == 30_000  # one character per folder, no prefixes kept
    assert (node.name, node.path) == ("leaf.py", deep)
    assert node.parent is not None and node.parent.path == "/".join(["d"] * 30_000)
    assert "children" not in repr(node.parent)  # repr does not walk the deep tree


def test_tree_paths_of_folders_are_joined_with_slashes() -> None:
    tree = build_tree(["a\\b\\c.py", "./a//d/"])
    a = tree[0]
    assert [(child.name, child.path, child.is_dir) for child in a.children] == [
        ("b", "a/b", True),
        ("d", "a/d", True),
    ]
    assert a.children[0].children[0].path == "a\\b\\c.py"


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        ("__MACOSX/", True),
        ("__MACOSX/src/._a.py", True),
        ("src/.DS_Store", True),
        ("._notes.txt", True),
        ("src/Thumbs.db", True),
        ("src/desktop.ini", True),
        ("src/a.py", False),
        (".gitignore", False),
        ("MACOSX/a.py", False),
        ("", False),
    ],
)
def test_is_junk(name: str, junk: bool) -> None:
    assert is_junk(name) is junk


# --- read_member ---------------------------------------------------------------------


def test_read_text_member() -> None:
    buffer = make_zip([("src/main.py", "print('h\u00e9llo')\n".encode())])
    buffer.seek(5)
    content = read_member(buffer, "src/main.py")
    assert content.text == "print('h\u00e9llo')\n"
    assert (content.path, content.size, content.is_binary, content.truncated) == (
        "src/main.py",
        16,
        False,
        False,
    )
    assert content.encoding == "utf-8"
    assert buffer.tell() == 0


def test_read_empty_member() -> None:
    content = read_member(make_zip([("empty.py", b"")]), "empty.py")
    assert (content.text, content.is_binary, content.truncated) == ("", False, False)


def test_utf8_bom_is_stripped() -> None:
    content = read_member(make_zip([("a.txt", b"\xef\xbb\xbfhello")]), "a.txt")
    assert content.text == "hello"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG_BYTES + bytes(200), id="png"),
        pytest.param(b"text\x00with a NUL byte", id="nul"),
        pytest.param(bytes(range(1, 32)) * 20, id="control-chars"),
        pytest.param(os.urandom(4096), id="random"),
    ],
)
def test_binary_member(data: bytes) -> None:
    content = read_member(make_zip([("blob.bin", data)]), "blob.bin")
    assert content.is_binary
    assert content.text is None
    assert content.encoding is None
    assert content.size == len(data)


def test_windows_1252_text_falls_back_instead_of_binary() -> None:
    data = b"# caf\xe9 \x93quoted\x94\r\n"
    content = read_member(make_zip([("notes.txt", data)]), "notes.txt")
    assert content.text == "# caf\u00e9 \u201cquoted\u201d\r\n"
    assert (content.is_binary, content.encoding) == (False, "cp1252")


def test_utf16_with_bom_is_text() -> None:
    data = "PS> dir\r\nhello\r\n".encode("utf-16")
    content = read_member(make_zip([("out.txt", data)]), "out.txt")
    assert content.text == "PS> dir\r\nhello\r\n"
    assert (content.is_binary, content.encoding) == (False, "utf-16")


def test_truncation_at_max_bytes() -> None:
    buffer = make_zip([("log.txt", b"0123456789" * 10)])
    content = read_member(buffer, "log.txt", max_bytes=25)
    assert (content.text, content.truncated, content.size) == (
        "0123456789" * 2 + "01234",
        True,
        100,
    )
    assert read_member(buffer, "log.txt", max_bytes=100).truncated is False
    assert read_member(buffer, "log.txt", max_bytes=99).truncated is True


def test_truncation_drops_a_split_multibyte_character() -> None:
    buffer = make_zip([("fr.txt", ("\u00e9" * 600).encode())])
    content = read_member(buffer, "fr.txt", max_bytes=1001)
    assert content.text == "\u00e9" * 500
    assert (content.truncated, content.is_binary, content.encoding) == (True, False, "utf-8")


def test_huge_member_is_not_read_in_full() -> None:
    line = b"x = 1\n"
    data = line * (50 * 1024 * 1024 // len(line))
    raw = make_zip([("huge.py", data)]).getvalue()
    del data
    compressed_size = len(raw)
    counting = CountingBytesIO(raw)

    content = read_member(counting, "huge.py", max_bytes=1024)

    assert content.truncated
    assert content.text is not None
    assert len(content.text) <= 1024
    assert content.text.startswith("x = 1\nx = 1\n")
    assert content.size >= 50 * 1024 * 1024 - len(line)
    # Only a few KiB of the compressed stream is touched, not the whole member.
    assert counting.bytes_read < 16 * 1024 < compressed_size // 3


def test_names_without_the_utf8_mark_are_cp437_as_windows_writes_them() -> None:
    """Windows' "Compressed folder" writes names in the system's code page: CP437 (or
    CP850, the same for the usual accents) on American and Western European systems
    (probe 54: refusing them refused common zips)."""
    for name in ("src/café.py", "Práctica/main.py", "Übung/ß.py"):
        raw = name.encode("cp437")
        summary = validate_zip(zip_with_raw_name(raw, b"print('ok')\n"))
        assert summary.names == [name]


def unicode_path_zip(raw: bytes, unicode_name: str, data: bytes = b"x\n") -> io.BytesIO:
    """A zip whose entry's name is RAW (unmarked) and whose Info-ZIP Unicode path field
    (0x7075) says UNICODE_NAME, as 7-Zip and Info-ZIP write for legacy readers."""
    field = struct.pack("<BL", 1, zlib.crc32(raw)) + unicode_name.encode()
    placeholder = "Q" * len(raw)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(placeholder)
        info.extra = struct.pack("<HH", 0x7075, len(field)) + field
        archive.writestr(info, data)
    raw_zip = buffer.getvalue()
    assert raw_zip.count(placeholder.encode()) == 2
    return io.BytesIO(raw_zip.replace(placeholder.encode(), raw))


def test_a_unicode_path_field_names_the_file_and_is_checked_as_any_name() -> None:
    """Probe 54: a right-to-left override or a line break in the field's name passed the
    check, which read only the name written in the header."""
    buffer = unicode_path_zip("p/Привет.py".encode("cp866"), "p/Привет.py")
    assert validate_zip(buffer).names == ["p/Привет.py"]
    for hidden in ("\u202e", "\n", "\u200b"):
        error = rejection(unicode_path_zip(b"p/abc.py", f"p/a{hidden}bc.py"))
        assert error.code == "unsafe_name", repr(hidden)


def test_names_in_utf8_without_its_mark_are_read_as_utf8() -> None:
    """macOS's Archive Utility writes UTF-8 names (decomposed accents) without the mark
    the zip format has for it: read as CP437 they were "re╠üsume╠ü.py"."""
    name = unicodedata.normalize("NFD", "projet/résumé.py")
    buffer = zip_with_raw_name(name.encode(), b"print('ok')\n")
    summary = validate_zip(buffer)
    assert summary.names == [name]
    node = build_tree(summary.names)[0].children[0]
    assert node.path == name
    assert read_member(buffer, node.path).text == "print('ok')\n"
    with open_zip(buffer) as archive:
        assert archive.namelist() == [name]
    # A Chinese or Cyrillic name alike.
    for name in ("中文/模块.py", "projet/Привет.py"):
        assert validate_zip(zip_with_raw_name(name.encode(), b"x\n")).names == [name]


def test_utf8_flagged_entry_name_round_trips() -> None:
    buffer = make_zip([("\u00fcbung/caf\u00e9 \u2603.py", b"x\n")])
    node = build_tree(validate_zip(buffer).names)[0]
    assert node.name == "\u00fcbung"
    assert read_member(buffer, node.children[0].path).text == "x\n"


def test_missing_member_raises_key_error() -> None:
    buffer = make_zip([("src/a.py", b"x")])
    with pytest.raises(KeyError):
        read_member(buffer, "src/b.py")
    with pytest.raises(MemberNotFound):
        read_member(buffer, "a.py")
    assert buffer.tell() == 0


def test_directory_is_not_a_member() -> None:
    buffer = make_zip([("src/", b""), ("src/a.py", b"x")])
    with pytest.raises(MemberNotFound):
        read_member(buffer, "src/")
    with pytest.raises(MemberNotFound):
        read_member(buffer, "src")


def test_damaged_member_data_raises_unreadable() -> None:
    raw = make_zip([("a.txt", b"hello world")], compression=zipfile.ZIP_STORED).getvalue()
    damaged = io.BytesIO(raw.replace(b"hello world", b"HELLO world"))
    with pytest.raises(UnreadableMember):
        read_member(damaged, "a.txt")
    assert damaged.tell() == 0


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_member_with_unsupported_compression_is_unreadable(method: int) -> None:
    buffer = make_zip([("a.txt", b"hello")], compression=method)
    with pytest.raises(UnreadableMember, match="unsupported compression"):
        read_member(buffer, "a.txt")


def test_encrypted_member_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret.txt", b"x")
        archive.getinfo("secret.txt").flag_bits |= 0x1
    with pytest.raises(UnreadableMember):
        read_member(buffer, "secret.txt")


def test_negative_max_bytes_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        read_member(make_zip([("a", b"x")]), "a", max_bytes=-1)


# --- sha256_of -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 10, 3 * 1024 * 1024 + 7])
def test_sha256_matches_hashlib_and_rewinds(size: int) -> None:
    data = os.urandom(size)
    buffer = io.BytesIO(data)
    buffer.seek(size // 2)
    assert sha256_of(buffer) == hashlib.sha256(data).hexdigest()
    assert buffer.tell() == 0
