"""The quiz and exercise syntax of lesson Markdown: fenced blocks of YAML.

A lesson's Markdown holds its questions and exercises as fenced blocks whose info
string is ``question`` or ``exercise``, each holding YAML (the keys are those of
``KIND_KEYS`` and ``EXERCISE_KEYS`` below; a block whose text holds a fenced code
block opens with four backticks, ````exercise). This module finds those blocks,
checks them and returns what they describe, each problem with the line of the
lesson it is on; it knows nothing of the database, so the bundle reader and the
admin form share it.

The lesson's Markdown keeps the blocks (it is the source the admin edits and the
export writes back); ``strip_blocks`` gives the Markdown the page renders around
them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.validators import slug_re

from accounts.validators import BIDI_CONTROLS
from coursesite.yamlsafe import (
    MAX_NUMBER_DIGITS,
    YamlShapeError,
    checked_events,
    is_long_number,
    load,
    mapping_items,
)

QUESTION, EXERCISE = "question", "exercise"
KINDS = ("single", "multiple", "number", "text", "output")
CHOICE_KINDS = ("single", "multiple")
MIN_CHOICES, MAX_CHOICES = 2, 10
SLUG_MAX_LENGTH = 100
TITLE_MAX_LENGTH = 200
MAX_BLOCK_BYTES = 64 * 1024
MAX_NESTING = 10
MAX_ANSWERS = 50

COMMON_KEYS = ("id", "kind", "prompt", "explanation")
KIND_KEYS = {
    "single": ("choices",),
    "multiple": ("choices",),
    "number": ("answer", "tolerance"),
    "text": ("answers",),
    "output": ("code", "output"),
}
EXERCISE_KEYS = ("id", "title", "task", "starter", "expected", "solution")
CHOICE_KEYS = ("text", "correct", "feedback")
# The keys whose value is text, read as the author typed it: YAML 1.1 reads a plain
# Yes as true, 3.10 as 3.1 and ~ as nothing, so a choice "Yes" showed as "true". The
# others (correct, answer, tolerance) keep YAML's types; "correct: yes" is true.
TEXT_KEYS = {
    QUESTION: ("id", "kind", "prompt", "explanation", "code", "output"),
    EXERCISE: ("id", "title", "task", "starter", "expected", "solution"),
}
CHOICE_TEXT_KEYS = ("text", "feedback")

# What the back office shows authors (lessons/admin.py): one choice question and one
# exercise, as this module reads them (practice/tests checks that it parses).
EXAMPLE = """```question
id: http-stateless
kind: single
prompt: Does HTTP remember the previous request?
choices:
  - text: "Yes"
    feedback: Not by itself; cookies and sessions do.
  - text: "No"
    correct: true
explanation: Each request stands alone.
```

````exercise
id: greet
title: Greet by name
task: Write `greet(name)`, which returns `Hello, NAME!`.
starter: |
  def greet(name):
      ...
expected: greet("Ada") returns "Hello, Ada!"
solution: |
  ```python
  def greet(name):
      return f"Hello, {name}!"
  ```
