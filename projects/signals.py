"""Hooks other apps listen to; projects sends them and knows nothing of the listeners."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a new version is committed, with ``submission``. Listeners (autograding
# queues a test run) must not fail the submission: it is sent with send_robust.
submission_created = Signal()

# Asked, with ``assignment_id``, before an instructor changes what the project's marks
# are computed from: its groups' members and project, its deadline and late-work rules,
# the groups' extensions. A listener returns why they may no longer change (grading:
# the grades are released), or None. See ``services.groups.marks_locked_reason``.
marks_lock = Signal()

# Sent for each project of a course copied for a new run, with ``source`` and ``copy``
# (saved, unpublished), in the copy's transaction: grading copies the rubric,
# autograding the test suite.
project_copied = Signal()

# Sent once a teacher put ``student`` in ``group`` (added, or moved from another), in its
# transaction: listeners return sentences saying what follows (grading: the group's
# review is completed, so the student takes its mark at once: probe 124), shown to them.
member_added_consequences = Signal()
