"""YAML written by people, read only after its shape has been checked.

PyYAML's safe loader builds no objects but plain data, yet two shapes still hurt:
anchors and aliases, with which a few lines expand to billions of items ("billion
laughs"), and lists or mappings nested deep enough to exhaust the stack. Every reader
of YAML that a person wrote (a lesson bundle's front matter, a question block, an
autograding suite's groups.yaml) walks the parser's events through ``checked_events``
(or ``check_shape``) first, which refuses both before anything is built.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import yaml

ANCHORS = "anchors and aliases (& and *) are not allowed"
TOO_DEEP = "lists or mappings nested too deeply"


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
