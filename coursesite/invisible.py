"""Characters that change how a text reads without showing: made visible where people
check what others wrote (file names, the code a grader reads)."""

from __future__ import annotations

import re

# Zero-width spaces and joiners, direction marks, embeddings, overrides and isolates, the
# word joiner, the BOM, the soft hyphen.
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
# Those that reorder what follows them ("Trojan Source", CVE-2021-42574): code reads one
# way and runs another.
REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")
# In a file's text: as INVISIBLE but the zero-width joiner, which every emoji sequence
# holds ("👩‍💻"), and the byte-order mark, which editors write (a file's first one is
# taken off when it is read).
IN_CODE = re.compile("[\u00ad\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2069]")


def badged(html: str, characters: re.Pattern = INVISIBLE) -> str:
    """Return HTML (escaped text) with each of CHARACTERS shown as its code point."""
    return characters.sub(
        lambda found: (
            f'<span class="badge text-bg-warning" title="An invisible character">'
            f"U+{ord(found.group()):04X}</span>"
        ),
        html,
    )
