"""How messages word lists of people or rows."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """Return COUNT with its NOUN: "1 answer", "1,204 answers", "3 exercise tries" (PLURAL
    for nouns that take more than an s)."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def first_few(names: list[str], shown: int = 20) -> str:
    """Return the first SHOWN of NAMES, joined, and how many more there are."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
