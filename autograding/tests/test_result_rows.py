"""What a test's row says beside its name (probe 103: a failed test's reason was folded
away in its output, a test never reached read "Skipped", a stopped one "0.00 s")."""

from __future__ import annotations

import pytest

from autograding.models import NOT_RUN, STOPPED_HERE, Outcome, TestResult

ASSERTION = """\
    def test_add():
>       assert add(1, 2) == 4
E       assert 3 == 4
E        +  where 3 = add(1, 2)

test_calc.py:4: AssertionError
"""
WITH_MESSAGE = """\
>       assert page.status_code == 200, "No sign-up page found: the brief asks for one"
E       AssertionError: No sign-up page found: the brief asks for one
E       assert 404 == 200
"""
IMPORT = """\
/suite/test_calc.py:1: in <module>
    from calc import add
E     File "/work/project/calc.py", line 1
E       def add(a, b)
E                    ^
E   SyntaxError: expected ':'
"""

CHAINED = """\
>       return table["k"]
E       KeyError: 'k'

During handling of the above exception, another exception occurred:

>       raise ValueError("no k in the table")
E       ValueError: no k in the table
"""
PRINTED = (
    ASSERTION
    + """\
----- Captured stdout call -----
E   AssertionError: everything is fine, nothing to see
"""
)


@pytest.mark.parametrize(
    ("outcome", "output", "reason"),
    [
        (Outcome.FAILED, ASSERTION, "assert 3 == 4"),
        (
            Outcome.FAILED,
            WITH_MESSAGE,
            "AssertionError: No sign-up page found: the brief asks for one",
        ),
        (Outcome.ERROR, IMPORT, "SyntaxError: expected ':'"),
        (Outcome.FAILED, CHAINED, "ValueError: no k in the table"),  # the one raised last
        (Outcome.FAILED, PRINTED, "assert 3 == 4"),  # not what the test printed
        (Outcome.FAILED, "no pytest lines here", ""),
        (Outcome.PASSED, ASSERTION, ""),  # a pass has no reason, whatever it printed
        # Stopped by a limit: the limit, on its row (probe 109: only in the folded output).
        (
            Outcome.ERROR,
            f"{STOPPED_HERE}the run hit its time limit.",
            "the run hit its time limit.",
        ),
        (Outcome.FAILED, "E   ValueError: " + "x" * 500, "ValueError: " + "x" * 187 + "…"),
    ],
)
def test_a_failed_test_says_its_reason_in_one_line(outcome, output, reason):
    assert TestResult(nodeid="test_calc.py::test_add", outcome=outcome, output=output).reason == (
        reason
    )


def test_a_test_never_reached_or_stopped_is_told_apart_from_a_skipped_one():
    never = TestResult(
        outcome=Outcome.SKIPPED, output=f"{NOT_RUN}the tests were stopped before it."
    )
    skipped = TestResult(outcome=Outcome.SKIPPED, output="Skipped: needs Redis")
    stopped = TestResult(outcome=Outcome.ERROR, output=f"{STOPPED_HERE}the run hit its time limit.")
    assert never.not_run and not skipped.not_run and not stopped.not_run
    assert stopped.stopped_here and not never.stopped_here
    assert TestResult(nodeid="tests/test_a.py::TestX::test_y").file == "tests/test_a.py"