````
"""

# A fence inside a block's YAML text (a solution's code), at any indentation.
_INNER_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# An opening fence: up to three spaces, three or more backticks or tildes, an info string.
_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")


@dataclass
class ChoiceSpec:
    text: str
    correct: bool
    feedback: str


@dataclass
class QuestionSpec:
    line: int  # of the opening fence, in the lesson's Markdown (1-based)
    slug: str
    kind: str
    prompt: str
    explanation: str = ""
    choices: list[ChoiceSpec] = field(default_factory=list)
    answer: float | None = None
    tolerance: float = 0.0
    answers: list[str] = field(default_factory=list)
    code: str = ""
    output: str = ""


@dataclass
class ExerciseSpec:
    line: int
    slug: str
    title: str
    task: str
    starter: str
    expected: str
    solution: str


@dataclass
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Practice:
    """What a lesson's Markdown asks: its questions and exercises, in order."""

    questions: list[QuestionSpec] = field(default_factory=list)
    exercises: list[ExerciseSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Block:
    kind: str  # QUESTION or EXERCISE
    line: int  # the opening fence
    source: str


def _lines_of(markdown: str) -> list[str]:
    """Split MARKDOWN into lines, whatever ends them: a browser sends a text box's lines
    ended by CRLF, and a closing fence read as "```\r" closed nothing, so the first
    code block swallowed every question after it (the lesson's save then deleted them,
    and the page showed their answers as code)."""
    return markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _scan(markdown: str) -> tuple[list[_Block], list[tuple[int, int]], list[Problem]]:
    """Return the practice blocks of MARKDOWN, their (start, end) line index spans and
    the fences left open. Ordinary code blocks are skipped whole, so a ```question
    line inside a ```python example is example text, not a question."""
    lines = _lines_of(markdown)
    blocks, spans, problems = [], [], []
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        fence = match["fence"]
        info = match["info"].strip().split()
        name = info[0].lower() if info else ""
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((j for j in range(index + 1, len(lines)) if close.match(lines[j])), None)
        if name in (QUESTION, EXERCISE):
            if end is None:
                problems.append(
                    Problem(index + 1, f"the {name} block opened here is never closed by {fence}")
                )
                end = len(lines) - 1
            else:
                source = "\n".join(lines[index + 1 : end]) + "\n"
                blocks.append(_Block(name, index + 1, source))
            spans.append((index, end))
        index = (end if end is not None else len(lines)) + 1
    return blocks, spans, problems


def strip_blocks(markdown: str) -> str:
    """Return MARKDOWN without its question and exercise blocks (the page shows those
    as forms), each replaced by a blank line so the paragraphs around stay apart."""
    if "question" not in markdown and "exercise" not in markdown:
        return markdown  # the common case, without splitting the text
    _, spans, _ = _scan(markdown)
    if not spans:
        return markdown
    lines = _lines_of(markdown)
    kept, start = [], 0
    for first, last in spans:
        kept.extend(lines[start:first])
        kept.append(_REMOVED)
        start = last + 1
    kept.extend(lines[start:])
    return "\n".join(_without_emptied_headings(kept))


_REMOVED = "\x00"  # where a block was, until the headings are looked at
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_ANY_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _without_emptied_headings(lines: list[str]) -> list[str]:
    """Drop the headings left over a section that held only blocks ("## Check your
    understanding" above the quiz): the page shows the quiz under a heading of its own,
    and the lesson had it twice, on the page and in its table of contents. A heading
    over anything else stays, empty or not."""
    headings, fence = [], None
    for index, line in enumerate(lines):
        opening = _ANY_FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
        elif found := _HEADING.match(line):
            headings.append((index, len(found.group(1))))
    dropped: set[int] = set()
    # From the last: a section whose sub-sections all went goes too.
    for number in range(len(headings) - 1, -1, -1):
        index, level = headings[number]
        end = next((i for i, lv in headings[number + 1 :] if lv <= level), len(lines))
        body = [
            line
            for i, line in enumerate(lines[index + 1 : end], start=index + 1)
            if i not in dropped and line.strip()
        ]
        if body and all(line == _REMOVED for line in body):
            dropped.add(index)
    return ["" if line == _REMOVED else line for i, line in enumerate(lines) if i not in dropped]


def parse(markdown: str) -> Practice:
    """Return the questions and exercises of MARKDOWN with every problem found."""
    result = Practice()
    blocks, _, result.problems = _scan(markdown or "")
    seen: dict[tuple[str, str], int] = {}
    for block in blocks:
        problems: list[Problem] = []
        inner = [
            number
            for number, line in enumerate(block.source.split("\n"), start=block.line + 1)
            if _INNER_FENCE.match(line)
        ]
        if len(inner) % 2:
            # Its own ``` closed the block early: the rest would be read as the lesson.
            problems.append(
                Problem(
                    inner[-1],
                    f"a code block starts here, and its closing fence ends the {block.kind} "
                    f"block early; open the block with four backticks (````{block.kind}) "
                    "and close it with four",
                )
            )
            result.problems.extend(problems)
            continue
        data, key_lines = _load(block, problems)
        spec = None
        if data is not None:
            check = _question if block.kind == QUESTION else _exercise
            spec = check(data, block.line, key_lines, problems)
        if spec is not None and not problems:
            where = (block.kind, spec.slug)
            if where in seen:
                problems.append(
                    Problem(
                        key_lines.get("id", block.line),
                        f"duplicate {block.kind} id {spec.slug!r} "
                        f"(already used on line {seen[where]})",
                    )
                )
            else:
                seen[where] = block.line
                target = result.questions if block.kind == QUESTION else result.exercises
                target.append(spec)
        result.problems.extend(problems)
    result.problems.sort(key=lambda problem: problem.line)
    return result


# Reading one block's YAML ----------------------------------------------------------
def _load(block: _Block, problems: list[Problem]) -> tuple[dict | None, dict[str, int]]:
    """Return the block's mapping and {key: line}, or None after adding a problem.

    Anchors and aliases (a few lines that expand to billions of items), deep nesting
    and numbers too long for Python are refused before PyYAML builds anything; a key
    given twice (PyYAML would keep the last) while it builds.
    """
    first = block.line + 1  # the block's first YAML line, in the lesson
    if len(block.source.encode()) > MAX_BLOCK_BYTES:
        problems.append(
            Problem(block.line, f"the {block.kind} is longer than {MAX_BLOCK_BYTES // 1024} KB")
        )
        return None, {}
    try:
        for event in checked_events(block.source, max_nesting=MAX_NESTING):
            if is_long_number(event):
                problems.append(
                    Problem(
                        first + event.start_mark.line,
                        f"the number is too long: {len(event.value):,} digits "
                        f"(at most {MAX_NUMBER_DIGITS:,})",
                    )
                )
                return None, {}
        data, node = load(block.source)
    except YamlShapeError as exc:
        problems.append(Problem(first + exc.line, exc.problem))
        return None, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first + mark.line if mark is not None else block.line
        problem = getattr(exc, "problem", None) or str(exc)
        said = f"invalid YAML in the {block.kind}: {problem}"
        problems.append(
            Problem(line, f"{said} ({hint})" if (hint := _yaml_hint(problem)) else said)
        )
        return None, {}
    except (ValueError, RecursionError) as exc:  # what PyYAML lets through: be safe
        problems.append(Problem(block.line, f"the {block.kind} cannot be read ({exc})"[:300]))
        return None, {}
    if not isinstance(data, dict):
        problems.append(
            Problem(block.line, f"a {block.kind} must be 'key: value' lines (id, kind, ...)")
        )
        return None, {}
    # Keyed as the checks look keys up: str() of the loaded key ("~" is None).
    key_lines: dict[str, int] = {}
    for key, key_node, value_node in mapping_items(node):
        key_lines[str(key)] = first + key_node.start_mark.line
        if key == "choices" and isinstance(value_node, yaml.SequenceNode):
            for number, item in enumerate(value_node.value):
                key_lines[f"choices.{number}"] = first + item.start_mark.line
    _texts_as_typed(data, node, TEXT_KEYS[block.kind])
    if block.kind == QUESTION:
        _answers_and_choices_as_typed(data, node)
    return data, key_lines


def _as_typed(value: Any, node: yaml.Node) -> Any:
    """VALUE as its source text if NODE is a scalar ("Yes", not True), else VALUE."""
    return node.value if isinstance(node, yaml.ScalarNode) else value


def _texts_as_typed(data: dict, node: yaml.Node | None, keys: tuple[str, ...]) -> None:
    for key, _, value_node in mapping_items(node):
        if isinstance(key, str) and key in keys:
            data[key] = _as_typed(data[key], value_node)


def _answers_and_choices_as_typed(data: dict, node: yaml.Node | None) -> None:
    for key, _, value_node in mapping_items(node):
        if key not in ("answers", "choices"):
            continue
        value = data[key]
        if isinstance(value_node, yaml.SequenceNode):  # loaded as a list as long
            items = zip(value, value_node.value, strict=True)
            if key == "answers":
                data[key] = [_as_typed(item, item_node) for item, item_node in items]
            else:
                for item, item_node in items:
                    if isinstance(item, dict):
                        _texts_as_typed(item, item_node, CHOICE_TEXT_KEYS)
        elif key == "answers":
            data[key] = _as_typed(value, value_node)


def _shown(value: Any, limit: int = 60) -> str:
    if isinstance(value, (dict, list)):
        return "a list" if isinstance(value, list) else "a mapping"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bad_character(value: str) -> str | None:
    for char in value:
        if char in "\t\n":
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def _direction_override(value: str) -> str | None:
    return next((char for char in value if char in BIDI_CONTROLS), None)


class _Checker:
    """Read the fields of one block, adding a problem (at the key's line) per bad one."""

    def __init__(self, data: dict, line: int, key_lines: dict[str, int], problems: list) -> None:
        self.data, self.line, self.key_lines, self.problems = data, line, key_lines, problems

    def where(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.where(key), message))

    def allowed(self, keys: tuple[str, ...], what: str) -> None:
        for key in self.data:
            if key not in keys:
                shown = "~" if key is None else _shown(key)  # YAML's null, as written
                self.fail(str(key), f"unknown key {shown} for {what} (allowed: {', '.join(keys)})")

    def text(self, key: str, *, required: bool, max_length: int | None = None) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(Problem(self.line, f"{key!r} is missing"))
            return ""
        if isinstance(value, (dict, list)):
            self.fail(key, f"{key} must be text, not {_shown(value)}")
            return ""
        value = value if isinstance(value, str) else str(value)
        char = _bad_character(value)
        if char is not None:
            self.fail(key, f"{key} contains an invisible control character (U+{ord(char):04X})")
        elif max_length is not None and (char := _direction_override(value)):
            # As a lesson's own title (lessons.models.validate_one_line).
            self.fail(
                key,
                f"{key} contains an invisible text-direction character (U+{ord(char):04X}) "
                "that changes how it reads on the page: retype it",
            )
        if max_length is not None and ("\n" in value.strip() or len(value) > max_length):
            self.fail(key, f"{key} must be one line of at most {max_length} characters")
        return value

    def slug(self) -> str:
        value = self.data.get("id")
        if value is None:
            self.problems.append(Problem(self.line, "'id' is missing (a short name, unique here)"))
            return ""
        if (
            not isinstance(value, str)
            or not slug_re.fullmatch(value)
            or len(value) > SLUG_MAX_LENGTH
        ):
            self.fail(
                "id",
                f"id must use only letters, digits, - and _ (at most {SLUG_MAX_LENGTH}), "
                f"not {_shown(value)}",
            )
            return ""
        return value

    def number(self, key: str, *, required: bool) -> float | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(Problem(self.line, f"{key!r} is missing (a number)"))
            return None
        if isinstance(value, str):
            # YAML 1.1 reads 1e3 (no dot) as text; a number field takes it as typed.
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"{key} must be a number, not {_shown(value)}")
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or abs(number) > 1e15:
            self.fail(key, f"{key} must be a number between -10^15 and 10^15")
            return None
        return number


