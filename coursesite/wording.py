"""How messages word lists of people or rows."""

from __future__ import annotations


def first_few(names: list[str], shown: int = 20) -> str:
    """Return the first SHOWN of NAMES, joined, and how many more there are."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
