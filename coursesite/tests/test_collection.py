"""CI runs what pytest collects: every app's tests must be on pytest's search path."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_apps_tests_are_collected():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    searched = set(settings["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {path.parent.parent.name for path in ROOT.glob("*/tests/test_*.py")}
    # An app left out here once meant its tests silently never ran in CI.
    assert with_tests - searched == set()
