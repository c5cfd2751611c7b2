"""YAML written by people, read only after its shape has been checked.

PyYAML's safe loader builds no objects but plain data, yet two shapes still hurt:
anchors and aliases, with which a few lines expand to billions of items ("billion
laughs"), and lists or mappings nested deep enough to exhaust the stack. Every reader
of YAML that a person wrote (a lesson bundle's front matter, a question block, an
autograding suite's groups.yaml) walks the parser's events through ``checked_events``
(or ``check_shape``) first, which refuses both before anything is built.

Then ``load`` builds the data, refusing a key given twice in one mapping: PyYAML keeps
the last silently, and an author who wrote ``prompt:`` twice never learns which one the
page shows.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import Any

import yaml

ANCHORS = "anchors and aliases (& and *) are not allowed"
TOO_DEEP = "lists or mappings nested too deeply"
GIVEN_TWICE = "“{key}” is given twice"
# Past 4,300 digits Python refuses to read an integer (sys.set_int_max_str_digits), and
# PyYAML lets that ValueError through with Python's advice in it.
MAX_NUMBER_DIGITS = 4000
_DECIMAL_INTEGER = re.compile(r"[-+]?[0-9_]+")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlShapeError(ValueError):
    """A shape of YAML refused before loading; LINE counts from 0 within the source."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def checked_events(source: str, *, max_nesting: int) -> Iterator[yaml.Event]:
    """Yield SOURCE's parser events; YamlShapeError at an anchor, an alias or a list or
    mapping nested deeper than MAX_NESTING. Syntax errors raise yaml.YAMLError as usual."""
    depth = 0
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        line = event.start_mark.line
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlShapeError(line, ANCHORS)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > max_nesting:
                raise YamlShapeError(line, TOO_DEEP)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
        yield event


def check_shape(source: str, *, max_nesting: int) -> None:
    """Raise YamlShapeError if SOURCE has an anchor, an alias or nesting deeper than
    MAX_NESTING (yaml.YAMLError if it is not YAML at all); return if it may be loaded."""
    deque(checked_events(source, max_nesting=max_nesting), maxlen=0)


def is_long_number(event: yaml.Event) -> bool:
    """Whether EVENT is a plain decimal integer longer than MAX_NUMBER_DIGITS, which
    loading would refuse with a ValueError written for programmers."""
    return (
        isinstance(event, yaml.ScalarEvent)
        and event.style is None
        and len(event.value) > MAX_NUMBER_DIGITS
        and _DECIMAL_INTEGER.fullmatch(event.value) is not None
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that gives a key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:  # "<<:" may override, by design
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    given = key in seen
                except TypeError:  # a list as a key: PyYAML refuses it next, in words
                    continue
                if given:
                    raise YamlShapeError(
                        key_node.start_mark.line, GIVEN_TWICE.format(key=_key_text(key_node))
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _key_text(node: yaml.Node, limit: int = 60) -> str:
    text = node.value if isinstance(node, yaml.ScalarNode) else "this key"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load(source: str) -> tuple[Any, yaml.Node | None]:
    """Return SOURCE's data (as yaml.safe_load) and its node tree, from one parse.

    Raise YamlShapeError at a key given twice in one mapping (its second line, from
    0), yaml.YAMLError if SOURCE is not YAML. Check the shape first (``checked_events``).
    """
    loader = _UniqueKeyLoader(source)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def mapping_items(node: yaml.Node | None) -> Iterator[tuple[Any, yaml.Node, yaml.Node]]:
    """Yield (key as loaded, key node, value node) for each entry of a mapping NODE.

    The key is what the loaded data holds ("~" is None, "0x1" is 1), so a key's line is
    found from the data's key; a key that cannot be built is its text.
    """
    if not isinstance(node, yaml.MappingNode):
        return
    constructor = yaml.constructor.SafeConstructor()
    for key_node, value_node in node.value:
        try:
            key = constructor.construct_object(key_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        yield key, key_node, value_node
