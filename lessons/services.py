"""Writes that touch more than one model: enrollment, sign-up, progress, rosters, ordering."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone
from django.utils.text import slugify

from access import policy
from accounts.confirmation import confirmation_send, is_reclaimable, reclaim_unconfirmed
from accounts.invitations import invitations_send, is_invitable
from accounts.models import Role, User, name_sort_keys, people_matching
from accounts.validators import canonical_email, normalize_email, validate_name
from coursesite.copying import copy_file, copy_of
from coursesite.dates import local_text
from coursesite.emails import in_chunks
from coursesite.files import delete_file_on_commit, files_removed_on_failure, store_file
from coursesite.locks import lock_rows
from coursesite.prepared import prepared_update
from practice import syntax as practice_syntax
from practice.models import Attempt, ExerciseAttempt
from practice.services import (
    SyncReport,
    answered_blocks_refusal,
    answered_blocks_taken_out,
    lesson_practice_sync,
    quiz_questions_spent,
    quiz_score,
    quiz_scores,
)

from . import bundle
from .models import (
    Course,
    Enrollment,
    Lesson,
    LessonAttachment,
    LessonCompletion,
    Module,
    Progress,
    Removal,
    new_enrollment_key,
    one_line_refusal,
    renumber,
)
from .rendering import image_problems, link_problems
from .signals import course_copied
from .tasks import send_course_message, send_enrollment_notices

logger = logging.getLogger(__name__)


# Enrollment -------------------------------------------------------------------
# The back office offers no deactivated account to enroll either (access/backoffice.py).
CLOSED_ACCOUNT = (
    "That account is closed (deactivated): an administrator must reopen it before it can "
    "be enrolled."
)


def unconfirmed_elsewhere(users, course: Course, *, by: User | None = None) -> set[int]:
    """Return the ids of USERS whom BY, an instructor of COURSE, may not enroll there by
    address: accounts whose owner never confirmed it, already in a course BY does not
    teach (any other course, when BY is not given).

    Enrolling an unconfirmed account by its address reclaims it (its password goes, so
    that the course reaches the mailbox, not whoever typed the address): from another
    course, that locked out a student of a course this instructor does not teach. Its
    owner confirms the address first (the link on their dashboard) or takes the account
    with "Forgot your password?"; then it enrolls as any other.
    """
    ids = [user.pk for user in users if user.pk is not None and is_reclaimable(user)]
    if not ids:
        return set()
    courses = Course.objects.exclude(pk=course.pk)
    if by is not None:
        courses = courses.exclude(pk__in=policy.scope(by, policy.TEACH, Course.objects))
    elsewhere: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        elsewhere.update(
            Enrollment.objects.filter(user_id__in=chunk, course__in=courses).values_list(
                "user_id", flat=True
            )
        )
        # Someone removed from a course keeps their work there, under their name: in
        # its groups (probe 57: the names an instructor's roster typed replaced theirs
        # in another course's grading pages), or in its groups' history and versions
        # once taken out of them (probe 60).
        elsewhere.update(
            User.objects.filter(
                pk__in=chunk, group_memberships__assignment__course__in=courses
            ).values_list("pk", flat=True)
        )
        history = "projects__groups__events__student_id"
        elsewhere.update(
            courses.filter(**{f"{history}__in": chunk}).values_list(history, flat=True)
        )
    return elsewhere


def unconfirmed_elsewhere_message(user: User) -> str:
    return (
        f"The account of {user.email} is already in a course you do not teach, and its owner never "
        "confirmed this address: it cannot be enrolled from here until they do. Ask them "
        "to confirm it (the link is on their dashboard), or to choose a new password with "
        "“Forgot your password?” on the login page; then enroll them again."
    )


def refuse_if_unconfirmed_elsewhere(user: User, course: Course, *, by: User) -> None:
    """Raise ValidationError (code "unconfirmed_elsewhere") if BY, an instructor of
    COURSE, may not enroll USER by their address (``unconfirmed_elsewhere``)."""
    if unconfirmed_elsewhere([user], course, by=by):
        raise ValidationError(unconfirmed_elsewhere_message(user), code="unconfirmed_elsewhere")


@transaction.atomic
def enrollment_create(*, user: User, course: Course, role: str = Role.STUDENT) -> Enrollment:
    """Enroll USER in COURSE with ROLE; raise ValidationError if already enrolled."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    # Said of USER, not to them: an instructor enrolling someone reads it too (the
    # student's own enroll page words it for them).
    already = f"{user} is already enrolled in {course}; change their role instead."
    if not user.is_active:
        raise ValidationError(CLOSED_ACCOUNT, code="closed_account")
    if Enrollment.objects.filter(user=user, course=course).exists():
        raise ValidationError(already, code="already_enrolled")
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(user=user, course=course, role=role)
    except IntegrityError as exc:  # a concurrent request enrolled them first
        raise ValidationError(already, code="already_enrolled") from exc
    policy.forget(user)  # a role asked for again in this request must see the new one
    return enrollment


@transaction.atomic
def enrollment_set_role(*, user: User, course: Course, role: str) -> Enrollment:
    """Enroll USER in COURSE with ROLE, or change their role there.

    Refused (ValidationError) if it would leave COURSE without an instructor.
    """
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    current = Enrollment.objects.filter(user=user, course=course).first()
    if current is not None and role != Role.INSTRUCTOR:
        refuse_if_last_instructor(current)
    enrollment, _ = Enrollment.objects.update_or_create(
        user=user, course=course, defaults={"role": role}
    )
    policy.forget(user)
    return enrollment


@transaction.atomic
def enrollment_delete(enrollment: Enrollment) -> None:
    """Remove ENROLLMENT, unless it is its course's last instructor (ValidationError)."""
    refuse_if_last_instructor(enrollment)
    enrollment.delete()
    enrollments_removed([enrollment])
    policy.forget(enrollment.user)


def enrollments_removed(enrollments: list[Enrollment]) -> None:
    """Remember that teachers removed ENROLLMENTS (deleted in this transaction): their
    people may not enroll again with the course's key (Removal)."""
    pairs = {(row.user_id, row.course_id) for row in enrollments}
    Removal.objects.bulk_create(
        [Removal(user_id=user_id, course_id=course_id) for user_id, course_id in pairs],
        update_conflicts=True,
        unique_fields=["user", "course"],
        update_fields=["removed_at"],
    )


@transaction.atomic
def enrollment_create_with_key(*, user: User, course: Course) -> Enrollment:
    """Enroll USER as a student of COURSE, whose key they typed (course_for_key).

    Refused (ValidationError, code "removed") to someone a teacher removed from it.
    """
    if Removal.objects.filter(user=user, course=course).exists():
        if not Enrollment.objects.filter(user=user, course=course).exists():
            raise ValidationError(
                f"Your instructor removed you from {course.title}, so its key no longer "
                "enrolls you. If this is a mistake, ask them to add you again.",
                code="removed",
            )
    return enrollment_create(user=user, course=course, role=Role.STUDENT)


def last_instructor_message(enrollment: Enrollment) -> str:
    return (
        f"{enrollment.user} is the only instructor of {enrollment.course}: make someone "
        "else an instructor of it first, or nobody could manage the course."
    )


