"""Course bundles: a course as a folder of Markdown files with YAML front matter.

    <course>/course.md              title, slug, code, term, published, objectives,
                                    prerequisites; the body is the summary
    <course>/NN-<module>/module.md  title, order, published; the body is the summary
    <course>/NN-<module>/NN-<lesson>.md
                                    title, slug, order, estimated_minutes, published,
                                    quiz_required, quiz_pass_mark, quiz_max_tries;
                                    attachments; the body is the
                                    lesson, its ```question and ```exercise blocks
                                    included (practice/syntax.py checks them)
    <course>/NN-<module>/NN-<lesson>.files/<file name>
                                    the lesson's attachments, each listed in its
                                    front matter (title, file, order), the file's
                                    path written from the lesson's folder

docs/course-bundles.md describes the format for authors.

This module only reads and writes files; `lessons.services.course_import` and
`course_export` move the data in and out of the database.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from django.core.exceptions import SuspiciousFileOperation
from django.core.validators import slug_re
from django.utils.text import get_valid_filename, slugify

from accounts.validators import BIDI_CONTROLS
from coursesite.yamlsafe import (
    TOO_DEEP,
    YamlShapeError,
    checked_events,
    is_long_number,
    load,
    mapping_items,
)
from practice import syntax as practice_syntax

from .limits import COURSE_TEXT_MAX_LENGTH, LESSON_BODY_MAX_LENGTH

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
FENCE = "---"
ATTACHMENTS_SUFFIX = ".files"  # "01-http.md" keeps its files in "01-http.files/"

# Limits that keep a hostile or broken bundle from exhausting memory, time or the
# stack before it can be reported: a lesson is text, its front matter a few keys.
MAX_FILE_BYTES = 1024 * 1024
# The objectives and prerequisites at their longest, in characters of four bytes, and the
# rest: an export of what the back office takes must import again (probe 130: 20,000
# Chinese characters each were over the 64 KB it was).
MAX_FRONT_MATTER_BYTES = 2 * 4 * COURSE_TEXT_MAX_LENGTH + 32 * 1024
MAX_NESTING = 20  # front matter values are scalars: nesting is only ever an error
# The largest order or duration every database stores: the fields are
# PositiveIntegerField, whose PostgreSQL column stops at 2**31 - 1.
MAX_WHOLE = 2**31 - 1
MODULE_SLUG_MAX_LENGTH = 100  # lessons.Module.slug


class BundleError(Exception):
    """A bundle that cannot be imported; each message names a file and a line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Document:
    path: Path
    label: str  # the path shown in messages, relative to the bundle's parent
    meta: dict[str, Any]
    lines: dict[str, int]  # front-matter key -> line number in the file (1-based)
    body: str
    body_line: int = 1  # the line of the file the body starts on
    line: int = 1  # where it starts: an attachment's entry starts inside a lesson's file

    def where(self, key: str | None = None) -> str:
        return f"{self.label}:{self.lines.get(key, self.line) if key else self.line}"


@dataclass
class AttachmentData:
    title: str
    file: str  # as written in the front matter: a path from the lesson's folder
    order: int
    path: Path  # that file in the bundle, checked to lie inside it
    where: str  # "file:line" of the entry, for messages


@dataclass
class LessonData:
    doc: Document
    title: str
    slug: str
    order: int
    estimated_minutes: int
    published: bool
    body: str
    quiz_required: bool = False
    quiz_pass_mark: int = 70
    quiz_max_tries: int | None = None  # None: as many tries as the student likes
    practice: practice_syntax.Practice = field(default_factory=practice_syntax.Practice)
    attachments: list[AttachmentData] = field(default_factory=list)


@dataclass
class ModuleData:
    doc: Document
    slug: str
    title: str
    order: int
    published: bool
    summary: str
    lessons: list[LessonData] = field(default_factory=list)


@dataclass
class CourseData:
    doc: Document
    title: str
    slug: str
    code: str
    term: str
    published: bool
    objectives: str
    prerequisites: str
    summary: str
    modules: list[ModuleData] = field(default_factory=list)

    @property
    def lessons(self) -> list[LessonData]:
        return [lesson for module in self.modules for lesson in module.lessons]


