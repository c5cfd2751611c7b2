"""A hard deadline for work that cannot look at the clock itself (a regular expression
scanning for seconds inside a library: Pygments' lexers, Python-Markdown's processors)."""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def raising_at(deadline: float, error: type[Exception]) -> Iterator[None]:
    """Raise ERROR in the block once DEADLINE (time.monotonic()) has passed, even in the
    middle of one regular expression (Python's ``re`` checks for signals as it runs).

    A timer signal, so only in the main thread, where gunicorn's sync workers serve
    requests, and only when no other timer is set (the outer one stays in charge);
    elsewhere the block runs as it is, and callers keep their own cheaper checks.
    """
    if (
        math.isinf(deadline)
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return

    armed = [True]

    def stop(signum, frame):
        if not armed[0]:
            return  # the block is over: an alarm that arrived as it ended is dropped
        if frame is not None and frame.f_code.co_name == "__del__":
            # Raised in a finalizer (the garbage collector's, anywhere in the block), the
            # error would be printed and lost, and the block run on: once more, soon.
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        # Put back before raising: raised at the edge of the block (in the context
        # manager's own code), the finally below may run only when it is collected.
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        raise error

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
    try:
        yield
    finally:
        # An alarm due as the block ends runs its handler at the next instruction, here:
        # it raised before the handler was put back, and every later deadline in the
        # process kept this one's (a clean-clone run on PostgreSQL saw it once).
        armed[0] = False
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


def hard_deadlines_hold() -> bool:
    """Whether raising_at can stop work here (the main thread)."""
    return threading.current_thread() is threading.main_thread()
