"""Hooks other apps listen to; projects sends them and knows nothing of the listeners."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a new version is committed, with ``submission``. Listeners (autograding
# queues a test run) must not fail the submission: it is sent with send_robust.
submission_created = Signal()

# Asked, with ``group``, before an instructor changes a group's members: a listener
# returns why they may no longer change (grading: the grades are released, and marks
# are read from the members), or None. See ``services.groups.membership_locked_reason``.
membership_lock = Signal()