def _question(data: dict, line: int, key_lines: dict, problems: list) -> QuestionSpec | None:
    check = _Checker(data, line, key_lines, problems)
    kind = data.get("kind")
    if kind not in KINDS:
        check.fail(
            "kind",
            f"kind must be one of {', '.join(KINDS)}, not {_shown(kind)}"
            if kind is not None
            else "'kind' is missing (single, multiple, number, text or output)",
        )
        # Each key once: choices is a key of two kinds.
        every = dict.fromkeys(COMMON_KEYS + tuple(k for keys in KIND_KEYS.values() for k in keys))
        check.allowed(tuple(every), "a question")
        return None
    check.allowed(COMMON_KEYS + KIND_KEYS[kind], f"a {kind} question")
    spec = QuestionSpec(
        line=line,
        slug=check.slug(),
        kind=kind,
        prompt=check.text("prompt", required=True),
        explanation=check.text("explanation", required=False),
    )
    if kind in CHOICE_KINDS:
        spec.choices = _choices(check, kind)
    elif kind == "number":
        spec.answer = check.number("answer", required=True)
        tolerance = check.number("tolerance", required=False)
        if tolerance is not None and tolerance < 0:
            check.fail("tolerance", "tolerance must be 0 or more")
        spec.tolerance = tolerance or 0.0
    elif kind == "text":
        spec.answers = _answers(check)
    else:
        spec.code = check.text("code", required=True)
        spec.output = check.text("output", required=True)
    return spec


