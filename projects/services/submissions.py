"""Versioned group submissions: checked before they are stored, numbered under a lock."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import punycode

from access import policy
from accounts.models import User
from accounts.validators import shows_something
from coursesite.dates import local_text
from coursesite.limits import daily_limit
from projects.archives import format_bytes, sha256_of, validate_zip
from projects.models import Group, LateVersionRule, ProjectAssignment, Submission
from projects.signals import submission_created

NOT_A_MEMBER = "Only members of this group can submit its work."
NOTHING_GIVEN = {
    "zip": "Choose the zip archive of your project to upload.",
    "url": "Give the URL of your project's repository.",
    "both": "Upload a zip archive of your project, give a repository URL, or both.",
}
NO_ZIP = "This project does not accept zip archives: give a repository URL."
NO_URL = "This project does not accept repository URLs: upload a zip archive."
HTTPS_ONLY = "Give the repository's https:// address, e.g. https://github.com/team/project."
NO_CREDENTIALS = "Remove the user name or token from the URL: never share credentials here."
NOT_PUBLIC = (
    "Give the repository's public address, e.g. https://github.com/team/project: an "
    "address on your own computer or a private network does not open for your graders."
)
MALFORMED_URL = (
    "This is not a web address as a browser reads it: check it for typing mistakes, "
    "e.g. https://github.com/team/project."
)
SPACES_IN_URL = (
    "A web address has no spaces in it: remove them, e.g. https://github.com/team/project."
)
BAD_PORT = (
    "The number after the “:” in this address is not a port a server can use (1 to "
    "65535): remove it, e.g. https://github.com/team/project."
)
LOOK_ALIKE_HOST = (
    "Give the repository's address with its host name in plain letters (for example "
    "github.com): this one holds look-alike letters."
)
COMMIT_FORMAT = "A commit is 7 to 40 hexadecimal characters (0-9, a-f), e.g. 3f2c9ab."
COMMIT_NEEDS_URL = "Give the repository URL the commit belongs to."
TOO_LARGE = "This file is %(size)s; the limit for this project is %(limit)s."
EMPTY_FILE = "This file is empty. Please upload the zip archive of your project."
NOTE_MAX_LENGTH = 2000

_COMMIT_RE = re.compile(r"[0-9a-f]{7,40}")
# Checked last, once the scheme, host and port have had their own messages: whatever it
# refuses then is a typing mistake.
_validate_https_url = URLValidator(schemes=["https"], message=MALFORMED_URL)


INVISIBLE_IN_URL = (
    "This link contains invisible characters (such as a zero-width space): type or "
    "paste the address again."
)


def clean_repository_url(url: str) -> str:
    """Return URL stripped, or raise ValidationError unless it is a plain https URL.

    Each refusal names its own reason; URLValidator has one message for them all.
    """
    url = url.strip()
    if not url:
        return ""
    # Invisible characters make a link read as another ("git\u200bhub.com" shows
    # as github.com to the grader who follows it).
    if any(unicodedata.category(character) == "Cf" for character in url):
        raise ValidationError(INVISIBLE_IN_URL, code="invisible")
    # https only: plain http can be rewritten on the way, and every code host serves
    # https. Other schemes (git://, ssh, file:, javascript:) are never a link we want
    # graders to open.
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() != "https":
        raise ValidationError(HTTPS_ONLY, code="https_only")
    if any(character.isspace() for character in url):
        raise ValidationError(SPACES_IN_URL, code="spaces")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "https://[::1/a", a bracket left open
        raise ValidationError(MALFORMED_URL, code="invalid") from exc
    if parts.username or parts.password:
        raise ValidationError(NO_CREDENTIALS, code="credentials")
    try:
        port = parts.port  # ValueError: out of range (99999) or not a number
    except ValueError:
        port = 0
    if port == 0:
        raise ValidationError(BAD_PORT, code="port")
    host = parts.hostname or ""
    try:  # a host no browser can reach: an empty label, or one over 63 characters encoded
        punycode(host.rstrip(".") or "..")
    except UnicodeError as exc:
        if host.isascii():  # "https:///a", "github..com": a typing mistake
            raise ValidationError(MALFORMED_URL, code="invalid") from exc
        raise ValidationError(NOT_PUBLIC, code="not_public") from exc
    # "gіthub.com" with a Cyrillic "і" reads as github.com on the grader's page. As
    # sign-up does for usernames, the plain letters are asked for, not guessed.
    if not host.isascii():
        raise ValidationError(LOOK_ALIKE_HOST, code="look_alike_host")
    if not _spelled_as_a_host(host):  # "-oProxyCommand=x" was told it was private
        raise ValidationError(MALFORMED_URL, code="invalid")
    if not _is_public_host(host):
        raise ValidationError(NOT_PUBLIC, code="not_public")
    _validate_https_url(url)
    return url


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z", re.IGNORECASE)


def _spelled_as_a_host(host: str) -> bool:
    """Whether HOST is an IPv6 address (checked apart) or dot-separated labels of
    letters, digits and inner hyphens, as every host name is."""
    return ":" in host or all(_HOST_LABEL.match(label) for label in host.rstrip(".").split("."))


# Names that never resolve on the public internet: special-use domains (RFC 6761, 6762,
# 7686, 8375, 9476: mDNS, Tor, home networks, test and example names, reverse-lookup
# zones) and the suffixes intranets commonly use (ICANN's "name collision" list).
_NOT_PUBLIC_SUFFIXES = (
    "alt",
    "arpa",  # home.arpa, and the reverse zones in-addr.arpa and ip6.arpa
    "corp",
    "example",
    "home",
    "internal",
    "intranet",
    "invalid",
    "lan",
    "local",
    "localdomain",
    "localhost",
    "onion",
    "private",
    "test",
)


def _is_public_host(host: str) -> bool:
    """Whether HOST names a machine on the internet, as far as its spelling tells.

    A link to localhost, a private or loopback address, a one-word intranet name or a
    name under a special-use or intranet suffix (git.internal, nas.lan) opens something
    on the grader's own machine or network, never the students' code. Browsers read
    "127.1", "2130706433" and "0x7f000001" as 127.0.0.1: so does this.
    """
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = _browser_ipv4(host)
        if address is None:
            return "." in host and host.rsplit(".", 1)[1] not in _NOT_PUBLIC_SUFFIXES
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 machine: "::ffff:10.0.0.1",
        # and "64:ff9b::7f00:1", the NAT64 form of 127.0.0.1.
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address in _NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # Multicast addresses count as global, but no repository is served from a group.
    return address.is_global and not address.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _browser_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address a browser reads in HOST (the WHATWG URL standard: one to
    four parts, decimal, octal with a leading 0 or hexadecimal with 0x, the last filling
    the remaining bytes), or None if HOST is a name or no address at all."""
    parts = host.split(".")
    numbers = [_browser_ipv4_number(part) for part in parts]
    if numbers[-1] is None or len(parts) > 4 or None in numbers:
        return None
    *head, last = numbers
    if any(number > 255 for number in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _browser_ipv4_number(part: str) -> int | None:
    base, digits = 10, part
    if part[:2] in ("0x", "0X"):
        base, digits = 16, part[2:]
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if not digits:
        return 0 if base == 16 else None
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def clean_commit(commit: str) -> str:
    commit = commit.strip().lower()
    if commit and not _COMMIT_RE.fullmatch(commit):
        raise ValidationError(COMMIT_FORMAT, code="commit_format")
    return commit


def too_large_error(size: int, max_bytes: int, *, exact: bool = True) -> ValidationError:
    """Return the refusal of a SIZE-byte upload; EXACT is False when SIZE is an estimate.

    An upload stopped at the limit is only known by the request's length, which also
    counts the form's other fields: that is "over" the limit, never a precise figure.
    """
    size_text, limit = format_bytes(size), format_bytes(max_bytes)
    if size_text == limit:  # "1 MB; the limit is 1 MB" would read as a bug
        if exact:
            size_text, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        else:
            size_text = f"over {limit}"
    return ValidationError(TOO_LARGE, code="too_large", params={"size": size_text, "limit": limit})


def check_archive(archive: UploadedFile, *, max_bytes: int) -> tuple[int, str]:
    """Refuse oversized, non-zip, unsafe or bomb archives; return (size, sha256)."""
    # The size comes from the upload handler: nothing is read before this check.
    if archive.size > max_bytes:
        raise too_large_error(archive.size, max_bytes)
    if archive.size == 0:
        raise ValidationError(EMPTY_FILE, code="empty")
    validate_zip(archive)
    return archive.size, sha256_of(archive)


def _opening_message(opens_at: datetime) -> str:
    when = local_text(opens_at)
    return f"Submissions open on {when}."


def _closed_message(deadline: datetime) -> str:
    when = local_text(deadline)
    return f"The deadline ({when}) has passed and this project does not accept late work."


RELEASED_NO_VERSIONS = "The grades of this project are released, so it takes no new versions."

# Versions a group may hand in within a day. Each keeps its file: with no bound one
# student's loop of 5 MB zips filled the disk at 50 MB/s (probe 63), and with it the
# database's. A group at work hands in a few a day, a dozen on the deadline's.
VERSIONS_PER_DAY = 30


def _too_many_today(group_id: int, now: datetime) -> str | None:
    """Why GROUP_ID may not hand in another version at NOW, if it has VERSIONS_PER_DAY
    in the last 24 hours."""
    versions = Submission.objects.filter(group_id=group_id)
    count, again = daily_limit(versions, "submitted_at", VERSIONS_PER_DAY, now)
    if again is None:
        return None
    return (
        f"Your group has handed in {count} versions in the last 24 hours, the most "
        f"a day. Hand in again after {local_text(again, seconds=True)}; your versions so far "
        "are kept."
    )


def submission_locked_reason(group: Group) -> str | None:
    """Return why GROUP may not submit a new version under its project's rule, if so.

    GROUP's assignment and ``graded_submission`` should be loaded (one query otherwise).
    """
    rule = group.assignment.late_version_rule
    # Grading started without a version graded: the grades were released before this
    # group submitted anything (assignment_grading_closed). Only "accept and notify"
    # takes its work then, and tells the teachers (grading.services.new_version_notify).
    released = group.grading_started_at is not None and group.graded_submission_id is None
    if released and rule != LateVersionRule.ACCEPT_AND_NOTIFY:
        return RELEASED_NO_VERSIONS
    if rule == LateVersionRule.LOCK_AT_DEADLINE and timezone.now() > group.deadline():
        when = local_text(group.deadline())
        return f"The deadline ({when}) has passed: this project takes no new versions after it."
    if rule == LateVersionRule.LOCK_WHEN_GRADING and group.grading_started_at is not None:
        version = group.graded_submission.version
        if group.assignment.grades_released_at is not None:  # not "has started" (probe 99)
            return (
                f"Your group's version {version} was graded and the grades are released: this "
                "project takes no new versions. Your feedback is under Feedback."
            )
        return (
            f"Grading of your group's version {version} has started, so this project takes "
            "no new versions. Ask your instructor if something is missing."
        )
    return None


def submission_create(
    *,
    group: Group,
    student: User,
    archive: UploadedFile | None = None,
    repository_url: str = "",
    commit: str = "",
    note: str = "",
) -> Submission:
    """Store a new version of GROUP's work, submitted by STUDENT.

    Every check runs before the file is stored. The file is stored under an
    unguessable name through the storage API, then the row is created with the
    next version number inside a transaction that holds the group's lock; if that
    fails, the stored file is deleted again, so no row ever points to a missing
    file and a refused upload leaves nothing behind.
    """
    assignment = group.assignment
    if not policy.can(student, policy.CHANGE, group):
        raise ValidationError(NOT_A_MEMBER, code="not_member")
    now = timezone.now()
    if not assignment.is_published or now < assignment.opens_at:
        raise ValidationError(_opening_message(assignment.opens_at), code="not_open")
    if not assignment.accepts_late_work and now > group.deadline():
        raise ValidationError(_closed_message(group.deadline()), code="closed")
    locked = submission_locked_reason(group)
    if locked:
        raise ValidationError(locked, code="locked")
    # Asked again under the lock (_number_and_save): here, before the file is stored.
    if too_many := _too_many_today(group.pk, now):
        raise ValidationError(too_many, code="too_many")

    errors: dict[str, list[ValidationError]] = {}
    if archive is not None and not assignment.accepts_zip:
        errors.setdefault("archive", []).append(ValidationError(NO_ZIP, code="no_zip"))
    if repository_url.strip() and not assignment.accepts_url:
        errors.setdefault("repository_url", []).append(ValidationError(NO_URL, code="no_url"))
    try:
        repository_url = clean_repository_url(repository_url)
    except ValidationError as exc:
        errors.setdefault("repository_url", []).append(exc)
    try:
        commit = clean_commit(commit)
        if commit and not repository_url:
            raise ValidationError(COMMIT_NEEDS_URL, code="commit_needs_url")
    except ValidationError as exc:
        errors.setdefault("commit", []).append(exc)
    if len(note) > NOTE_MAX_LENGTH:
        errors.setdefault("note", []).append(
            ValidationError(f"Keep the note under {NOTE_MAX_LENGTH} characters.", code="long")
        )
    elif note.strip() and not shows_something(note):
        errors.setdefault("note", []).append(
            ValidationError(
                "This note shows nothing (only invisible characters): write it in words, "
                "or leave it empty.",
                code="blank",
            )
        )
    checked_archive = None
    if archive is not None and "archive" not in errors:
        # With the other fields' errors, not after them: a broken zip sent with a commit
        # and no address was said one round trip late, once chosen again (probe 87).
        try:
            checked_archive = check_archive(archive, max_bytes=assignment.max_upload_bytes)
        except ValidationError as exc:
            errors["archive"] = [exc]
    if archive is None and not repository_url and not errors:
        raise ValidationError(NOTHING_GIVEN[assignment.submission_kinds], code="empty")
    if errors:
        raise ValidationError(errors)

    submission = Submission(
        group=group,
        submitted_by=student,
        repository_url=repository_url,
        commit=commit,
        note=note.strip(),
    )
    stored_name = ""
    if checked_archive is not None:
        size, sha256 = checked_archive
        submission.archive_name = (archive.name or "submission.zip")[-255:]
        submission.archive_size = size
        submission.sha256 = sha256

    field = submission.archive.field
    try:
        if archive is not None:
            stored_name = field.generate_filename(submission, submission.archive_name)
            stored_name = field.storage.save(stored_name, archive, max_length=field.max_length)
            submission.archive.name = stored_name
        with transaction.atomic():
            saved = _number_and_save(submission)
            if saved is submission:
                # Listeners (autograding) act once the version is committed; send_robust
                # logs their errors instead of failing a submission that is already saved.
                transaction.on_commit(
                    partial(submission_created.send_robust, sender=Submission, submission=saved)
                )
                # Each member's receipt, the submitter's too (probe 123: none was sent).
                from projects.tasks import send_version_receipts  # tasks import the models

                transaction.on_commit(
                    partial(send_version_receipts.enqueue, submission_id=saved.pk)
                )
    except BaseException:
        if stored_name:
            field.storage.delete(stored_name)
        raise
    if saved is not submission and stored_name:
        field.storage.delete(stored_name)  # the same work, already stored as SAVED
    return saved


LEFT_THE_GROUP = (
    "Nothing was submitted: you are no longer a member of this group (you left it while "
    "the file was uploading). Join a group, then submit again."
)


SAME_VERSION_WITHIN = timedelta(minutes=2)


def _number_and_save(submission: Submission) -> Submission:
    """Save SUBMISSION as its group's next version and return it; or return the version
    just made of the same work by the same student (the form sent twice)."""
    # Concurrent submissions of one group queue on these locks, so each one sees the
    # versions committed before it (two members submitting at once get v1 and v2), and
    # the release of the grades sees the version or the version sees the release.
    ProjectAssignment.objects.lock(submission.group.assignment_id)
    group = (
        Group.objects.select_for_update(of=("self",))
        .select_related("assignment", "extension", "graded_submission")
        .filter(pk=submission.group_id)
        .first()
    )
    # Asked again under the lock: the student may have left the group (and an empty
    # group is deleted) while the file was stored, and a version needs a member.
    member = group is not None and (
        group.memberships.filter(student_id=submission.submitted_by_id).exists()
    )
    if not member:
        raise ValidationError(LEFT_THE_GROUP, code="left_group")
    deadline = group.deadline()
    submission.submitted_at = timezone.now()
    submission.is_late = submission.submitted_at > deadline
    if submission.is_late and not group.assignment.accepts_late_work:
        raise ValidationError(_closed_message(deadline), code="closed")
    # Asked again under the lock: grading may have started while the file was stored.
    locked = submission_locked_reason(group)
    if locked:
        raise ValidationError(locked, code="locked")
    last = group.submissions.order_by("-version").first()
    if last is not None and _sent_again(submission, last):
        # A double click, a resend after a timeout, the back button: six posts at once
        # made six identical versions, each with its test run (probe 36).
        last.sent_again = True
        return last
    if too_many := _too_many_today(group.pk, submission.submitted_at):
        raise ValidationError(too_many, code="too_many")
    submission.version = (last.version if last else 0) + 1
    submission.group = group
    submission.save(force_insert=True)
    return submission


def _sent_again(submission: Submission, last: Submission) -> bool:
    fields = ("submitted_by_id", "sha256", "repository_url", "commit", "note")
    return (
        all(getattr(submission, name) == getattr(last, name) for name in fields)
        and last.submitted_at >= submission.submitted_at - SAME_VERSION_WITHIN
    )


def group_grading_started(*, submission: Submission) -> None:
    """Record that SUBMISSION is the version of its group being graded (called by grading).

    The first call also records when grading started, which locks the group under the
    "lock when grading starts" rule. An UPDATE, so it waits for a submission holding
    the group's lock and the next one sees it.
    """
    groups = Group.objects.filter(pk=submission.group_id)
    groups.update(graded_submission=submission)
    groups.filter(grading_started_at__isnull=True).update(grading_started_at=timezone.now())


def assignment_grading_closed(*, assignment: ProjectAssignment, at: datetime) -> int:
    """Record that ASSIGNMENT's grades were released AT, and lock every group of it not
    yet being graded; return how many were."""
    ProjectAssignment.objects.filter(pk=assignment.pk).update(grades_released_at=at)
    assignment.grades_released_at = at
    return Group.objects.filter(assignment=assignment, grading_started_at__isnull=True).update(
        grading_started_at=at
    )


def submissions_refresh_lateness(*, assignment_id: int, group_id: int | None = None) -> int:
    """Mark each version of the project's groups (or of GROUP_ID) late or on time
    against its group's deadline as it is now; return how many changed.

    A version is marked when it is handed in; an extension granted or withdrawn, or
    the project's deadline moved, afterwards left it "Late" under a deadline it met
    (its penalty, computed from the deadline, was already 0).
    """
    groups = Group.objects.filter(assignment_id=assignment_id).select_related(
        "assignment", "extension"
    )
    if group_id is not None:
        groups = groups.filter(pk=group_id)
    deadlines = {group.pk: group.deadline() for group in groups}
    changed = []
    versions = Submission.objects.filter(group_id__in=deadlines).only(
        "pk", "group_id", "submitted_at", "is_late"
    )
    for version in versions:
        late = version.submitted_at > deadlines[version.group_id]
        if late != version.is_late:
            version.is_late = late
            changed.append(version)
    Submission.objects.bulk_update(changed, ["is_late"], batch_size=500)
    return len(changed)


__all__ = [
    "assignment_grading_closed",
    "check_archive",
    "group_grading_started",
    "clean_commit",
    "clean_repository_url",
    "submission_create",
    "submission_locked_reason",
    "submissions_refresh_lateness",
    "too_large_error",
]