# Field schemas: name -> (type, required, default, longest text). The lengths are
# those of the model fields the values are stored in.
COURSE_FIELDS = {
    "title": (str, True, "", 200),
    "slug": ("slug", True, "", 80),
    "code": (str, False, "", 30),
    "term": (str, False, "", 30),
    "published": (bool, False, False, None),
    # As long as the back office takes them (probe 130: longer, imported, the back office
    # then refused to save the course, for text the instructor never typed there).
    "objectives": ("markdown", False, "", COURSE_TEXT_MAX_LENGTH),
    "prerequisites": ("markdown", False, "", COURSE_TEXT_MAX_LENGTH),
}
MODULE_FIELDS = {
    "title": (str, True, "", 200),
    "order": (int, True, 0, None),
    "published": (bool, False, False, None),
}
LESSON_FIELDS = {
    "title": (str, True, "", 200),
    "slug": ("slug", True, "", 100),
    "order": (int, True, 0, None),
    "estimated_minutes": (int, False, 15, None),
    "published": (bool, False, False, None),
    "quiz_required": (bool, False, False, None),
    "quiz_pass_mark": (int, False, 70, None),
    "quiz_max_tries": (int, False, None, None),
    "attachments": (list, False, (), None),
}
ATTACHMENT_FIELDS = {
    "title": (str, True, "", 200),  # lessons.LessonAttachment.title
    "file": (str, True, "", None),
    "order": (int, False, 0, None),
}
MAX_PASS_MARK = 100
# A lesson requiring its quiz with no question in its text could never be completed
# (probe 83: saved without a word).
QUIZ_WITHOUT_QUESTIONS = (
    "A lesson whose quiz is required needs quiz questions: add ```question blocks to its "
    "text, or do not require the quiz."
)
QUIZ_TAKES_LAST_QUESTION = (
    "This lesson requires its quiz: its text must keep at least one ```question block "
    "(the back office can stop requiring the quiz)."
)
MAX_QUIZ_TRIES = 99  # a lesson's limit on answers to each question, when it has one


# Reading ----------------------------------------------------------------------
def read_course(root: Path) -> CourseData:
    """Parse and check the bundle at ROOT; raise BundleError listing every problem."""
    root = Path(root)
    errors: list[str] = []
    if not root.is_dir():
        raise BundleError([f"{root}: not a directory"])
    label_base = root.parent

    def load(path: Path, schema: dict) -> tuple[Document, dict] | None:
        try:
            doc = read_document(path, label=str(path.relative_to(label_base)))
        except BundleError as exc:
            errors.extend(exc.errors)
            return None
        values = check_fields(doc, schema, errors)
        return (doc, values) if values is not None else None

    inside = root.resolve()

    def outside(path: Path) -> bool:
        """Whether PATH is a link out of the bundle (said in ERRORS): the files read are
        the bundle's own, as its attachments (probe 68: lessons and module folders
        linked to other files of the server were imported)."""
        if path.resolve().is_relative_to(inside):
            return False
        errors.append(
            f"{path.relative_to(label_base)}:1: a link to a file or folder outside the "
            "bundle; copy it into the bundle instead"
        )
        return True

    course_path = root / COURSE_FILE
    if not course_path.is_file():
        raise BundleError([f"{root.name}/{COURSE_FILE}:1: missing; every bundle needs one"])
    if outside(course_path):
        raise BundleError(errors)
    loaded = load(course_path, COURSE_FIELDS)
    course = None
    if loaded:
        doc, values = loaded
        course = CourseData(doc=doc, summary=doc.body, **values)
        _check_length(doc, "summary", COURSE_TEXT_MAX_LENGTH, errors)

    modules: list[ModuleData] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if outside(folder):
            continue
        module_path = folder / MODULE_FILE
        lesson_paths = sorted(
            p
            for p in folder.glob("*.md")
            if p.name != MODULE_FILE
            and not p.name.startswith(".")
            and p.is_file()
            and not outside(p)
        )
        if module_path.is_file() and outside(module_path):
            continue
        if not module_path.is_file():
            if lesson_paths:
                errors.append(f"{folder.relative_to(label_base)}/{MODULE_FILE}:1: missing")
            continue
        loaded = load(module_path, MODULE_FIELDS)
        if not loaded:
            continue
        doc, values = loaded
        slug = _folder_slug(folder.name)
        if not slug_re.fullmatch(slug) or len(slug) > MODULE_SLUG_MAX_LENGTH:
            errors.append(
                f"{doc.label}:1: the folder name must be NN-name, the name in letters, digits, "
                f"- and _ and at most {MODULE_SLUG_MAX_LENGTH} long, not {_shown(folder.name)}"
            )
            continue
        module = ModuleData(doc=doc, slug=slug, summary=doc.body, **values)
        _check_length(doc, "summary", COURSE_TEXT_MAX_LENGTH, errors)
        for lesson_path in lesson_paths:
            loaded = load(lesson_path, LESSON_FIELDS)
            if loaded:
                lesson_doc, lesson_values = loaded
                entries = lesson_values.pop("attachments")
                lesson = LessonData(doc=lesson_doc, body=lesson_doc.body, **lesson_values)
                _check_length(lesson_doc, "text", LESSON_BODY_MAX_LENGTH, errors)
                lesson.attachments = read_attachments(lesson_doc, entries, root, errors)
                if lesson.quiz_pass_mark > MAX_PASS_MARK:
                    errors.append(
                        f"{lesson_doc.where('quiz_pass_mark')}: quiz_pass_mark is a percentage, "
                        f"at most {MAX_PASS_MARK}, not {lesson.quiz_pass_mark}"
                    )
                tries = lesson.quiz_max_tries
                if tries is not None and not 1 <= tries <= MAX_QUIZ_TRIES:
                    errors.append(
                        f"{lesson_doc.where('quiz_max_tries')}: quiz_max_tries is the number "
                        f"of answers to each question, 1 to {MAX_QUIZ_TRIES} (leave it out "
                        f"for no limit), not {tries}"
                    )
                lesson.practice = practice_syntax.parse(lesson.body)
                for problem in lesson.practice.problems:
                    line = lesson_doc.body_line + problem.line - 1
                    errors.append(f"{lesson_doc.label}:{line}: {problem.message}")
                if lesson.quiz_required and not lesson.practice.questions:
                    errors.append(f"{lesson_doc.where('quiz_required')}: {QUIZ_WITHOUT_QUESTIONS}")
                module.lessons.append(lesson)
        modules.append(module)

    _check_unique(modules, "order", errors, what="module order")
    _check_unique(modules, "slug", errors, what="module folder name")
    for module in modules:
        _check_unique(module.lessons, "order", errors, what="lesson order in this module")
    _check_unique([lesson for m in modules for lesson in m.lessons], "slug", errors, "lesson slug")
    if errors or course is None:
        raise BundleError(errors)
    course.modules = sorted(modules, key=lambda m: m.order)
    for module in course.modules:
        module.lessons.sort(key=lambda lesson: lesson.order)
    return course


