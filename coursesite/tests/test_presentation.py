"""Rules every page template keeps: labelled progress bars, one way to show a time,
scroll boxes of output and code reached by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"


def templates() -> dict[str, str]:
    return {str(p.relative_to(TEMPLATES)): p.read_text() for p in TEMPLATES.rglob("*.html")}


def test_every_progress_bar_says_what_it_measures():
    bars = 0
    for name, text in templates().items():
        for tag in re.findall(r"<[^>]*role=\"progressbar\"[^>]*>", text):
            bars += 1
            for attribute in ("aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-label"):
                assert f"{attribute}=" in tag, f"{name}: a progress bar without {attribute}"
    assert bars >= 2


def test_every_pre_scrolls_by_keyboard_and_is_named():
    # Test output and diffs are wider than a phone: a box that scrolls must take the
    # focus to be scrolled with the arrow keys (axe: scrollable-region-focusable).
    boxes = 0
    for name, text in templates().items():
        for tag in re.findall(r"<pre\b[^>]*>", text):
            boxes += 1
            for attribute in ('tabindex="0"', 'role="region"', "aria-label="):
                assert attribute in tag, f"{name}: {tag} without {attribute}"
    assert boxes >= 4


def test_times_of_day_go_through_the_local_time_filter():
    # One rule: a time of day is shown in the site's zone with its abbreviation, by
    # |local_time. A |date with hours would show a time without its zone; a script
    # rewriting <time> in the browser's zone would mix two zones on one page.
    # (The operators' autograding queue shows seconds, in the site's zone.)
    for name, text in templates().items():
        if name.startswith("autograding/"):
            continue
        assert not re.search(r"\|date\([^)]*[HGhg]:i", text), (
            f"{name} shows a time without its zone"
        )
        assert "data-localize" not in text, name
    script = (Path(settings.BASE_DIR) / "static" / "js" / "projects.js").read_text()
    assert "Intl.DateTimeFormat" not in script
