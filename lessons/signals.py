"""Hooks other apps listen to; lessons sends them and knows nothing of the listeners."""

from __future__ import annotations

from django.dispatch import Signal

# Sent in the transaction of a course's copy for a new run (services.course_copy), with
# ``source``, ``copy`` (saved, unpublished) and ``shift`` (a timedelta to add to the
# source's dates). Listeners copy what they hang on a course (projects: its projects) and
# may return a list of notes for the instructor (a date moved off a clock change).
course_copied = Signal()

# Sent before a teacher confirms removing ``enrollments`` (a list of Enrollment rows, with
# their users and courses): listeners return a list of sentences saying what the removal
# hides or leaves behind in their app (grading: released marks a student no longer sees,
# reviews left with nobody to finish them), shown on the confirmation page.
removal_consequences = Signal()

# Sent once a teacher changed ``enrollment``'s role (saved, with its user and course) from
# ``was``: listeners return a list of sentences saying what follows in their app (a
# student made a grader keeps their groups, leaves the gradebook's students, and grades
# none of their groups; a grader made a student leaves reviews unfinished), shown to the
# teacher at once (probe 124: nothing was said).
role_change_consequences = Signal()

# Sent once a teacher hid (unpublished) the courses ``course_ids``: listeners return a
# list of sentences saying what their students can no longer reach (projects: a project
# not yet released, its hand-in and groups: probe 124), shown to the teacher at once.
course_hidden_consequences = Signal()