def last_instructor_refusals(leaving) -> list[str]:
    """Return why removing the enrollments LEAVING together would leave a course without
    an instructor: one message per such course (the back office's delete pages)."""
    leaving = [row for row in leaving if row.role == Role.INSTRUCTOR]
    staying = set(
        Enrollment.objects.filter(
            course_id__in={row.course_id for row in leaving}, role=Role.INSTRUCTOR
        )
        .exclude(pk__in=[row.pk for row in leaving])
        .values_list("course_id", flat=True)
    )
    refusals = []
    for row in leaving:
        if row.course_id not in staying:
            refusals.append(last_instructor_message(row))
            staying.add(row.course_id)  # one message per course
    return refusals


def refuse_if_last_instructor(enrollment: Enrollment) -> None:
    """Raise ValidationError if ENROLLMENT is the only instructor of its course.

    Only an instructor manages a course (or a superuser, who may not be at hand): the
    last one demoting or removing themselves would leave it with nobody to grade,
    release or fix it. The course's row is locked so that two instructors leaving at
    once cannot both pass the check.
    """
    if enrollment.role != Role.INSTRUCTOR:
        return
    lock_rows(Course.objects.filter(pk=enrollment.course_id))
    others = Enrollment.objects.filter(course_id=enrollment.course_id, role=Role.INSTRUCTOR)
    if not others.exclude(pk=enrollment.pk).exists():
        raise ValidationError(last_instructor_message(enrollment), code="last_instructor")


# What a key pasted from an email or a slide may carry around it besides spaces (which
# strip() removes, no-break spaces included): zero-width spaces and joiners, the word
# joiner and the byte-order mark. No key holds them.
_KEY_EDGES = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")


def typed_key(key: str | None) -> str:
    """Return the enrollment key KEY as typed or pasted, without what surrounds it."""
    return _KEY_EDGES.sub("", key or "")


def course_for_key(key: str) -> Course:
    """Return the open course whose enrollment key is KEY, or raise ValidationError."""
    course = Course.objects.filter(enrollment_key=typed_key(key)).first()
    if course is None:
        raise ValidationError(
            "No course has this enrollment key. Check it with your instructor "
            "(keys are case-sensitive and may have been renewed).",
            code="bad_key",
        )
    if not course.is_published:
        # Not named: whoever guesses a key learns no title of a course in preparation.
        raise ValidationError(
            # Not "yet": last year's run, closed, has its key too (probe 88).
            "The course of this key is not open for enrollment: it is being prepared, or its "
            "run has ended. Ask your instructor for the key of the current run.",
            code="unpublished",
        )
    return course


class SignUp(NamedTuple):
    enrollment: Enrollment
    link_sent: bool  # the confirmation link (the address may have had its few this hour)


@transaction.atomic
def user_signup_with_key(
    *, username: str, email: str, password: str, display_name: str, key: str
) -> SignUp:
    """Create an account and its student enrollment together, or neither."""
    course = course_for_key(key)
    user = User(username=username, email=email, display_name=display_name)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the form checked, but a concurrent sign-up came first
        raise ValidationError(
            "This username or email address was taken a moment ago. Choose another one, "
            "or log in if it is yours.",
            code="taken",
        ) from exc
    link_sent = confirmation_send(user=user)  # on commit: anyone's until confirmed
    return SignUp(enrollment_create(user=user, course=course, role=Role.STUDENT), link_sent)


# Lessons ----------------------------------------------------------------------
def lesson_practice_checked(body: str) -> practice_syntax.Practice:
    """Return the questions and exercises of the Markdown BODY, or raise ValidationError
    naming the line of each broken block."""
    practice = practice_syntax.parse(body)
    if practice.problems:
        raise ValidationError(
            [f"Quiz or exercise block, {problem}" for problem in practice.problems]
        )
    return practice


@transaction.atomic
def lesson_save(lesson: Lesson, *, drop_work: bool = False) -> SyncReport:
    """Save LESSON after the model's checks, with the questions and exercises of its
    Markdown, as the back office saves it: a broken quiz or exercise block is an error
    on ``body`` naming its line (ValidationError), and nothing is saved.

    A question or exercise that students answered and that the text no longer holds
    (its block removed, or its id changed) would be deleted with their work: refused
    unless DROP_WORK says to, as the back office asks before saving (probe 59: the API
    deleted the answers without a word).
    """
    try:
        practice = lesson_practice_checked(lesson.body)
    except ValidationError as exc:
        raise ValidationError({"body": exc.error_list}) from exc
    if lesson.quiz_required and not practice.questions and lesson.questions.exists():
        # On the text: the API writes the text, not the setting (the back office). Only
        # a text taking out the last question: a lesson saved so before the rule stays
        # savable here (probe 85: even a new title was refused).
        raise ValidationError({"body": bundle.QUIZ_TAKES_LAST_QUESTION})
    lesson.full_clean()
    if lesson.pk is not None and not drop_work:
        lost = answered_blocks_taken_out(lesson, practice)
        if lost:
            confirm = "save again with drop_work set to true"
            refusal = answered_blocks_refusal(lost, to_delete=confirm)
            raise ValidationError({"body": ValidationError(refusal, code="answered_work")})
    lesson.save()
    return lesson_practice_sync(lesson=lesson, practice=practice)


# Progress ---------------------------------------------------------------------
@prepared_update
def _set_last_lesson(user_id: int, course_id: int, lesson_id: int):
    return Enrollment.objects.filter(user_id=user_id, course_id=course_id), {
        "last_lesson_id": lesson_id
    }


def enrollment_remember_lesson(*, user: User, lesson: Lesson) -> None:
    """Record LESSON as where USER continues in its course (if enrolled: one UPDATE).

    Every lesson page a student opens writes it: prepared, as the reads of the page are.
    """
    _set_last_lesson(user_id=user.pk, course_id=lesson.module.course_id, lesson_id=lesson.pk)


@transaction.atomic
def lesson_set_completed(*, user: User, lesson: Lesson, completed: bool) -> bool:
    """Mark LESSON complete (or not) for USER; return whether anything changed.

    A lesson whose quiz is required is refused (ValidationError) until a student passed
    it. Graders, instructors and superusers, who read the lesson but take no quiz (its
    forms are for students), tick it off as they go.
    """
    takes_quizzes = (
        not user.is_superuser and policy.role_in(user, lesson.module.course_id) not in policy.STAFF
    )
    if completed and lesson.quiz_required and takes_quizzes:
        score = quiz_score(user=user, lesson=lesson)
        spent = 0 if score.passed else quiz_questions_spent(user=user, lesson=lesson)
        if lost := score.lost(spent):
            # Answering cannot pass it any more: said so, not "answer the questions"
            # of which the ones wrong are closed (probe 39).
            raise ValidationError(lost, code="quiz_not_passed")
        if not score.passed:
            raise ValidationError(
                f"Pass this lesson's quiz first: you have {score.right} of {score.total} "
                f"questions right and need {score.requirement}. Answer the questions below, "
                "then mark the lesson complete.",
                code="quiz_not_passed",
            )
    if completed:
        _, changed = LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    else:
        changed = bool(LessonCompletion.objects.filter(user=user, lesson=lesson).delete()[0])
    return changed


def course_progress(*, user: User, course: Course) -> Progress:
    """Return USER's progress over COURSE's published lessons (one query)."""
    return _progress(user, Lesson.objects.published().filter(module__course=course))


def module_progress(*, user: User, module: Module) -> Progress:
    return _progress(user, Lesson.objects.published().filter(module=module))


def _progress(user: User, lessons) -> Progress:
    counts = lessons.aggregate(
        total=Count("pk", distinct=True),
        done=Count("pk", filter=Q(completions__user=user), distinct=True),
    )
    return Progress(done=counts["done"], total=counts["total"])


