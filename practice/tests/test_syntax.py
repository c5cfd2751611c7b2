"""The quiz and exercise syntax: every kind read, every mistake named with its line."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice import syntax

from .quiz_text import QUIZ


def test_every_kind_of_question_and_the_exercise_are_read():
    practice = syntax.parse(QUIZ)
    assert practice.problems == []
    single, multiple, number, text, output = practice.questions
    assert [q.slug for q in practice.questions] == [
        "idempotent-methods",
        "safe-methods",
        "answer",
        "run-flask",
        "length",
    ]
    assert single.kind == "single" and single.line == 3
    assert [(c.text, c.correct) for c in single.choices] == [
        ("`GET`", True),
        ("POST", False),
        ("DELETE", False),
    ]
    assert single.choices[0].feedback == "Right: GET only reads."
    assert "idempotent" in single.explanation
    assert [c.correct for c in multiple.choices] == [True, True, False]
    assert (number.answer, number.tolerance) == (42.0, 0.5)
    assert text.answers == ["flask run", "python -m flask run"]
    assert output.code.startswith("print(len(") and output.output == "5\na"
    (exercise,) = practice.exercises
    assert exercise.slug == "hello-route" and exercise.title == "A route that greets"
    assert "```python" in exercise.solution  # the inner fence of a four-backtick block
    assert exercise.starter.startswith("from flask import Flask")


def test_the_blocks_are_taken_out_of_the_rendered_text_and_the_rest_kept():
    stripped = syntax.strip_blocks(QUIZ)
    assert "```question" not in stripped and "exercise" not in stripped
    assert "Some text before." in stripped
    assert "A paragraph between." in stripped and "Text after." in stripped


def test_a_heading_over_nothing_but_blocks_goes_with_them_and_others_stay():
    quiz = "```question\nid: q\nprompt: Which?\nanswer: this\n```\n"
    markdown = (
        "## Routing\n\nText.\n\n"
        "## Check your understanding\n\n" + quiz + "\n"
        "## Practice\n\n### Quiz\n\n" + quiz + "\n### Notes\n\n"
        "## Try it\n\nSome words.\n\n" + quiz + "\n"
        "```bash\n# Check your understanding\n```\n"
    )
    stripped = syntax.strip_blocks(markdown)
    # The page shows the quiz under its own heading: not twice, nor in the contents.
    assert "## Check your understanding" not in stripped and "### Quiz" not in stripped
    # A section with words, or left empty by its writer, stays; so does a code comment.
    assert "## Routing" in stripped and "## Try it" in stripped and "Some words." in stripped
    assert "## Practice" in stripped and "### Notes" in stripped
    assert "# Check your understanding\n```" in stripped


def test_a_question_fence_inside_an_example_code_block_is_example_text():
    markdown = "````markdown\n```question\nid: x\n```\n````\n"
    assert syntax.parse(markdown).questions == []
    assert syntax.strip_blocks(markdown) == markdown


def block(body: str, kind: str = "question") -> str:
    # Two lines of text first: the block's fence is on line 3, its YAML from line 4.
    return f"Intro.\n\n```{kind}\n{body}```\n"


def problems(markdown: str) -> list[str]:
    return [str(problem) for problem in syntax.parse(markdown).problems]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Malformed YAML: the line of the problem inside the block.
        ("id: a\nkind: single\nprompt: a: b\n", "line 6: invalid YAML"),
        # ...with what to do, in words (probe 96: PyYAML's words alone).
        (
            "id: a\nkind: single\nprompt: Why: explain\n",
            "line 6: invalid YAML in the question: mapping values are not allowed here (a "
            'text holding ": " must be in quotes, or a key is indented under another)',
        ),
        (
            "id: a\nkind: text\nprompt: @home\n",
            "line 6: invalid YAML in the question: found character '@' that cannot start any "
            "token (a text starting with this character must be in quotes)",
        ),
        (
            "id: a\nkind: text\nprompt: P\nanswers:\n\t- x\n",
            "line 8: invalid YAML in the question: found character '\\t' that cannot start any "
            "token (indent with spaces, not tabs)",
        ),
        ("- just\n- a list\n", "line 3: a question must be 'key: value' lines"),
        ("id: a\nkind: essay\nprompt: P\n", "line 5: kind must be one of single, multiple"),
        ("id: a\nprompt: P\n", "line 3: 'kind' is missing"),
        ("kind: text\nprompt: P\nanswers: [x]\n", "line 3: 'id' is missing"),
        ("id: a b\nkind: text\nprompt: P\nanswers: [x]\n", "line 4: id must use only letters"),
        ("id: a\nkind: text\nanswers: [x]\n", "line 3: 'prompt' is missing"),
        ("id: a\nkind: text\nprompt: P\nanswers: [x]\ncolour: red\n", "line 8: unknown key"),
        ("id: a\nkind: text\nprompt: P\n", "line 3: 'answers' is missing"),
        ("id: a\nkind: text\nprompt: P\nanswers: [x]\nanswer: 3\n", "line 8: unknown key 'answer'"),
        ("id: a\nkind: number\nprompt: P\nanswer: lots\n", "line 7: answer must be a number"),
        ("id: a\nkind: number\nprompt: P\n", "line 3: 'answer' is missing"),
        (
            "id: a\nkind: number\nprompt: P\nanswer: 1\ntolerance: -1\n",
            "line 8: tolerance must be 0 or more",
        ),
        ("id: a\nkind: output\nprompt: P\noutput: '5'\n", "line 3: 'code' is missing"),
        ("id: a\nkind: single\nprompt: P\n", "line 3: 'choices' is missing"),
        (
            "id: a\nkind: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n",
            "line 7: a question has 2 to 10 choices, not 1",
        ),
        (
            "id: a\nkind: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n"
            "  - text: B\n    correct: true\n",
            "line 7: a single-choice question has exactly one correct choice, not 2",
        ),
        (
            "id: a\nkind: multiple\nprompt: P\nchoices:\n  - text: A\n  - text: B\n",
            "line 7: a multiple-choice question needs at least one correct choice",
        ),
        (
            "id: a\nkind: single\nprompt: P\nchoices:\n  - text: A\n    correct: yes please\n"
            "  - text: B\n",
            "line 8: choice 1: correct must be true or false",
        ),
        (
            "id: a\nkind: single\nprompt: P\nchoices:\n  - A\n  - text: B\n    correct: true\n",
            "line 8: choice 1 must be '- text: ...'",
        ),
        ("id: a\nkind: text\nprompt: &x P\nanswers: [*x]\n", "line 6: anchors and aliases"),
        (
            'id: a\nkind: text\nprompt: "P\\0"\nanswers: [x]\n',
            "line 6: prompt contains an invisible",
        ),
    ],
)
def test_each_malformed_question_is_named_with_its_line(body, expected):
    found = problems(block(body))
    assert any(message.startswith(expected) for message in found), found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("id: e\ntask: T\nexpected: E\nsolution: S\n", "line 3: 'title' is missing"),
        ("id: e\ntitle: T\nexpected: E\nsolution: S\n", "line 3: 'task' is missing"),
        ("id: e\ntitle: T\ntask: T\nsolution: S\n", "line 3: 'expected' is missing"),
        ("id: e\ntitle: T\ntask: T\nexpected: E\n", "line 3: 'solution' is missing"),
        ("id: e\ntitle: T\ntask: T\nexpected: E\nsolution: S\nhint: H\n", "line 9: unknown key"),
        ("id: e\ntitle: [T]\ntask: T\nexpected: E\nsolution: S\n", "line 5: title must be text"),
        (
            # A right-to-left override makes "Sort (gpj.exe)" read as "Sort (exe.jpg)".
            'id: e\ntitle: "Sort \\u202Egpj.exe"\ntask: T\nexpected: E\nsolution: S\n',
            "line 5: title contains an invisible text-direction character (U+202E)",
        ),
    ],
)
def test_each_malformed_exercise_is_named_with_its_line(body, expected):
    found = problems(block(body, "exercise"))
    assert any(message.startswith(expected) for message in found), found


def test_an_unclosed_block_and_a_duplicate_id_are_reported():
    assert problems("```question\nid: a\n") == [
        "line 1: the question block opened here is never closed by ```"
    ]
    twice = block("id: a\nkind: text\nprompt: P\nanswers: [x]\n") * 2
    assert any("duplicate question id 'a'" in message for message in problems(twice))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_block_body_is_read_or_refused_with_a_line(body):
    markdown = block(body)
    practice = syntax.parse(markdown)
    lines = markdown.count("\n") + 1
    for problem in practice.problems:
        assert 1 <= problem.line <= lines
    if not practice.problems:
        assert len(practice.questions) == 1


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [("  Flask   RUN ", "flask run"), ("flask\trun", "Flask Run"), ("FLASK RUN\n", "flask run")],
)
def test_text_answers_compare_trimmed_case_insensitive_spaces_collapsed(typed, accepted):
    assert syntax.normalize_text(typed) == syntax.normalize_text(accepted)


def test_text_answers_compare_alike_looking_characters_alike():
    """Probe 53: accents typed as separate marks (the Vietnamese Windows keyboard) or
    full-width letters read as a wrong answer."""
    composed = "Tiếng Việt"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert syntax.normalize_text(decomposed) == syntax.normalize_text(composed)
    assert syntax.normalize_text("ｐｒｉｎｔ") == syntax.normalize_text("print")
    assert syntax.normalize_text("STRASSE") == syntax.normalize_text("straße")
    assert syntax.normalize_text("Tiếng Viêt") != syntax.normalize_text(composed)
    # Not every look-alike (probe 56: NFKC read "10²" as "102").
    for one, other in (("10²", "102"), ("x²", "x2"), ("½", "1/2")):
        assert syntax.normalize_text(one) != syntax.normalize_text(other), one


def test_output_compares_without_trailing_spaces_and_final_newlines():
    assert syntax.normalize_output("5  \r\na\n\n") == syntax.normalize_output("5\na")
    assert syntax.normalize_output(" 5") != syntax.normalize_output("5")


def test_a_solution_code_block_inside_a_three_backtick_exercise_is_reported():
    markdown = (
        "```exercise\nid: e\ntitle: T\ntask: T\nexpected: E\nsolution: |\n"
        "  ```python\n  print(1)\n  ```\n```\n"
    )
    found = problems(markdown)
    assert found == [
        "line 7: a code block starts here, and its closing fence ends the exercise block "
        "early; open the block with four backticks (````exercise) and close it with four"
    ]
    fixed = "`" + markdown.replace("\n```\n", "\n````\n").replace("  ```python", "  ```python")
    assert problems(fixed) == []


@pytest.mark.django_db
def test_the_blocks_of_a_lesson_share_one_markdown_budget():
    """Each prompt, choice and feedback had its own budget: a body of a few blocks built
    to keep the converter busy took 24 s a block to save. They share the body's now."""
    import time

    from lessons.rendering import TOO_SLOW, seconds_for
    from lessons.tests.factories import LessonFactory
    from practice.models import Question
    from practice.services import lesson_practice_sync

    slow = "[a](" * 3000
    block = (
        '```question\nid: q{n}\nkind: single\nprompt: "{slow}"\nchoices:\n'
        "  - text: yes\n    correct: true\n  - text: no\n```\n\n"
    )
    body = "".join(block.format(n=n, slow=slow) for n in range(4))
    lesson = LessonFactory(body="Intro.")
    lesson.body = body  # stored as is: only the practice is synced here
    started = time.monotonic()
    lesson_practice_sync(lesson=lesson)
    assert time.monotonic() - started < seconds_for(body) + 2
    prompts = list(Question.objects.filter(lesson=lesson).values_list("prompt_html", flat=True))
    assert len(prompts) == 4 and all(TOO_SLOW in prompt for prompt in prompts)
