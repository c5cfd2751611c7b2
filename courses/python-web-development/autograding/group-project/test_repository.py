"""The repository says how to run and test the project, and has tests of its own."""

import ast
import re
from pathlib import Path

PROJECT = Path.cwd()  # the autograder runs pytest in the project's root

SKIPPED_FOLDERS = {".venv", "venv", "env", "node_modules", "site-packages", ".git"}


def project_files(pattern):
    return [
        path for path in PROJECT.rglob(pattern)
        if not SKIPPED_FOLDERS & set(path.relative_to(PROJECT).parts)
    ]  # fmt: skip


def test_the_readme_says_how_to_run_and_test():
    readmes = [p for p in PROJECT.iterdir() if p.is_file() and p.name.lower().startswith("readme")]
    assert readmes, "No README in the project's folder."
    text = readmes[0].read_text(errors="replace").lower()
    assert re.search(r"\brun", text), "The README does not say how to run the project."
    assert re.search(r"\btest", text), "The README does not say how to run the tests."


def test_the_requirements_are_listed():
    files = [PROJECT / name for name in ("requirements.txt", "pyproject.toml", "Pipfile")]
    texts = [f.read_text(errors="replace").lower() for f in files if f.is_file()]
    assert texts, "No requirements.txt (or pyproject.toml) lists what the project needs."
    assert any("django" in text for text in texts), "The requirements do not name Django."


def test_the_project_has_tests_of_its_own():
    count = 0
    for path in project_files("*.py"):
        if not (path.name.startswith("test") or path.name.endswith("_test.py")):
            continue
        tree = ast.parse(path.read_text(errors="replace"))
        count += sum(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
            for node in ast.walk(tree)
        )
    assert count >= 3, (
        f"The brief asks for tests: found {count} test function(s), expected 3 or more."
    )
