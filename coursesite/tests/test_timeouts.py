"""coursesite.timeouts: a deadline that stops a regular expression in its scan."""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest

from coursesite.timeouts import raising_at


class Late(Exception):
    pass


# Catastrophic backtracking: minutes of work in one call of the regex engine.
SLOW = re.compile(r"(a+)+$")


def test_a_scan_past_its_deadline_is_stopped_and_the_timer_put_back():
    started = time.monotonic()
    with pytest.raises(Late), raising_at(started + 0.2, Late):
        SLOW.match("a" * 40 + "b")
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL


def test_work_done_in_time_is_left_alone():
    with raising_at(time.monotonic() + 5, Late):
        assert SLOW.match("a" * 10)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_outer_timer_stays_in_charge_and_threads_run_as_they_are():
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with raising_at(time.monotonic() + 0.01, Late):
            time.sleep(0.05)  # not stopped: the outer timer was not replaced
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    done = []

    def work() -> None:
        with raising_at(time.monotonic() + 0.01, Late):
            time.sleep(0.05)
        done.append(True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert done == [True]


def test_a_deadline_met_in_a_finalizer_stops_the_block_just_after():
    """The timer went off in a model's __del__ (the garbage collector's), where an error
    is printed and lost, and the block ran on past its deadline (seen in CI)."""

    class SlowToForget:
        def __del__(self):
            time.sleep(0.3)

    started = time.monotonic()
    with pytest.raises(Late), raising_at(started + 0.1, Late):
        SlowToForget()  # forgotten at once: the deadline passes in its __del__
        SLOW.match("a" * 26 + "b")  # seconds of work
    assert time.monotonic() - started < 1
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_alarm_puts_the_timer_back_as_it_raises_and_is_dropped_once_the_block_is_over():
    # Raised at the edge of the block (in the context manager's own code), the block's
    # finally could run only when the generator was collected: the handler stayed, and a
    # clean-clone run failed on the first test above.
    with raising_at(time.monotonic() + 30, Late):
        alarm = signal.getsignal(signal.SIGALRM)
        with pytest.raises(Late):
            alarm(signal.SIGALRM, None)
        assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with raising_at(time.monotonic() + 30, Late):
        alarm = signal.getsignal(signal.SIGALRM)
    assert alarm(signal.SIGALRM, None) is None  # due as the block ended: dropped
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
