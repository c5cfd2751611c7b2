"""Hooks other apps listen to; projects sends them and knows nothing of the listeners."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a new version is committed, with ``submission``. Listeners (autograding
# queues a test run) must not fail the submission: it is sent with send_robust.
submission_created = Signal()