# Ordering ---------------------------------------------------------------------
@transaction.atomic
def module_move(*, module: Module, step: int) -> None:
    """Move MODULE STEP places within its course (negative is up); orders stay 1..n."""
    # The parent's row lock queues two moves in one course: each reads the order the
    # other left (two instructors moving at once left two modules at 2 and none at 1).
    lock_rows(Course.objects.filter(pk=module.course_id))
    _move(
        list(Module.objects.filter(course_id=module.course_id).order_by("order", "pk")),
        module,
        step,
    )


@transaction.atomic
def lesson_move(*, lesson: Lesson, step: int) -> None:
    lock_rows(Module.objects.filter(pk=lesson.module_id))
    _move(
        list(Lesson.objects.filter(module_id=lesson.module_id).order_by("order", "pk")),
        lesson,
        step,
    )


def _move(siblings: list, obj, step: int) -> None:
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == obj.pk)
    target = max(0, min(len(siblings) - 1, index + step))
    siblings.insert(target, siblings.pop(index))
    renumber(siblings)
    obj.order = target + 1


# Roster import ----------------------------------------------------------------
class RosterOutcome:
    CREATED = "created account and enrolled"
    ENROLLED = "enrolled"
    ALREADY = "already enrolled"
    REJECTED = "rejected"


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    role: str
    outcome: str = ""
    detail: str = ""
    invited: bool = False  # emailed a link to choose their first password

    @property
    def accepted(self) -> bool:
        return self.outcome != RosterOutcome.REJECTED


REQUIRED_COLUMNS = ("email", "name", "role")
ROSTER_MAX_BYTES = 2 * 1024 * 1024
ROSTER_MAX_ROWS = 5000
# The columns the values end up in: accounts.User.email and display_name.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
NAME_MAX_LENGTH = User._meta.get_field("display_name").max_length


def _shown(value: str, limit: int = 40) -> str:
    """Return VALUE quoted for a message, cut short and with invisible characters visible."""
    return repr(value[:limit] + ("…" if len(value) > limit else ""))


def _delimiter(header: str) -> str:
    # The header names three known columns, so the separator is whichever of the
    # usual ones it uses most (csv.Sniffer guesses from data and can guess wrong).
    return max((",", ";", "\t"), key=header.count)


def roster_row(*, line: int, email: str | None, name: str | None, role: str | None) -> RosterRow:
    """Return a row to import, its values as the import compares them (rows given as
    data, not as a file, come in here too: the API's JSON rosters)."""
    return RosterRow(
        line=line,
        # Canonical (NFKC, stripped, lowercased), so an address typed with a fullwidth
        # letter finds the account instead of making another; checked in _roster_check.
        email=normalize_email(email or ""),
        # One spelling of each accent, as User.save stores names (bulk_create skips it).
        name=unicodedata.normalize("NFC", (name or "").strip()),
        role=(role or "").strip().lower() or Role.STUDENT,
    )


