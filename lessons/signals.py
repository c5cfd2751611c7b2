"""Hooks other apps listen to; lessons sends them and knows nothing of the listeners."""

from __future__ import annotations

from django.dispatch import Signal

# Sent in the transaction of a course's copy for a new run (services.course_copy), with
# ``source``, ``copy`` (saved, unpublished) and ``shift`` (a timedelta to add to the
# source's dates). Listeners copy what they hang on a course (projects: its projects) and
# may return a list of notes for the instructor (a date moved off a clock change).
course_copied = Signal()
