"""Course bundles: a course as a folder of Markdown files with YAML front matter.

    <course>/course.md              title, slug, code, term, published, objectives,
                                    prerequisites; the body is the summary
    <course>/NN-<module>/module.md  title, order, published; the body is the summary
    <course>/NN-<module>/NN-<lesson>.md
                                    title, slug, order, estimated_minutes, published;
                                    the body is the lesson

This module only reads and writes files; `lessons.services.course_import` and
`course_export` move the data in and out of the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.validators import slug_re

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
FENCE = "---"


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

    def where(self, key: str | None = None) -> str:
        return f"{self.label}:{self.lines.get(key, 1) if key else 1}"


@dataclass
class LessonData:
    doc: Document
    title: str
    slug: str
    order: int
    estimated_minutes: int
    published: bool
    body: str


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


# Field schemas: name -> (type, required, default)
COURSE_FIELDS = {
    "title": (str, True, ""),
    "slug": ("slug", True, ""),
    "code": (str, False, ""),
    "term": (str, False, ""),
    "published": (bool, False, False),
    "objectives": (str, False, ""),
    "prerequisites": (str, False, ""),
}
MODULE_FIELDS = {
    "title": (str, True, ""),
    "order": (int, True, 0),
    "published": (bool, False, False),
}
LESSON_FIELDS = {
    "title": (str, True, ""),
    "slug": ("slug", True, ""),
    "order": (int, True, 0),
    "estimated_minutes": (int, False, 15),
    "published": (bool, False, False),
}


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

    course_path = root / COURSE_FILE
    if not course_path.is_file():
        raise BundleError([f"{root.name}/{COURSE_FILE}:1: missing; every bundle needs one"])
    loaded = load(course_path, COURSE_FIELDS)
    course = None
    if loaded:
        doc, values = loaded
        course = CourseData(doc=doc, summary=doc.body, **values)

    modules: list[ModuleData] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        module_path = folder / MODULE_FILE
        lesson_paths = sorted(
            p for p in folder.glob("*.md") if p.name != MODULE_FILE and not p.name.startswith(".")
        )
        if not module_path.is_file():
            if lesson_paths:
                errors.append(f"{folder.relative_to(label_base)}/{MODULE_FILE}:1: missing")
            continue
        loaded = load(module_path, MODULE_FIELDS)
        if not loaded:
            continue
        doc, values = loaded
        module = ModuleData(doc=doc, slug=_folder_slug(folder.name), summary=doc.body, **values)
        for lesson_path in lesson_paths:
            loaded = load(lesson_path, LESSON_FIELDS)
            if loaded:
                lesson_doc, lesson_values = loaded
                module.lessons.append(
                    LessonData(doc=lesson_doc, body=lesson_doc.body, **lesson_values)
                )
        modules.append(module)

    _check_unique(modules, "order", errors, what="module order")
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
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError([f"{label}:1: not UTF-8 text ({exc.reason})"]) from exc
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise BundleError([f"{label}:1: must start with a '---' line opening the front matter"])
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == FENCE)
    except StopIteration:
        raise BundleError(
            [f"{label}:1: the front matter opened here is never closed by a '---' line"]
        ) from None
    front = "\n".join(lines[1:end]) + "\n"
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        # The mark counts from 0 within the front matter, which starts on line 2.
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise BundleError([f"{label}:{line}: invalid front matter: {problem}"]) from None
    if meta is None:
        meta, node = {}, None
    if not isinstance(meta, dict):
        raise BundleError([f"{label}:2: front matter must be 'key: value' lines"])
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return Document(path=path, label=label, meta=meta, lines=key_lines, body=body)


def check_fields(doc: Document, schema: dict, errors: list[str]) -> dict | None:
    """Return DOC's front matter checked against SCHEMA, or None after adding errors."""
    values: dict[str, Any] = {}
    start = len(errors)
    for key in doc.meta:
        if key not in schema:
            allowed = ", ".join(schema)
            errors.append(f"{doc.where(key)}: unknown key {key!r} (allowed: {allowed})")
    for key, (kind, required, default) in schema.items():
        value = doc.meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and required):
            if required:
                errors.append(f"{doc.where()}: the front matter has no {key!r}")
            values[key] = default
            continue
        if kind is bool:
            if not isinstance(value, bool):
                errors.append(f"{doc.where(key)}: {key} must be true or false, not {value!r}")
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors.append(f"{doc.where(key)}: {key} must be a whole number, not {value!r}")
        elif kind == "slug":
            if not isinstance(value, str) or not slug_re.match(value):
                errors.append(
                    f"{doc.where(key)}: {key} must use only letters, digits, - and _, not {value!r}"
                )
        elif isinstance(value, (dict, list)):
            errors.append(f"{doc.where(key)}: {key} must be text, not a list or mapping")
        else:
            value = str(value)
        values[key] = value
    if "slug" in values and len(str(values["slug"])) > 80:
        errors.append(f"{doc.where('slug')}: slug is longer than 80 characters")
    if "title" in values and len(str(values["title"])) > 200:
        errors.append(f"{doc.where('title')}: title is longer than 200 characters")
    return values if len(errors) == start else None


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
    return f"{order:02d}-{slug}"


def lesson_filename(order: int, slug: str) -> str:
    return f"{order:02d}-{slug}.md"


def write_document(path: Path, meta: dict[str, Any], body: str) -> None:
    front = "".join(_yaml_item(key, value) for key, value in meta.items())
    text = f"{FENCE}\n{front}{FENCE}\n"
    if body:
        text += body.rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _yaml_item(key: str, value: Any) -> str:
    """Return 'key: value' as a person would write it, checked to read back identically."""
    if isinstance(value, bool):
        return f"{key}: {'true' if value else 'false'}\n"
    if isinstance(value, int):
        return f"{key}: {value}\n"
    value = str(value)
    candidates = []
    if "\n" in value:
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
        except yaml.YAMLError:
            continue
    return candidates[-1]