def read_document(path: Path, *, label: str | None = None) -> Document:
    """Split PATH into YAML front matter and a Markdown body."""
    label = label or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BundleError([f"{label}:1: cannot be read ({exc.strerror or exc})"]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise BundleError([f"{label}:1: larger than {MAX_FILE_BYTES // 1024} KB; split it"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BundleError([f"{label}:{line}: not UTF-8 text ({exc.reason})"]) from exc
    lines = text.replace("\r\n", "\n").split("\n")
    if "\x00" in text:
        line = next(n for n, content in enumerate(lines, start=1) if "\x00" in content)
        raise BundleError([f"{label}:{line}: contains a NUL character; is it really text?"])
    if not lines or lines[0].rstrip() != FENCE:
        raise BundleError([f"{label}:1: must start with a '---' line opening the front matter"])
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == FENCE)
    except StopIteration:
        raise BundleError(
            [f"{label}:1: the front matter opened here is never closed by a '---' line"]
        ) from None
    front = "\n".join(lines[1:end]) + "\n"
    if len(front.encode()) > MAX_FRONT_MATTER_BYTES:
        raise BundleError(
            [f"{label}:2: the front matter is longer than {MAX_FRONT_MATTER_BYTES // 1024} KB"]
        )
    meta, node = _load_front_matter(front, label)
    if meta is None:
        meta, node = {}, None
    if not isinstance(meta, dict):
        raise BundleError([f"{label}:2: front matter must be 'key: value' lines"])
    key_lines = _key_lines(node)
    rest = "\n".join(lines[end + 1 :])
    # The file's own final newline is no part of the body; any before it are, so that
    # a body ending in a newline comes back from an export as it was (probe 49).
    body = rest.lstrip("\n").removesuffix("\n")
    # Lines are counted from 1: the closing fence is line end + 1, the body follows it
    # after the blank lines that lstrip() removed.
    body_line = end + 2 + (len(rest) - len(rest.lstrip("\n")))
    return Document(
        path=path, label=label, meta=meta, lines=key_lines, body=body, body_line=body_line
    )


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Return each key's line in the file, lists' entries included ("attachments.0.file").

    The node's marks count from 0 within the front matter, which starts on line 2.
    """
    lines: dict[str, int] = {}
    for key, key_node, value_node in mapping_items(node):
        name = f"{prefix}{key}"
        lines[name] = key_node.start_mark.line + 2
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                lines[f"{name}.{index}"] = item.start_mark.line + 2
                lines.update(_key_lines(item, f"{name}.{index}."))
    return lines


def _load_front_matter(front: str, label: str) -> tuple[Any, yaml.Node | None]:
    """Return the front matter's value and node, or raise BundleError with the line.

    Nesting deep enough to exhaust the stack, and anchors and aliases (with which a
    few lines expand to billions of items, "billion laughs"), are refused before
    PyYAML builds anything; a front matter only ever needs plain key: value lines.
    """
    # The mark counts from 0 within the front matter, which starts on line 2.
    depth = 0
    for number, line in enumerate(front.split("\n"), start=2):
        depth = max(
            0, depth + line.count("[") + line.count("{") - line.count("]") - line.count("}")
        )
        if depth > MAX_NESTING:
            raise BundleError([f"{label}:{number}: {TOO_DEEP}"])
    try:
        for event in checked_events(front, max_nesting=MAX_NESTING):
            if is_long_number(event):
                line = event.start_mark.line + 2
                raise BundleError(
                    [f"{label}:{line}: a number of {len(event.value)} digits is too large"]
                )
        meta, node = load(front)  # a key given twice: YamlShapeError
    except YamlShapeError as exc:
        raise BundleError([f"{label}:{exc.line + 2}: {exc.problem}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise BundleError([f"{label}:{line}: invalid front matter: {problem}"]) from None
    except (ValueError, RecursionError) as exc:  # what PyYAML lets through: be safe
        raise BundleError([f"{label}:2: the front matter cannot be read ({exc})"[:300]]) from None
    return meta, node


def _shown(value: Any, limit: int = 60) -> str:
    """Return VALUE for a message: its repr, cut short."""
    if isinstance(value, (dict, list)):
        return "a list" if isinstance(value, list) else "a mapping"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_length(doc: Document, what: str, longest: int, errors: list[str]) -> None:
    """Refuse DOC's text (after its front matter) longer than the back office takes."""
    if len(doc.body) > longest:
        errors.append(
            f"{doc.label}:{doc.body_line}: the {what} is {len(doc.body):,} characters long, "
            f"longer than the {longest:,} the back office takes: shorten it or split it"
        )


# Line breaks of other systems, stored as the "\n" a bundle's file holds.
_OTHER_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")


def storable_text(text: str) -> str:
    """TEXT (a summary, objectives, a lesson) as stored: line breaks as "\n", without the
    control characters a bundle's file may not hold, so that what the back office saves
    exports and imports again (probes 68, 131: CRLF, then U+2028, NEL and ESC pasted in
    were saved and their export refused)."""
    text = _OTHER_LINE_BREAKS.sub("\n", text)
    if bad_character(text, one_line=False) is None:
        return text
    return "".join(char for char in text if bad_character(char, one_line=False) is None)


def bad_character(value: str, *, one_line: bool) -> str | None:
    """Return a character VALUE may not hold: control codes; in one-liners (titles) line
    breaks and the direction overrides that make the text read as something else."""
    for char in value:
        # A form feed or vertical tab (text pasted from a PDF) is white space to
        # Markdown, and the back office keeps it: its export must import (probe 130).
        if char in "\t\n\f\v" and not one_line:
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return char
        if one_line and char in BIDI_CONTROLS:
            return char
    return None


def check_fields(
    doc: Document, schema: dict, errors: list[str], *, owner: str = "the front matter"
) -> dict | None:
    """Return DOC's front matter checked against SCHEMA, or None after adding errors."""
    values: dict[str, Any] = {}
    start = len(errors)
    for key in doc.meta:
        if key not in schema:
            allowed = ", ".join(schema)
            shown = "~" if key is None else _shown(key)  # YAML's null, as written
            # Lines are keyed by str(key): a None or number key has a line too.
            errors.append(f"{doc.where(str(key))}: unknown key {shown} (allowed: {allowed})")
    for key, (kind, required, default, max_length) in schema.items():
        value = doc.meta.get(key)
        where = doc.where(key)
        if value is None or (isinstance(value, str) and not value.strip() and required):
            if required:
                errors.append(f"{doc.where()}: {owner} has no {key!r}")
            values[key] = default
            continue
        if kind is bool:
            if not isinstance(value, bool):
                errors.append(f"{where}: {key} must be true or false, not {_shown(value)}")
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors.append(f"{where}: {key} must be a whole number, not {_shown(value)}")
            elif value > MAX_WHOLE:
                errors.append(f"{where}: {key} must be at most {MAX_WHOLE}, not {_shown(value)}")
        elif kind is list:
            if not isinstance(value, list):
                errors.append(f"{where}: {key} must be a list of '- ' entries")
        elif kind == "slug":
            if not isinstance(value, str) or not slug_re.match(value):
                errors.append(
                    f"{where}: {key} must use only letters, digits, - and _, not {_shown(value)}"
                )
        elif isinstance(value, (dict, list)):
            errors.append(f"{where}: {key} must be text, not a list or mapping")
        else:
            # A bundle written before courses stored plain line ends (probe 68) reads.
            value = str(value).replace("\r\n", "\n")
            char = bad_character(value, one_line=kind is str)
            if char is not None:
                errors.append(
                    f"{where}: {key} contains an invisible control character "
                    f"(U+{ord(char):04X}); remove it"
                )
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            errors.append(f"{where}: {key} is longer than {max_length} characters")
        values[key] = value
    return values if len(errors) == start else None


def read_attachments(
    doc: Document, entries: list, root: Path, errors: list[str]
) -> list[AttachmentData]:
    """Return the attachments listed in lesson DOC's front matter, each file checked."""
    attachments: list[AttachmentData] = []
    names: dict[str, int] = {}  # a stored name, in lower case -> the line naming it
    for index, entry in enumerate(entries):
        prefix = f"attachments.{index}"
        if not isinstance(entry, dict):
            errors.append(f"{doc.where(prefix)}: an attachment is 'title:' and 'file:' lines")
            continue
        start = doc.lines.get(prefix, 1)
        lines = {str(key): doc.lines.get(f"{prefix}.{key}", start) for key in entry}
        item = Document(
            path=doc.path, label=doc.label, meta=entry, lines=lines, body="", line=start
        )
        values = check_fields(item, ATTACHMENT_FIELDS, errors, owner="this attachment")
        if values is None:
            continue
        where = item.where("file")
        path = _attachment_file(doc.path.parent, values["file"], root, where, errors)
        if path is None:
            continue
        # Stored files are told apart by name within their lesson: two of one name
        # would come back as one.
        name = stored_name(path.name)
        if name.lower() in names:
            errors.append(
                f"{where}: another attachment of this lesson has the file name {name!r} "
                f"(line {names[name.lower()]}); rename one"
            )
            continue
        names[name.lower()] = item.lines.get("file", start)
        attachments.append(AttachmentData(path=path, where=where, **values))
    return attachments


def _attachment_file(
    folder: Path, file: str, root: Path, where: str, errors: list[str]
) -> Path | None:
    """Return FILE (a path from the lesson's FOLDER) if it is a file inside the bundle ROOT."""
    relative = PurePosixPath(file)
    shown = _shown(file)
    if relative.is_absolute() or not relative.parts:
        errors.append(f"{where}: the file {shown} must be a path from the lesson's folder")
        return None
    if "\\" in file:
        errors.append(f"{where}: write the file {shown} with / between folders, not \\")
        return None
    if ".." in relative.parts:
        errors.append(f"{where}: the file {shown} may not use '..': keep it in the bundle")
        return None
    path = folder.joinpath(*relative.parts)
    # resolve() follows symbolic links: one pointing out of the bundle is refused.
    if not path.resolve().is_relative_to(root.resolve()):
        errors.append(f"{where}: the file {shown} is a link to a file outside the bundle")
        return None
    if not path.is_file():
        errors.append(f"{where}: the file {shown} is not in the bundle")
        return None
    return path


def stored_name(name: str) -> str:
    """Return the name a file called NAME gets in the storage (as an upload does)."""
    try:
        return get_valid_filename(name)
    except SuspiciousFileOperation:  # ".", "..", or nothing left
        return "file"


def _check_unique(items: list, attr: str, errors: list[str], what: str) -> None:
    seen: dict[Any, Document] = {}
    for item in items:
        value = getattr(item, attr)
        if value in seen:
            errors.append(
                f"{item.doc.where(attr)}: duplicate {what} {value!r} "
                f"(already used by {seen[value].label})"
            )
        else:
            seen[value] = item.doc


def _folder_slug(name: str) -> str:
    match = re.match(r"^\d+[-_](.+)$", name)
    return match.group(1) if match else name


# Writing ----------------------------------------------------------------------
def module_folder(order: int, slug: str) -> str:
    return f"{order:02d}-{_safe_name(slug)}"


def lesson_filename(order: int, slug: str) -> str:
    return f"{order:02d}-{_safe_name(slug)}.md"


def attachments_folder(lesson_file: str) -> str:
    """Return the folder, beside LESSON_FILE, that holds the lesson's attachments."""
    return PurePosixPath(lesson_file).stem + ATTACHMENTS_SUFFIX


def attachment_filename(name: str, taken: set[str]) -> str:
    """Return a file name for the stored file NAME that no name in TAKEN has; add it.

    Only the last part of NAME counts, made safe as an upload's would be, so that the
    import stores it under the same name and finds it again. Names are compared without
    case: two files differing only in capitals would be one on some file systems.
    """
    candidate = stored_name(PurePosixPath(name).name).lstrip(".") or "file"
    stem, suffix = PurePosixPath(candidate).stem, PurePosixPath(candidate).suffix
    number = 2
    while candidate.lower() in taken:
        candidate = f"{stem}-{number}{suffix}"
        number += 1
    taken.add(candidate.lower())
    return candidate


def _safe_name(slug: str) -> str:
    # Slugs saved outside the admin's checks must not make a path ("../x").
    return slug if slug_re.fullmatch(slug) else slugify(slug) or "untitled"


def write_document(path: Path, meta: dict[str, Any], body: str) -> None:
    front = "".join(
        _yaml_list(key, value) if isinstance(value, list) else _yaml_item(key, value)
        for key, value in meta.items()
    )
    text = f"{FENCE}\n{front}{FENCE}\n"
    if body:
        text += body + "\n"  # the file's final newline, which reading removes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _yaml_list(key: str, items: list[dict[str, Any]]) -> str:
    """Return 'key:' and ITEMS as '- ' entries of 'name: value' lines, one line each."""
    text = f"{key}:\n" + "".join(
        "  - " + "    ".join(_yaml_item(name, value, one_line=True) for name, value in item.items())
        for item in items
    )
    try:
        if yaml.safe_load(text) == {key: items}:
            return text
    except (yaml.YAMLError, ValueError):
        pass
    # Each value read back alone but not within the list: quote every text.
    return f"{key}:\n" + "".join(
        "  - "
        + "    ".join(
            f"{name}: {json.dumps(value, ensure_ascii=False)}\n" for name, value in item.items()
        )
        for item in items
    )


def _yaml_item(key: str, value: Any, *, one_line: bool = False) -> str:
    """Return 'key: value' as a person would write it, checked to read back identically.

    ONE_LINE: never a block of lines (inside a list entry, whose indent a block lacks).
    """
    if isinstance(value, bool):
        return f"{key}: {'true' if value else 'false'}\n"
    if isinstance(value, int):
        return f"{key}: {value}\n"
    value = str(value)
    candidates = []
    if "\n" in value and not one_line:
        chomp = "" if value.endswith("\n") and not value.endswith("\n\n") else "-"
        if value.endswith("\n\n"):
            chomp = "+"
        content = value[:-1] if value.endswith("\n") else value
        block = "\n".join(f"  {line}" if line else "" for line in content.split("\n"))
        candidates.append(f"{key}: |{chomp}\n{block}\n")
    elif value and not any(mark in value for mark in (": ", "? ", " #")):
        # Plain when it reads back the same; quoted when a reader could stumble.
        candidates.append(f"{key}: {value}\n")
    candidates.append(f"{key}: {json.dumps(value, ensure_ascii=False)}\n")
    for candidate in candidates:
        try:
            if yaml.safe_load(candidate) == {key: value}:
                return candidate
        # ValueError: PyYAML reads "0b_" or "0x_" (a valid slug) as a number it then
        # cannot convert; the quoted form reads back as the text.
        except (yaml.YAMLError, ValueError):
            continue
    return candidates[-1]
