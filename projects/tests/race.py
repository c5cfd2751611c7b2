"""Running service calls at the same moment, for the tests of concurrent requests."""

from __future__ import annotations

import threading
import time
from unittest import mock

from django.db import connection


def run_together(*calls):
    """Run CALLS in parallel threads started at once; return their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def slowed(model):
    original = model.save

    def save(self, *args, **kwargs):
        time.sleep(0.3)
        return original(self, *args, **kwargs)

    return mock.patch.object(model, "save", save)