def _choices(check: _Checker, kind: str) -> list[ChoiceSpec]:
    value = check.data.get("choices")
    if not isinstance(value, list):
        if value is None:
            check.problems.append(Problem(check.line, f"'choices' is missing (a {kind} question)"))
        else:
            check.fail(
                "choices", f"choices must be a list of '- text: ...' items, not {_shown(value)}"
            )
        return []
    if not MIN_CHOICES <= len(value) <= MAX_CHOICES:
        check.fail(
            "choices", f"a question has {MIN_CHOICES} to {MAX_CHOICES} choices, not {len(value)}"
        )
    choices = []
    for number, item in enumerate(value):
        key = f"choices.{number}"
        if not isinstance(item, dict):
            check.fail(key, f"choice {number + 1} must be '- text: ...' (with correct, feedback)")
            continue
        inner = _Checker(item, check.where(key), {}, check.problems)
        inner.allowed(CHOICE_KEYS, f"choice {number + 1}")
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            check.fail(
                key, f"choice {number + 1}: correct must be true or false, not {_shown(correct)}"
            )
            correct = False
        text = inner.text("text", required=False)
        if not text.strip():
            check.fail(key, f"choice {number + 1} has no text")
        choices.append(
            ChoiceSpec(text=text, correct=correct, feedback=inner.text("feedback", required=False))
        )
    right = sum(1 for choice in choices if choice.correct)
    if choices and kind == "single" and right != 1:
        check.fail(
            "choices", f"a single-choice question has exactly one correct choice, not {right}"
        )
    elif choices and kind == "multiple" and right < 1:
        check.fail("choices", "a multiple-choice question needs at least one correct choice")
    return choices