def roster_parse(data: bytes | str) -> list[RosterRow]:
    """Read a roster CSV (columns email, name, role; any order) into rows to import.

    Raise ValidationError when the file as a whole is unusable (not UTF-8 text, too
    large, no header, not CSV). A row with a bad value is returned rejected, with
    the reason; the other rows are not affected.
    """
    if len(data) > ROSTER_MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {ROSTER_MAX_BYTES // (1024 * 1024)} MB; "
            "is it really a roster? Split it into smaller files."
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")  # Excel writes a byte-order mark
        except UnicodeDecodeError as exc:
            raise ValidationError(
                "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."
            ) from exc
    first_line = data.split("\n", 1)[0]
    # Strict: a quote left open on the last line swallowed the rest of the row instead
    # ("Quinn,grader" as a name, the role lost) where a newline would have shown it.
    reader = csv.DictReader(
        io.StringIO(data, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    try:
        fieldnames = reader.fieldnames or []
        header = [(name or "").strip().lstrip("\ufeff").strip().lower() for name in fieldnames]
        for column in REQUIRED_COLUMNS:
            # A reader keeps the last of two columns of one name: the first one's
            # values would be dropped without a word.
            if header.count(column) > 1:
                times = "twice" if header.count(column) == 2 else f"{header.count(column)} times"
                raise ValidationError(
                    f"The column “{column}” appears {times} in the first line. Keep one "
                    "of them (rename or delete the other), then import the file again. "
                    "Nothing was imported."
                )
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ValidationError(
                f"The first line must name the columns email, name, role; missing: "
                f"{', '.join(missing)}."
            )
        reader.fieldnames = header
        rows = []
        blank = 0
        for record in reader:
            if not any(
                (value or "").strip() for value in record.values() if isinstance(value, str)
            ):
                # Blank lines count too: 690,000 lines of commas (2 MB) took 2-3 s to read
                # before the file was refused (probe 63).
                blank += 1
                if blank > ROSTER_MAX_ROWS:
                    raise ValidationError(
                        f"The file has more than {ROSTER_MAX_ROWS:,} empty lines (a "
                        "spreadsheet saves its empty rows as lines of commas): delete them, "
                        "then import the file again. Nothing was imported."
                    )
                continue
            if len(rows) == ROSTER_MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {ROSTER_MAX_ROWS:,} rows; split it into "
                    "smaller files and import them one after the other."
                )
            rows.append(
                roster_row(
                    # Where the row starts: a value over several lines (refused below)
                    # numbered its row, and every row after it, by where it ended.
                    line=reader.line_num - _newlines_in(record),
                    email=record.get("email"),
                    name=record.get("name"),
                    role=record.get("role"),
                )
            )
    except csv.Error as exc:
        # Raised while reading a line, before it is counted.
        line = reader.line_num + 1
        if "field larger than field limit" in str(exc):
            raise ValidationError(
                f"Line {line} has a value longer than {csv.field_size_limit():,} characters: "
                "no email, name or role is that long. Is this file really a roster? Nothing "
                "was imported."
            ) from exc
        if "unexpected end of data" in str(exc):
            raise ValidationError(
                f"A quotation mark opened on line {line} is never closed. Close it, or save the "
                "file as CSV again from your spreadsheet. Nothing was imported."
            ) from exc
        # Python's own wording ("',' expected after '\"'") tells an instructor nothing.
        raise ValidationError(
            f"Line {line} is not valid CSV: most often a quotation mark inside a value "
            "that is not itself in quotes, or text right after a closing quotation mark. "
            "Save the file as CSV again from your spreadsheet. Nothing was imported."
        ) from exc
    _roster_validate(rows)
    return rows


def _newlines_in(record: dict) -> int:
    return sum(value.count("\n") for value in record.values() if isinstance(value, str))


def _roster_check(row: RosterRow) -> str:
    """Return why ROW cannot be imported, or "" if it can."""
    for label, value in (("email", row.email), ("name", row.name), ("role", row.role)):
        if "\n" in value or "\r" in value:
            return f'the {label} runs over several lines: is a quote (") left open?'
        # What a title may not hold either: control codes (NUL, which PostgreSQL cannot
        # store, among them), line separators, direction overrides.
        char = one_line_refusal(value)
        if char is not None:
            return (
                f"the {label} contains an invisible control character (U+{ord(char):04X}); "
                "retype it"
            )
    if len(row.email) > EMAIL_MAX_LENGTH:
        return f"email is longer than {EMAIL_MAX_LENGTH} characters"
    try:
        canonical_email(row.email)  # invisible characters and spaces too
    except ValidationError as exc:
        reason = (
            exc.messages[0]
            if exc.code != "invalid"
            else "not an email address (one looks like ada@example.org)"
        )
        return f"bad email {_shown(row.email)}: {reason}"
    if len(row.name) > NAME_MAX_LENGTH:
        return f"name is longer than {NAME_MAX_LENGTH} characters"
    if row.name:
        try:
            validate_name(row.name)  # as sign-up and the profile check it
        except ValidationError as exc:
            return f"bad name {_shown(row.name)}: {exc.messages[0]}"
    if row.role not in Role.values:
        return f"unknown role {_shown(row.role)} (use {', '.join(Role.values)})"
    return ""


def _roster_validate(rows: list[RosterRow]) -> None:
    """Reject the rows that cannot be imported, each with its reason (idempotent)."""
    seen: dict[str, int] = {}
    for row in rows:
        if row.outcome == RosterOutcome.REJECTED:
            continue
        problem = _roster_check(row)
        if not problem and row.email in seen:
            problem = f"duplicate of line {seen[row.email]} in this file"
        if problem:
            row.outcome, row.detail = RosterOutcome.REJECTED, problem
            continue
        seen[row.email] = row.line


class _Usernames:
    """Hand out free usernames for the new accounts of a roster (EMAILS)."""

    def __init__(self, emails: list[str]) -> None:
        self.taken: dict[str, set[str]] = {}
        self.next_number: dict[str, int] = {}
        # A base name (the address before the @) that no account has and that only
        # one new account asks for is that account's username: found for all of them
        # in one query per 500. Only the others read the numbered names taken (base2,
        # base3...), one query per base name.
        wanted = Counter(self._base(email) for email in emails)
        unique = [base for base, count in wanted.items() if count == 1]
        exact: set[str] = set()
        for start in range(0, len(unique), 500):
            exact.update(
                User.objects.annotate(lowered=Lower("username"))
                .filter(lowered__in=unique[start : start + 500])
                .values_list("lowered", flat=True)
            )
        self.free_as_is = {base for base in unique if base not in exact}

    @staticmethod
    def _base(email: str) -> str:
        return slugify(email.split("@", 1)[0]).replace("-", ".")[:140] or "student"

    def free(self, email: str) -> str:
        base = self._base(email)
        if base in self.free_as_is:
            self.free_as_is.discard(base)
            return base
        if base not in self.taken:
            names = User.objects.filter(username__istartswith=base).values_list("username")
            self.taken[base] = {name.lower() for (name,) in names}
            self.next_number[base] = 2
        taken, candidate = self.taken[base], base
        if candidate.lower() in taken:
            n = self.next_number[base]
            while f"{base}{n}".lower() in taken:
                n += 1
            candidate, self.next_number[base] = f"{base}{n}", n + 1
        taken.add(candidate.lower())
        return candidate


def roster_import(
    *, course: Course, rows: list[RosterRow], by: User | None = None
) -> list[RosterRow]:
    """Create missing accounts and enrollments for the valid ROWS, imported by BY;
    report every row.

    Rows are checked one by one and rejected rows are only reported; the accepted
    rows are then written in a single transaction. If the database refuses any of
    them, nothing is written and every accepted row says why. Existing enrollments
    keep their role. Everyone newly enrolled whose account has no password yet is
    emailed an invitation to choose one, once the roster is saved.
    """
    _roster_validate(rows)
    _roster_refuse_lookalikes([row for row in rows if not row.outcome])
    accepted = [row for row in rows if not row.outcome]
    try:
        # The accounts and enrollments are inserted a few hundred at a time (5,000
        # rows one INSERT each took most of a minute, past a worker's timeout).
        _roster_save(course, accepted, one_by_one=False, by=by)
    except DatabaseError:
        # Someone else created one of these accounts or enrollments meanwhile, a value
        # does not fit, or the database failed: the roster is saved whole or not at
        # all. Saved again row by row, to tell the importer which line it was.
        for row in accepted:
            row.outcome, row.detail, row.invited = "", "", False
        failed = _RosterFailure()
        try:
            _roster_save(course, accepted, one_by_one=True, failed=failed, by=by)
        except DatabaseError as exc:
            logger.warning("Roster import for %s rolled back", course, exc_info=True)
            _roster_refused(accepted, exc, failed.row)
        else:  # the conflict is gone (a concurrent import committed meanwhile)
            logger.info("Roster import for %s saved row by row after a conflict", course)
    return rows


def _roster_refuse_lookalikes(rows: list[RosterRow]) -> None:
    """Reject the new addresses that an account's, or an earlier new row's, matches
    when case is ignored.

    Addresses are canonical (lowercased), so an account is found by its address
    exactly; one found only ignoring case differs in a look-alike letter (PostgreSQL
    makes the dotless "ı" an "I"). Sign-up and the profile refuse such an address too.
    """
    existing: set[str] = set()
    for start in range(0, len(rows), 200):
        chunk = rows[start : start + 200]
        loose = Q()
        for row in chunk:
            loose |= Q(email__iexact=row.email)
        found = set(User.objects.filter(loose).values_list("email", flat=True))
        existing |= found
        others = {email.upper() for email in found}
        for row in chunk:
            if row.email not in found and row.email.upper() in others:
                row.outcome = RosterOutcome.REJECTED
                row.detail = (
                    "another account's address differs from this one only in a look-alike "
                    "letter: check the address"
                )
    # Two new addresses of this file may be such twins too: the first one stands.
    first_of: dict[str, str] = {}
    for row in rows:
        if row.outcome or row.email in existing:
            continue
        twin = first_of.setdefault(row.email.upper(), row.email)
        if twin != row.email:
            row.outcome = RosterOutcome.REJECTED
            row.detail = (
                f"its address differs from {twin}'s, earlier in this file, only in a "
                "look-alike letter: check the address"
            )


@dataclass
class _RosterFailure:
    row: RosterRow | None = None  # the row being saved when the database refused


@transaction.atomic
def _roster_save(
    course: Course,
    accepted: list[RosterRow],
    *,
    one_by_one: bool,
    failed: _RosterFailure | None = None,
    by: User | None = None,
) -> None:
    emails = [row.email for row in accepted]
    users: dict[str, User] = {}
    for start in range(0, len(emails), 500):
        found = User.objects.filter(email__in=emails[start : start + 500])
        users.update((user.email.lower(), user) for user in found)
    enrolled = dict(
        Enrollment.objects.filter(course=course, user__in=users.values()).values_list(
            "user_id", "role"
        )
    )
    kept_from_reclaim = unconfirmed_elsewhere(users.values(), course, by=by)
    usernames = _Usernames([row.email for row in accepted if row.email not in users])
    new_users: list[User] = []
    new_enrollments: list[tuple[User, RosterRow]] = []
    reclaimed: list[tuple[User, RosterRow]] = []  # already enrolled
    for row in accepted:
        user = users.get(row.email)
        if user is not None and not user.is_active and user.pk not in enrolled:
            row.outcome = RosterOutcome.REJECTED
            row.detail = CLOSED_ACCOUNT[0].lower() + CLOSED_ACCOUNT[1:].rstrip(".")
            continue
        if user is not None and user.pk in enrolled:
            row.outcome = RosterOutcome.ALREADY
            row.detail = f"as {Role(enrolled[user.pk]).label.lower()}; role left unchanged"
            # Joined with the course key under this address and never confirmed it:
            # students join before the roster is loaded, so a squatter sits here first.
            if user.pk in kept_from_reclaim:
                row.detail += (
                    "; its address was never confirmed, but the account is in a course you "
                    "do not teach too, so its password was left: ask its owner to confirm it"
                )
            elif reclaim_unconfirmed(user, name=row.name):
                row.detail += "; its address was never confirmed: its password was cleared"
                reclaimed.append((user, row))
            continue
        if user is not None and user.pk in kept_from_reclaim:
            row.outcome = RosterOutcome.REJECTED
            message = unconfirmed_elsewhere_message(user)
            row.detail = message[0].lower() + message[1:].rstrip(".")
            continue
        if user is None:
            user = User(username=usernames.free(row.email), email=row.email, display_name=row.name)
            user.email = normalize_email(user.email)  # as User.save() does
            # No password: the invitation's link lets the person choose one.
            user.set_unusable_password()
            users[row.email] = user
            new_users.append(user)
            row.outcome = RosterOutcome.CREATED
            row.detail = f"username {user.username}"
        else:
            # Not named: whoever has an account is enrolled, but the importer learns
            # no more of it than the email address they typed.
            row.outcome = RosterOutcome.ENROLLED
            row.detail = "existing account"
            if reclaim_unconfirmed(user, name=row.name):  # invited below, at the address
                row.detail += " whose address was never confirmed: its password was cleared"
        new_enrollments.append((user, row))
        row.detail += f", as {Role(row.role).label.lower()}"
    if one_by_one:
        made = []
        for user, row in new_enrollments:
            failed.row = row
            if user.pk is None:
                user.save()
            made.append(Enrollment.objects.create(user=user, course=course, role=row.role))
        failed.row = None
    else:
        # PostgreSQL and SQLite (3.35+) return the new accounts' and enrollments' ids.
        User.objects.bulk_create(new_users, batch_size=500)
        made = Enrollment.objects.bulk_create(
            [Enrollment(user=user, course=course, role=row.role) for user, row in new_enrollments],
            batch_size=500,
        )
    invited = []
    for user, row in new_enrollments + reclaimed:
        if is_invitable(user):
            invited.append(user)
            row.invited = True
            row.detail += f"; invitation emailed to {user.email}"
    invitations_send(users=invited)  # queued on commit: not if this rolls back
    told = {enrollment.user_id for enrollment in enrollments_notify(made)}
    for user, row in new_enrollments:
        if user.pk in told:
            row.detail += "; told by email"


def enrollments_reclaim(enrollments: list[Enrollment]) -> list[User]:
    """Reclaim for their mailbox the accounts of ENROLLMENTS, made by an instructor for
    an address they typed or picked, whose owner never confirmed it, and invite each to
    choose a password; return them.

    Anyone may have typed that address at sign-up: the course goes to whoever holds
    the mailbox, not to whoever chose the password (accounts.confirmation).
    """
    reclaimed = [
        enrollment.user for enrollment in enrollments if reclaim_unconfirmed(enrollment.user)
    ]
    invitations_send(users=reclaimed)  # on commit
    return reclaimed


NOTICE_AGAIN_AFTER = timedelta(days=1)


def course_message_send(
    *, by: User, enrollments: Iterable[Enrollment], subject: str, message: str
) -> list[Enrollment]:
    """Email SUBJECT and MESSAGE from BY (answers go to BY's address) to the people of
    ENROLLMENTS who can receive it (an active account with an address), once the current
    transaction commits, a task per hundred; return them. The rows are those BY teaches:
    the caller scoped them (the back office's course-scoped list)."""
    told = [e for e in enrollments if e.user.is_active and e.user.email]
    for chunk in in_chunks([enrollment.pk for enrollment in told]):
        transaction.on_commit(
            partial(
                send_course_message.enqueue,
                enrollment_ids=chunk,
                sender_id=by.pk,
                subject=subject,
                message=message,
            )
        )
    return told


def enrollments_notify(enrollments: list[Enrollment]) -> list[Enrollment]:
    """Tell the people of ENROLLMENTS, made for them by an instructor, once the current
    transaction commits; return those told.

    An existing account enrolled by a roster or by hand was enrolled silently: nobody
    learnt that an instructor they may not know now sees their name and progress.
    Accounts without a password yet get their invitation instead, which names the course.
    """
    told = [
        enrollment
        for enrollment in enrollments
        if enrollment.user.is_active and enrollment.user.email and not is_invitable(enrollment.user)
    ]
    if told:
        # Removed and enrolled again within a day: told once already. Otherwise each
        # cycle mailed them again, text of the instructor's choosing (the course title)
        # in its subject, without limit.
        since = timezone.now() - NOTICE_AGAIN_AFTER
        recent = set(
            Removal.objects.filter(
                course_id__in={enrollment.course_id for enrollment in told},
                user_id__in=[enrollment.user_id for enrollment in told],
                removed_at__gte=since,
            ).values_list("course_id", "user_id")
        )
        told = [e for e in told if (e.course_id, e.user_id) not in recent]
    if told:
        ids = [enrollment.pk for enrollment in told]
        # A task per hundred, as invitations: a roster of 5,000 in one task could outlast
        # the hour after which a running task is taken for lost (probe 56).
        for chunk in in_chunks(ids):
            transaction.on_commit(partial(send_enrollment_notices.enqueue, enrollment_ids=chunk))
    return told


def _roster_refused(accepted: list[RosterRow], exc: DatabaseError, failed: RosterRow | None):
    """Mark every accepted row as not saved, FAILED (the row the database refused) first."""
    if isinstance(exc, IntegrityError):
        reason = "an account or enrollment for it was created meanwhile"
    elif isinstance(exc, DataError):
        reason = "a value does not fit in the database"
    else:
        reason = "the database refused it"
    for row in accepted:
        row.outcome = RosterOutcome.REJECTED
        row.invited = False
        if row is failed:
            row.detail = f"not saved: {reason}; nothing from this file was saved"
        else:
            row.detail = (
                f"not saved: line {failed.line if failed else '?'} could not be saved, "
                "and a roster is saved whole or not at all; upload the file again"
            )


# Reports ----------------------------------------------------------------------
@dataclass
class ReportRow:
    user: User
    modules: list[Progress]
    overall: Progress
    quiz: Progress = field(default_factory=lambda: Progress(0, 0))  # questions right
    # The latest lesson marked complete, quiz answered or exercise tried in the course.
    last_work: datetime | None = None


# The progress report's orders: who is behind, who has gone quiet.
REPORT_ORDERS = {
    "name": "name",
    "progress": "lowest progress first",
    "last-work": "longest without work first",
}
# "Never" for the database's comparison: GREATEST is NULL if one value is (SQLite).
_NO_WORK = datetime(1970, 1, 1, tzinfo=UTC)


def course_report_students(course: Course, *, search: str = "", order: str = "name"):
    """The course's students whose name, username or email holds SEARCH, in ORDER (one of
    REPORT_ORDERS; by name within it), each with ``lessons_done`` (published lessons
    marked complete) and ``last_work`` (a User queryset: the report's page cuts it)."""
    students = User.objects.filter(enrollments__course=course, enrollments__role=Role.STUDENT)
    if search:
        students = students.filter(people_matching(search))
    published = Lesson.objects.published().filter(module__course=course)
    students = students.annotate(
        lessons_done=Coalesce(
            _per_student(LessonCompletion.objects.filter(lesson__in=published), Count("pk")), 0
        ),
        last_work=Greatest(
            *(
                Coalesce(_per_student(work, Max(at)), Value(_NO_WORK))
                # In the lessons the report counts (probe 105: work in a draft made a
                # student at 0 % the latest at work).
                for work, at in (
                    (LessonCompletion.objects.filter(lesson__in=published), "completed_at"),
                    (Attempt.objects.filter(question__lesson__in=published), "created_at"),
                    (ExerciseAttempt.objects.filter(exercise__lesson__in=published), "created_at"),
                )
            ),
            output_field=DateTimeField(),
        ),
    )
    first = {"progress": ["lessons_done"], "last-work": ["last_work"]}.get(order, [])
    return students.order_by(*first, *name_sort_keys())


def _per_student(rows: QuerySet, aggregate) -> Subquery:
    """AGGREGATE over the ROWS of the student of the outer query."""
    return Subquery(
        rows.filter(user=OuterRef("pk")).order_by().values("user").annotate(v=aggregate).values("v")
    )


def course_progress_report(
    *, course: Course, students: Iterable[User] | None = None
) -> tuple[list[Module], list[ReportRow]]:
    """Return the published modules and, per student (STUDENTS, else every student of
    the course), the progress in each and the questions of the course's quizzes they
    have right (5 queries)."""
    modules = list(
        course.modules.published()
        .annotate(
            lesson_count=Count("lessons", filter=Q(lessons__is_published=True), distinct=True)
        )
        .order_by("order", "pk")
    )
    students = list(course_report_students(course) if students is None else students)
    done: dict[tuple[int, int], int] = {}
    completions = (
        LessonCompletion.objects.filter(
            user__in=[s.pk for s in students],
            lesson__in=Lesson.objects.published().filter(module__course=course),
        )
        .values("user_id", "lesson__module_id")
        .annotate(n=Count("pk"))
    )
    for item in completions:
        done[(item["user_id"], item["lesson__module_id"])] = item["n"]
    total = sum(m.lesson_count for m in modules)
    questions, right = quiz_scores(
        users=[s.pk for s in students],
        lessons=Lesson.objects.published().filter(module__course=course),
    )
    rows = []
    for student in students:
        cells = [Progress(done.get((student.pk, m.pk), 0), m.lesson_count) for m in modules]
        rows.append(
            ReportRow(
                user=student,
                modules=cells,
                overall=Progress(sum(c.done for c in cells), total),
                quiz=Progress(right.get(student.pk, 0), questions),
                last_work=_work_time(getattr(student, "last_work", None)),
            )
        )
    return modules, rows


def _work_time(value: datetime | None) -> datetime | None:
    if value is None or value <= _NO_WORK:
        return None
    return value


# Course bundles ---------------------------------------------------------------
@dataclass
class ImportReport:
    course: Course
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_bundle: list[str] = field(default_factory=list)
    # What students' work the import changed (answers re-marked or deleted), per lesson.
    notices: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# The reason an import's saves give in the content history (Course, Module, Lesson).
IMPORT_REASON = "import_course"


def _apply(obj, values: dict, report: ImportReport, label: str, doc=None) -> None:
    """Save OBJ only if VALUES change it, so a repeated import touches nothing. DOC, the
    bundle's file of it, says whether it had a ``published:`` line."""
    obj._change_reason = IMPORT_REASON
    if (
        doc is not None
        and doc.meta.get("published") is None  # left out, or left empty
        and obj.pk is not None
        and obj.is_published
        and not values.get("is_published")
    ):
        # Unpublished by a line left out (probe 130: said nowhere).
        report.notices.append(
            f"{label} has no 'published:' value, so it is a draft now, hidden from students: "
            "add 'published: true' to its front matter to keep it published."
        )
    if obj.pk is None:
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        report.created.append(label)
        return
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        report.unchanged += 1
        return
    if notice := _replaced_edit(obj, label):
        report.notices.append(notice)
    for name in changed:
        setattr(obj, name, values[name])
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        changed.append("updated_at")
    obj.save(update_fields=changed)
    report.updated.append(f"{label} ({', '.join(sorted(set(changed) - {'updated_at'}))})")


def _replaced_edit(obj, label: str) -> str:
    """Say that importing replaces OBJ's last edit, if a person made it in the back office
    rather than an import (probe 79: an old checkout imported silently undid an
    instructor's edit). Its versions stay in the History."""
    history = getattr(obj, "history", None)
    if history is None:
        return ""
    last = history.select_related("history_user").order_by("-history_date", "-pk").first()
    if last is None or last.history_user is None or last.history_change_reason == IMPORT_REASON:
        return ""
    return (
        f"{label}: replaces the edit {last.history_user} saved in the back office on "
        f"{local_text(last.history_date)} (its earlier versions stay in its History)"
    )


def course_import(
    *,
    path: Path | str,
    slug: str | None = None,
    dry_run: bool = False,
    delete_answers: bool = False,
) -> ImportReport:
    """Create or update a course from the bundle at PATH; all or nothing.

    Lessons are matched by slug within the course (so a renamed lesson is updated,
    and a lesson may move between modules), modules by their folder's slug, a lesson's
    attachments by file name, then by title.
    Content in the database that the bundle does not mention is left alone and
    reported: deleting it would also delete students' progress.
    Raise BundleError (file:line messages) for a bad bundle, before writing anything.
    DRY_RUN: report what would change, then roll back.
    A lesson whose bundle no longer holds a question or exercise that students answered
    is refused (BundleError), as the back office asks first: DELETE_ANSWERS deletes
    their work with it, and the report says how much.
    The attachment files stored are deleted again when it fails or on DRY_RUN; not when
    a caller's own transaction rolls back later (the command runs it in none).
    """
    # The rows naming the files stored are rolled back on failure: so are the files.
    with files_removed_on_failure() as stored:
        with transaction.atomic():
            report = _course_import(bundle.read_course(Path(path)), slug, delete_answers)
            if dry_run:
                transaction.set_rollback(True)
        if dry_run:
            stored.delete()
    return report


def _course_import(data: bundle.CourseData, slug: str | None, delete_answers: bool) -> ImportReport:
    where = f"the slug given ({slug})" if slug else data.doc.where("slug")
    slug = slug or data.slug
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        # As the back office refuses it: /courses/Tiny/ beside /courses/tiny/ (probe 68).
        clash = Course.objects.filter(slug__iexact=slug).values_list("slug", flat=True).first()
        if clash is not None:
            raise bundle.BundleError(
                [
                    f"{where}: another course already uses this slug (in any capitals): "
                    f"{clash}. Import with --slug {clash} to update it, or choose another "
                    "slug."
                ]
            )
        course = Course(slug=slug)
    report = ImportReport(course=course)
    _apply(
        course,
        {
            "title": data.title,
            "code": data.code,
            "term": data.term,
            "is_published": data.published,
            "summary": data.summary,
            "objectives": data.objectives,
            "prerequisites": data.prerequisites,
        },
        report,
        f"course {slug}",
        data.doc,
    )
    modules = list(course.modules.all())
    by_slug = {m.slug: m for m in modules}  # every module has one (Module.save)
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.filter(module__course=course)}
    seen_modules, seen_lessons = set(), set()
    new_titles: dict[str, str] = {}  # title, folded -> the slug of a lesson made now
    if not delete_answers:
        _refuse_taking_out_answers(data, lessons)
    for module_data in data.modules:
        module = by_slug.get(module_data.slug) or Module(course=course)
        _apply(
            module,
            {
                "slug": module_data.slug,
                "title": module_data.title,
                "order": module_data.order,
                "is_published": module_data.published,
                "summary": module_data.summary,
            },
            report,
            f"module {module_data.slug}",
            module_data.doc,
        )
        seen_modules.add(module.pk)
        for lesson_data in module_data.lessons:
            lesson = lessons.get(lesson_data.slug) or Lesson(slug=lesson_data.slug)
            is_new = lesson.pk is None
            if is_new:
                new_titles[lesson_data.title.casefold()] = lesson_data.slug
            _apply(
                lesson,
                {
                    "module_id": module.pk,
                    "title": lesson_data.title,
                    "order": lesson_data.order,
                    "estimated_minutes": lesson_data.estimated_minutes,
                    "is_published": lesson_data.published,
                    "quiz_required": lesson_data.quiz_required,
                    "quiz_pass_mark": lesson_data.quiz_pass_mark,
                    "quiz_max_tries": lesson_data.quiz_max_tries,
                    "body": lesson_data.body,
                },
                report,
                f"lesson {lesson_data.slug}",
                lesson_data.doc,
            )
            practice = lesson_practice_sync(lesson=lesson, practice=lesson_data.practice)
            # A new lesson's questions are part of it, counted once among the created.
            if practice.changed and not is_new:
                report.updated.append(
                    f"lesson {lesson_data.slug} (questions and exercises: {practice.created} "
                    f"new, {practice.updated} changed, {practice.deleted} removed)"
                )
            report.notices += [f"lesson {lesson_data.slug}: {n}" for n in practice.notices]
            _attachments_import(lesson, lesson_data.attachments, report)
            problems = lesson_images_point_at_files(lesson)
            report.notices += [f"lesson {lesson_data.slug}: {p}" for p in problems]
            seen_lessons.add(lesson.pk)
    left_alone = [lesson for lesson in lessons.values() if lesson.pk not in seen_lessons]
    report.not_in_bundle = (
        [f"module {m}" for m in modules if m.pk not in seen_modules]
        + [f"lesson {lesson.slug}" for lesson in left_alone]
        + report.not_in_bundle  # the attachments, added lesson by lesson
    )
    # A slug changed in the bundle makes a new lesson beside the old one, which keeps
    # its students' work and stays as it was (probe 130: two lessons of one title).
    for lesson in left_alone:
        if (slug := new_titles.get(lesson.title.casefold())) is not None:
            report.notices.append(
                f"lesson {slug} is new, and lesson {lesson.slug} of the same title is no "
                "longer in the bundle: if its slug was changed, the new lesson is a copy, "
                f"and the students' completions and answers stay on {lesson.slug}"
                f"{', which is still published' if lesson.is_published else ''}. Put its "
                "slug back in the bundle to update it, or unpublish or delete it in the back "
                "office."
            )
    return report


def _refuse_taking_out_answers(data: bundle.CourseData, lessons: dict[str, Lesson]) -> None:
    """Raise BundleError naming each lesson of DATA that would take out questions or
    exercises students answered (their work would go with them), before anything is
    written; LESSONS: the course's, by slug."""
    errors = []
    for module_data in data.modules:
        for lesson_data in module_data.lessons:
            lesson = lessons.get(lesson_data.slug)
            if lesson is None:
                continue
            lost = answered_blocks_taken_out(lesson, lesson_data.practice)
            if lost:
                refusal = answered_blocks_refusal(
                    lost, to_delete="import with --delete-answers", doing="Importing"
                )
                errors.append(f"{lesson_data.doc.label}:{lesson_data.doc.body_line}: {refusal}")
    if errors:
        raise bundle.BundleError(errors)


def lesson_images_point_at_files(lesson: Lesson, *, files_changed: bool = True) -> list[str]:
    """Render LESSON's text again once its files are saved (they are saved after it), so
    that its images written with a file's name point at that file; return what its
    author is told of images readers will not see and links to files that are not
    attached (``rendering.image_problems``, ``link_problems``).
    FILES_CHANGED false: its files are those its save rendered it with, nothing to redo."""
    attached = lesson.attached_files()
    if files_changed:
        before = lesson.body_html
        lesson.render(attached)
        if lesson.body_html != before:
            Lesson.objects.filter(pk=lesson.pk).update(body_html=lesson.body_html)
    return image_problems(lesson.body_html, attached) + link_problems(lesson.body_html, attached)


def _attachments_import(
    lesson: Lesson, entries: list[bundle.AttachmentData], report: ImportReport
) -> None:
    """Give LESSON (saved) the attachments ENTRIES list; leave and report the others."""
    matches, others = _attachment_matches(list(lesson.attachments.all()), entries)
    for entry, attachment in zip(entries, matches, strict=True):
        name = bundle.stored_name(entry.path.name)
        attachment = attachment or LessonAttachment(lesson=lesson)
        is_new = attachment.pk is None
        changed = [
            field
            for field, value in (("title", entry.title), ("order", entry.order))
            if getattr(attachment, field) != value
        ]
        new_file = is_new or not _same_bytes(attachment.file, entry.path)
        if not (changed or new_file):
            report.unchanged += 1
            continue
        old_file = attachment.file.name
        attachment.title, attachment.order = entry.title, entry.order
        _attachment_save(attachment, entry, name if new_file else None)
        label = f"attachment {name} of lesson {lesson.slug}"
        if is_new:
            report.created.append(label)
            continue
        if new_file:
            changed.append("file")
            delete_file_on_commit(attachment.file.storage, old_file)
        report.updated.append(f"{label} ({', '.join(sorted(changed))})")
    report.not_in_bundle += [
        f"attachment {other.filename} of lesson {lesson.slug}" for other in others
    ]


def _attachment_matches(
    existing: list[LessonAttachment], entries: list[bundle.AttachmentData]
) -> tuple[list[LessonAttachment | None], list[LessonAttachment]]:
    """Return the attachment each of ENTRIES updates (None: a new one) and those left.

    File names first, then titles: a file renamed in the bundle keeps its attachment,
    and a title matching does not take the attachment another entry names by file.
    """
    left = list(existing)
    matches: list[LessonAttachment | None] = [None] * len(entries)
    rules = (
        lambda attachment, entry: attachment.filename == bundle.stored_name(entry.path.name),
        lambda attachment, entry: attachment.title == entry.title,
    )
    for same in rules:
        for index, entry in enumerate(entries):
            if matches[index] is None:
                found = next((attachment for attachment in left if same(attachment, entry)), None)
                if found is not None:
                    left.remove(found)
                    matches[index] = found
    return matches, left


def _attachment_save(
    attachment: LessonAttachment,
    entry: bundle.AttachmentData,
    name: str | None,
) -> None:
    """Save ATTACHMENT, with ENTRY's file stored as NAME unless None (kept as it is).

    Checked first as the back office's form checks an upload (the name's length): a
    refusal names ENTRY's line in the bundle.
    """
    with entry.path.open("rb") as handle:
        if name is not None:
            attachment.file = File(handle, name=name)
        try:
            attachment.full_clean()
        except ValidationError as exc:
            raise bundle.BundleError([f"{entry.where}: {text}" for text in exc.messages]) from None
        if name is not None:
            store_file(attachment.file, name, File(handle))
    attachment.save()


def _same_bytes(stored: FieldFile, path: Path) -> bool:
    """Whether the file STORED holds PATH's bytes; not when the storage lost it."""
    try:
        if not stored or stored.storage.size(stored.name) != path.stat().st_size:
            return False
        with stored.storage.open(stored.name, "rb") as theirs, path.open("rb") as ours:
            return _digest(theirs) == _digest(ours)
    except OSError:
        return False


def _digest(handle) -> bytes:
    return hashlib.file_digest(handle, "sha256").digest()


@dataclass
class CopyReport:
    course: Course
    modules: int = 0
    lessons: int = 0
    attachments: int = 0
    # What the other apps' copies say an instructor should know (a date moved).
    notes: list[str] = field(default_factory=list)


@transaction.atomic
@files_removed_on_failure()
def course_copy(
    *, course: Course, by: User, title: str, slug: str, term: str, shift: timedelta
) -> CopyReport:
    """Copy COURSE for a new run: its content and what other apps hang on it, not its people.

    The copy is unpublished, with a new enrollment key, TITLE, SLUG and TERM; BY (who
    asked) teaches it. Modules, lessons with their questions and exercises (rebuilt
    from the lessons' Markdown) and attachments (their files copied) come along, and,
    through ``course_copied``, the projects with their dates moved by SHIFT, rubrics
    and test suites, all unpublished. No enrollment but BY's, no progress, answers,
    groups, submissions, reviews or marks. A missing attachment file stops the copy
    (ValidationError naming it): nothing is written.
    """
    copy = copy_of(
        course,
        title=title,
        slug=slug,
        term=term,
        is_published=False,
        enrollment_key=new_enrollment_key(),
        content_version=0,
    )
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        # The form checked the slug, but the same copy sent twice at once (a double
        # click) saves one course: the other hears why, not a server error (probe 36).
        raise ValidationError(
            {"slug": "Another course already uses this slug (in any capitals)."}
        ) from None
    report = CopyReport(course=copy)
    for module in course.modules.order_by("order", "pk"):
        new_module = copy_of(module, course_id=copy.pk)
        new_module.save()
        report.modules += 1
        lessons = module.lessons.order_by("order", "pk").prefetch_related("attachments")
        for lesson in lessons:
            new_lesson = copy_of(lesson, module_id=new_module.pk)
            new_lesson.save()
            lesson_practice_sync(lesson=new_lesson)
            report.lessons += 1
            for attachment in lesson.attachments.all():
                new_attachment = copy_of(attachment, lesson_id=new_lesson.pk)
                try:
                    copy_file(attachment.file, new_attachment.file)
                except FileNotFoundError as exc:
                    raise ValidationError(
                        f"The file of “{attachment.title}” ({lesson.title}) is missing from "
                        "the server, so nothing was copied: upload it again, or delete "
                        "that attachment, then copy the course."
                    ) from exc
                new_attachment.save()
                report.attachments += 1
            # Its images and links written with a file's name point at the copied files
            # (probe 85: they pointed at the name, broken in every copied lesson).
            lesson_images_point_at_files(new_lesson)
    enrollment_create(user=by, course=copy, role=Role.INSTRUCTOR)
    for _receiver, notes in course_copied.send(
        sender=Course, source=course, copy=copy, shift=shift
    ):
        report.notes.extend(notes or ())
    return report


def _distinct_orders(items: list) -> dict[int, int]:
    """Each of ITEMS' (sorted) order, moved past the one before it when they are equal:
    two lessons of order 1 (the back office allows it; students see them one after the
    other) exported to a bundle its import refused (probe 68). Other orders are kept."""
    orders, last = {}, None
    for item in items:
        order = item.order if last is None else max(item.order, last + 1)
        orders[item.pk] = last = order
    return orders


def course_export(*, course: Course, path: Path | str) -> list[Path]:
    """Write COURSE as a bundle into the folder PATH; return the files written.

    Each lesson's attachments go beside it, in "<lesson file's name>.files/", listed in
    its front matter. Raise ValidationError naming every attachment whose file the
    storage lost, before anything is written.
    """
    root = Path(path)
    modules = list(course.modules.order_by("order", "pk").prefetch_related("lessons__attachments"))
    _refuse_lost_attachments(modules)
    written = []
    course_file = root / bundle.COURSE_FILE
    bundle.write_document(
        course_file,
        {
            "title": course.title,
            "slug": course.slug,
            "code": course.code,
            "term": course.term,
            "published": course.is_published,
            "objectives": course.objectives,
            "prerequisites": course.prerequisites,
        },
        course.summary,
    )
    written.append(course_file)
    module_orders = _distinct_orders(modules)
    for module in modules:
        order = module_orders[module.pk]
        folder = root / bundle.module_folder(order, module.slug)
        bundle.write_document(
            folder / bundle.MODULE_FILE,
            {"title": module.title, "order": order, "published": module.is_published},
            module.summary,
        )
        written.append(folder / bundle.MODULE_FILE)
        lessons = sorted(module.lessons.all(), key=lambda item: (item.order, item.pk))
        lesson_orders = _distinct_orders(lessons)
        for lesson in lessons:
            lesson_file = folder / bundle.lesson_filename(lesson_orders[lesson.pk], lesson.slug)
            meta = {
                "title": lesson.title,
                "slug": lesson.slug,
                "order": lesson_orders[lesson.pk],
                "estimated_minutes": lesson.estimated_minutes,
                "published": lesson.is_published,
            }
            # Only when set, so a course without quizzes exports as it always did.
            if lesson.quiz_required:
                meta["quiz_required"] = True
            if lesson.quiz_pass_mark != Lesson._meta.get_field("quiz_pass_mark").default:
                meta["quiz_pass_mark"] = lesson.quiz_pass_mark
            if lesson.quiz_max_tries is not None:
                meta["quiz_max_tries"] = lesson.quiz_max_tries
            files = folder / bundle.attachments_folder(lesson_file.name)
            entries = _attachments_export(lesson, files)
            if entries:
                meta["attachments"] = entries
                written += [files / PurePosixPath(entry["file"]).name for entry in entries]
            # The body keeps its ```question and ```exercise blocks: they are the source
            # of the lesson's Question and Exercise rows, written back as they were.
            bundle.write_document(lesson_file, meta, lesson.body)
            written.append(lesson_file)
    return written


def _refuse_lost_attachments(modules: list[Module]) -> None:
    lost = [
        f"“{attachment.title}” ({attachment.filename or 'no file'}) of lesson {lesson.slug}"
        for module in modules
        for lesson in module.lessons.all()
        for attachment in lesson.attachments.all()
        if not attachment.file or not attachment.file.storage.exists(attachment.file.name)
    ]
    if lost:
        raise ValidationError(
            "The files of these attachments are missing from the server, so nothing was "
            f"exported: {'; '.join(lost)}. Upload each again, or delete the attachment, "
            "then export again."
        )


def _attachments_export(lesson: Lesson, folder: Path) -> list[dict]:
    """Copy LESSON's attachment files into FOLDER; return their front matter entries."""
    taken: set[str] = set()
    entries = []
    for attachment in sorted(lesson.attachments.all(), key=lambda item: (item.order, item.pk)):
        name = bundle.attachment_filename(attachment.file.name, taken)
        folder.mkdir(parents=True, exist_ok=True)
        with attachment.file.storage.open(attachment.file.name, "rb") as source:
            with (folder / name).open("wb") as target:
                shutil.copyfileobj(source, target)
        entries.append(
            {"title": attachment.title, "file": f"{folder.name}/{name}", "order": attachment.order}
        )
    return entries
