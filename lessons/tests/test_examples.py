"""check_course: the markers, the runner and the course's own examples."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from lessons.examples import check_bundle, extract_blocks
from lessons.rendering import render_markdown

COURSE = Path(__file__).resolve().parents[2] / "courses" / "python-web-development"
LESSONS = sorted(p for p in COURSE.glob("*/*.md") if p.name != "module.md")


def bundle(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "course"
    (root / "01-module").mkdir(parents=True)
    (root / "01-module" / "01-lesson.md").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_marked_blocks_render_like_plain_ones():
    """The marker changes nothing students see, and nh3 keeps the highlighted code."""
    code = 'print("hi")\n'
    plain = render_markdown(f"```python\n{code}```\n").html
    for info in (
        "{.python .run}",
        '{.python .run project=shop file=app.py skip="needs network" timeout=60}',
        "{.python .file .append project=shop file=shop/models.py}",
    ):
        assert render_markdown(f"```{info}\n{code}```\n").html == plain
    assert '<span class="nb">print</span>' in plain


def test_hidden_checks_in_comments_are_not_rendered():
    html = render_markdown("Before\n\n<!--\n```{.python .run}\nsecret()\n```\n-->\n\nAfter\n").html
    assert "secret" not in html
    assert "After" in html


def test_a_passing_block_with_its_output(tmp_path):
    root = bundle(
        tmp_path,
        """
        ```{.python .run}
        print(6 * 7)
        ```

        ```{.text .output}
        42
        ```
        """,
    )
    report = check_bundle(root)
    assert (report.total, report.run, report.count("passed")) == (1, 1, 1)


def test_wrong_output_exit_status_and_timeout_fail_with_file_and_line(tmp_path):
    root = bundle(
        tmp_path,
        """
        ```{.python .run}
        print("forty-two")
        ```

        ```{.text .output}
        42
        ```

        ```{.python .run}
        raise SystemExit("the lesson is wrong")
        ```

        ```{.python .run timeout=1}
        import time
        time.sleep(5)
        ```
        """,
    )
    report = check_bundle(root)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [o.block.label for o in failed] == [
        "course/01-module/01-lesson.md:2",
        "course/01-module/01-lesson.md:10",
        "course/01-module/01-lesson.md:14",
    ]
    assert "forty-two" in failed[0].detail
    assert "the lesson is wrong" in failed[1].detail
    assert "timeout" in failed[2].detail


def test_project_files_are_built_step_by_step_and_checked_later(tmp_path):
    root = bundle(
        tmp_path,
        """
        ```{.python .file project=p file=pkg/app.py}
        GREETING = "Hello"
        ```

        ```{.python .file .append project=p file=pkg/app.py}
        def greet(name):
            return f"{GREETING}, {name}!"
        ```

        ```{.python .run project=p}
        from pkg.app import greet
        print(greet("Ada"))
        ```

        ```{.text .output}
        Hello, Ada!
        ```

        ```{.python .file project=p file=pkg/app.py}
        this is not python
        ```
        """,
    )
    statuses = [o.status for o in check_bundle(root).outcomes]
    # The last file is never exercised by a later .run block: that is a failure too.
    assert statuses == ["passed", "passed", "passed", "failed"]


def test_skipped_blocks_are_counted_with_their_reason(tmp_path):
    root = bundle(
        tmp_path,
        """
        ```{.python .run skip="needs network"}
        import urllib.request
        urllib.request.urlopen("https://example.com")
        ```
        """,
    )
    report = check_bundle(root)
    assert (report.total, report.run, report.count("skipped")) == (1, 0, 1)
    assert report.outcomes[0].detail == "needs network"


def test_blocks_have_no_network(tmp_path):
    root = bundle(
        tmp_path,
        """
        ```{.python .run}
        import socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=3)
        except OSError:
            print("offline")
        ```

        ```{.text .output}
        offline
        ```
        """,
    )
    assert check_bundle(root).ok


def test_blocks_can_talk_over_loopback(tmp_path):
    """Two services of one example reach each other on 127.0.0.1 even without network."""
    root = bundle(
        tmp_path,
        """
        ```{.python .run}
        import socket
        server = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(server.getsockname(), timeout=3)
        print("connected")
        ```

        ```{.text .output}
        connected
        ```
        """,
    )
    assert check_bundle(root).ok


def test_command_reports_counts_and_fails_on_failure(tmp_path, capsys):
    root = bundle(tmp_path, "```{.python .run}\nprint(1)\n```\n\n```{.python .run}\n1/0\n```\n")
    with pytest.raises(CommandError, match="2 total, 2 run, 1 passed, 1 failed, 0 skipped"):
        call_command("check_course", str(root))
    out = capsys.readouterr().out
    assert "FAIL course/01-module/01-lesson.md:5" in out
    assert "ZeroDivisionError" in out


def test_flask_routing_example_escapes_the_name_it_echoes(tmp_path):
    """The routing lesson once reflected /hello/<name> unescaped (XSS): build its app, attack it."""
    lesson = COURSE / "02-introduction-to-flask" / "02-flask-routing-and-views.md"
    source = "\n".join(
        b.code for b in extract_blocks(lesson, "routing") if b.attrs.get("file") == "app.py"
    )
    (tmp_path / "routing_app.py").write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("routing_app", tmp_path / "routing_app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["routing_app"] = module
    try:
        spec.loader.exec_module(module)
        client = module.app.test_client()
        body = client.get("/hello/<img src=x onerror=alert(1)>").text
        files = client.get("/files/<svg onload=alert(1)>.txt").text
    finally:
        del sys.modules["routing_app"]
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<svg" not in files and "&lt;svg" in files


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_lesson_has_a_question_and_an_exercise(lesson):
    """Each lesson carries at least one valid `question` and one valid `exercise` fence."""
    fences = _fences(lesson.read_text(encoding="utf-8"))
    questions = [body for info, body in fences if info == "question"]
    exercises = [body for info, body in fences if info == "exercise"]
    assert questions, f"{lesson.name} has no question"
    assert exercises, f"{lesson.name} has no exercise"
    ids = []
    for body in questions:
        q = yaml.safe_load(body)
        assert {"id", "kind", "prompt"} <= q.keys(), q
        ids.append(q["id"])
        kind = q["kind"]
        if kind in ("single", "multiple"):
            choices = q["choices"]
            assert 2 <= len(choices) <= 10
            right = [c for c in choices if c.get("correct")]
            assert len(right) == 1 if kind == "single" else len(right) >= 1, q["id"]
            assert all(isinstance(c["text"], str | int | float) for c in choices)
        elif kind == "number":
            assert isinstance(q["answer"], int | float)
        elif kind == "text":
            assert q["answers"] and all(isinstance(a, str) for a in q["answers"])
        elif kind == "output":
            assert isinstance(q["code"], str) and isinstance(q["output"], str)
        else:
            pytest.fail(f"{q['id']}: unknown kind {kind}")
    for body in exercises:
        e = yaml.safe_load(body)
        assert {"id", "title", "task", "expected", "solution"} <= e.keys(), e
        ids.append(e["id"])
    assert len(ids) == len(set(ids)), "ids must be unique within a lesson"


def _fences(text: str) -> list[tuple[str, str]]:
    """Return (info, body) of each top-level fenced block, honouring longer fences."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip("`")
        ticks = len(line) - len(stripped)
        if ticks >= 3:
            body, i = [], i + 1
            while i < len(lines) and not (
                lines[i].startswith("`" * ticks) and not lines[i].strip("`")
            ):
                body.append(lines[i])
                i += 1
            found.append((stripped.strip(), "\n".join(body)))
        i += 1
    return found


def test_output_questions_print_what_they_claim():
    """An `output` question's expected text is what its code really prints."""
    import contextlib
    import io

    for lesson in LESSONS:
        for info, body in _fences(lesson.read_text(encoding="utf-8")):
            if info != "question" or yaml.safe_load(body)["kind"] != "output":
                continue
            q = yaml.safe_load(body)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(q["code"], q["id"], "exec"), {"__name__": "quiz_code"})  # noqa: S102 - our own course text
            printed = "\n".join(x.rstrip() for x in out.getvalue().splitlines()).strip("\n")
            assert printed == q["output"].strip("\n"), (lesson.name, q["id"])