def _answers(check: _Checker) -> list[str]:
    value = check.data.get("answers")
    if value is None:
        check.problems.append(Problem(check.line, "'answers' is missing (the accepted answers)"))
        return []
    if not isinstance(value, list):
        value = [value]
    answers = []
    for item in value:
        if isinstance(item, (dict, list)) or item is None:
            check.fail("answers", 'answers must be a list of texts, such as ["flask run"]')
            return []
        text = str(item)  # as typed (_answers_and_choices_as_typed)
        if not normalize_text(text):
            check.fail("answers", "an accepted answer is empty")
            return []
        if _bad_character(text):
            check.fail("answers", "an accepted answer contains an invisible control character")
            return []
        answers.append(text)
    if not answers or len(answers) > MAX_ANSWERS:
        check.fail("answers", f"give 1 to {MAX_ANSWERS} accepted answers")
    return answers


def _exercise(data: dict, line: int, key_lines: dict, problems: list) -> ExerciseSpec:
    check = _Checker(data, line, key_lines, problems)
    check.allowed(EXERCISE_KEYS, "an exercise")
    return ExerciseSpec(
        line=line,
        slug=check.slug(),
        title=check.text("title", required=True, max_length=TITLE_MAX_LENGTH).strip(),
        task=check.text("task", required=True),
        starter=check.text("starter", required=False),
        expected=check.text("expected", required=True),
        solution=check.text("solution", required=True),
    )


# Comparing answers (the same rules the contract states) ------------------------------
_SPACES = re.compile(r"\s+")


# Full-width forms of ASCII (U+FF01-FF5E) and the ideographic space, as East Asian input
# methods type them, to ASCII.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# What phones and Macs type for ' " - by default ("smart punctuation"): don’t was wrong
# against don't (probe 74). Em dashes stay: "--" typed is rarely meant as one.
_TYPOGRAPHIC = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u02bc": "'"}
    | {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'}
    | {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"}
)


def normalize_text(text: str) -> str:
    """Trimmed, case-insensitive, inner whitespace collapsed; an accent typed as a
    separate mark (the Vietnamese Windows keyboard, a Mac's copy and paste) and a
    full-width "ｐｒｉｎｔ" (a Japanese input method) read as typed plainly (probe 53:
    such right answers were wrong). Not NFKC: it made "10²" the answer "102" (probe 56).
    Curly quotes and dashes read as straight ones."""
    plain = unicodedata.normalize("NFC", text).translate(_FULL_WIDTH).translate(_TYPOGRAPHIC)
    plain = plain.casefold()
    return _SPACES.sub(" ", unicodedata.normalize("NFC", plain)).strip()


def normalize_output(text: str) -> str:
    """Each line without trailing whitespace, no final newlines (and \\r\\n read as \\n);
    curly quotes and dashes as straight ones (a phone types them for ' " -)."""
    lines = text.translate(_TYPOGRAPHIC).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


# PyYAML's words for the mistakes people make typing a question, and what to do (probe
# 96: "mapping values are not allowed here" for a prompt holding "a: b"). In order: the
# first that PyYAML's problem starts with.
_YAML_HINTS = (
    (
        "mapping values are not allowed here",
        'a text holding ": " must be in quotes, or a key is indented under another',
    ),
    ("could not find expected ':'", "each line is 'key: value', and a text may need quotes"),
    ("found character '\\t'", "indent with spaces, not tabs"),
    ("found character", "a text starting with this character must be in quotes"),
    ("found undefined alias", "a text starting with * must be in quotes"),
    ("found unexpected end of stream", "a quote is opened and not closed"),
)


def _yaml_hint(problem: str) -> str:
    """Return what to do about PyYAML's PROBLEM, in words, or "" if not known."""
    return next((hint for words, hint in _YAML_HINTS if problem.startswith(words)), "")
