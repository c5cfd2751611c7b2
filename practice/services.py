"""Writes of quizzes and exercises: storing what a lesson asks, and students' answers."""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.validators import BIDI_CONTROLS
from coursesite.converters import parse_id
from coursesite.dates import local_text
from coursesite.limits import daily_limit
from coursesite.wording import counted
from lessons.models import Enrollment, Lesson, Module, content_changed, percent_of
from lessons.rendering import markdown_budget, render_markdown

from . import syntax
from .models import Attempt, Choice, Exercise, ExerciseAttempt, Kind, Question

# Long enough for any honest answer (an output of a few dozen lines), short enough
# that nobody stores a novel as an attempt.
MAX_ANSWER_LENGTH = 5_000
MAX_CODE_LENGTH = 50_000
# The same answer or code sent again this soon is the same click sent twice (two tabs,
# a resend, practice.js posting the plain form after a failed fetch): kept once, as
# submissions are (projects/services/submissions.py, SAME_VERSION_WITHIN).
SAME_ANSWER_WITHIN = timedelta(seconds=10)
# Tries kept per question or exercise and student in 24 hours: far more than anyone
# learning makes, few enough that a script cannot fill the database (probe 63: 50,000
# characters of code a try, every distinct one kept, with no bound).
TRIES_PER_DAY = 200


# Rendering ------------------------------------------------------------------------
def _html(markdown: str) -> str:
    return render_markdown(markdown).html if markdown.strip() else ""


_ONE_PARAGRAPH = re.compile(r"\A<p>(?P<inner>.*)</p>\Z", re.DOTALL)


def _inline_html(markdown: str) -> str:
    """Markdown meant for one line (a choice): without its paragraph when it has one."""
    html = _html(markdown).strip()
    match = _ONE_PARAGRAPH.match(html)
    return match["inner"] if match and "<p>" not in match["inner"] else html


def _code_html(code: str, language: str = "python") -> str:
    """CODE highlighted as LANGUAGE, in a fence longer than any backtick run in it."""
    if not code.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return _html(f"{fence}{language}\n{code.rstrip(chr(10))}\n{fence}")


# An exercise's expected result and worked solution are Markdown, prose and fenced code
# mixed (the demo course's are). Written as bare code, they lost their line breaks and
# indentation: "def f(x): return x" on one line of prose (probe 44). So a text with no
# fence of its own that reads as code is shown as a code block.
_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s", re.MULTILINE)
_PYTHON_START = re.compile(
    r"(def|class|import|from|for|while|if|with|try|async|return|raise)\b|@|[A-Za-z_][\w.]*\s*[=(\[]"
)


def _code_language(text: str) -> str | None:
    """Return the language to show TEXT in as a code block ("python" or "text"), or
    None to render it as Markdown: a text with a fence of its own, prose, a list."""
    lines = text.strip("\n").split("\n")
    if len([line for line in lines if line.strip()]) < 2 or _FENCE_LINE.search(text):
        return None
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        is_python = False
    else:
        is_python = _PYTHON_START.match(lines[0].lstrip()) is not None
    # A line indented under the line above is folded into its paragraph by Markdown,
    # indentation and all: code, unless the text is a (nested) list.
    indented = any(
        line[:1] in (" ", "\t") and line.strip() and previous.strip()
        for previous, line in zip(lines, lines[1:], strict=False)
    )
    if is_python:
        return "python"
    return "text" if indented and not _LIST_ITEM.search(text) else None


def _exercise_text_html(text: str) -> str:
    """An exercise's expected result or solution: Markdown, or a code block (above)."""
    language = _code_language(text)
    return _code_html(text, language) if language else _html(text)


# Storing what a lesson asks ---------------------------------------------------------
@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # Answers marked again because their question's answer key changed, and the ones
    # of those whose mark changed (right to wrong or back), of how many students.
    rekeyed: int = 0  # questions whose answer key changed
    remarked: int = 0
    remarked_students: int = 0
    # Students' work deleted with the question and exercise blocks removed.
    removed_answers: int = 0
    removed_answer_students: int = 0
    removed_attempts: int = 0
    removed_attempt_students: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    @property
    def notices(self) -> list[str]:
        """What the instructor who saved the lesson should hear of students' work."""
        notices = []
        if self.remarked:
            notices.append(
                f"Corrected answer key ({counted(self.rekeyed, 'question')}): the marks of "
                f"{counted(self.remarked, 'answer')} from "
                f"{counted(self.remarked_students, 'student')} changed with it."
            )
        if self.removed_answers:
            notices.append(
                "The questions removed from the lesson took "
                f"{counted(self.removed_answers, 'answer')} of "
                f"{counted(self.removed_answer_students, 'student')} with them."
            )
        if self.removed_attempts:
            notices.append(
                "The exercises removed from the lesson took "
                f"{counted(self.removed_attempts, 'attempt')} of "
                f"{counted(self.removed_attempt_students, 'student')} with them."
            )
        return notices


def _save_changed(obj, values: dict, report: SyncReport) -> None:
    """Save OBJ only if VALUES change it (a repeated import writes nothing)."""
    if obj.pk is None:
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        report.created += 1
        return
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated += 1


def answered_blocks_taken_out(lesson: Lesson, practice: syntax.Practice) -> list[str]:
    """Return the ids of LESSON's questions and exercises with students' work that
    PRACTICE (the text about to be saved) no longer holds: saving would delete that work."""
    questions = {spec.slug for spec in practice.questions}
    exercises = {spec.slug for spec in practice.exercises}
    answered = (
        Attempt.objects.filter(question__lesson=lesson)
        .exclude(question__slug__in=questions)
        .values_list("question__slug", flat=True)
    )
    attempted = (
        ExerciseAttempt.objects.filter(exercise__lesson=lesson)
        .exclude(exercise__slug__in=exercises)
        .values_list("exercise__slug", flat=True)
    )
    return sorted(set(answered) | set(attempted))


def answered_blocks_refusal(lost: list[str], *, to_delete: str, doing: str = "Saving") -> str:
    """What a save that would take out LOST (answered_blocks_taken_out) is told; TO_DELETE
    says how its page confirms the deletion ("tick …", "save again with …"), DOING what
    the user does ("Saving", "Importing")."""
    names = ", ".join(f"“{slug}”" for slug in lost)
    return (
        f"{doing} takes out {names}, which students answered: their answers would be "
        "deleted with it. To keep them, keep the block's id as it was (a changed id is a "
        f"new question); to delete them, {to_delete}."
    )


@transaction.atomic
def lesson_practice_sync(*, lesson: Lesson, practice: syntax.Practice | None = None) -> SyncReport:
    """Store the questions and exercises of LESSON's Markdown (or PRACTICE, parsed from it).

    Matched by id: a question edited keeps its attempts, marked again if its answer
    key changed; one removed from the Markdown is deleted, with its attempts (the
    report counts them for the instructor: ``SyncReport.notices``). Raise
    ValidationError (with the lines) if the Markdown's blocks are not valid, before
    writing anything.
    """
    if practice is None:
        practice = syntax.parse(lesson.body)
    if practice.problems:
        raise ValidationError([str(problem) for problem in practice.problems])
    with markdown_budget(lesson.body):  # the blocks' texts within the body's budget
        return _sync(lesson, practice)


def _sync(lesson: Lesson, practice: syntax.Practice) -> SyncReport:
    report = SyncReport()
    # Locked: an answer being marked meanwhile waits for the new key (question_answer).
    questions = {q.slug: q for q in Question.objects.select_for_update().filter(lesson=lesson)}
    choices: dict[int, dict[int, Choice]] = {}
    for choice in Choice.objects.filter(question__lesson=lesson):
        choices.setdefault(choice.question_id, {})[choice.position] = choice
    rekeyed: list[Question] = []
    for position, spec in enumerate(practice.questions, start=1):
        question = questions.pop(spec.slug, None) or Question(lesson=lesson, slug=spec.slug)
        old_key = None
        if question.pk is not None:
            old_key = _answer_key(question, choices.get(question.pk, {}).values())
        _save_changed(
            question,
            {
                "kind": spec.kind,
                "position": position,
                "prompt": spec.prompt,
                "prompt_html": _html(spec.prompt),
                "answer": spec.answer,
                "tolerance": spec.tolerance,
                "accepted_answers": spec.answers,
                "code": spec.code,
                "code_html": _code_html(spec.code),
                "output": spec.output,
                "explanation": spec.explanation,
                "explanation_html": _html(spec.explanation),
            },
            report,
        )
        saved = _sync_choices(question, spec.choices, choices.get(question.pk, {}), report)
        if old_key is not None and old_key != _answer_key(question, saved):
            rekeyed.append(question)
    if rekeyed:
        _remark(rekeyed, report)
    if questions:
        gone = Attempt.objects.filter(question__in=[q.pk for q in questions.values()])
        counts = gone.aggregate(answers=Count("pk"), students=Count("user", distinct=True))
        report.removed_answers = counts["answers"]
        report.removed_answer_students = counts["students"]
        Question.objects.filter(pk__in=[q.pk for q in questions.values()]).delete()
        report.deleted += len(questions)
    exercises = {e.slug: e for e in Exercise.objects.filter(lesson=lesson)}
    for position, spec in enumerate(practice.exercises, start=1):
        exercise = exercises.pop(spec.slug, None) or Exercise(lesson=lesson, slug=spec.slug)
        _save_changed(
            exercise,
            {
                "position": position,
                "title": spec.title,
                "task": spec.task,
                "task_html": _html(spec.task),
                "starter": spec.starter,
                "expected": spec.expected,
                "expected_html": _exercise_text_html(spec.expected),
                "solution": spec.solution,
                "solution_html": _exercise_text_html(spec.solution),
            },
            report,
        )
    if exercises:
        gone = ExerciseAttempt.objects.filter(exercise__in=[e.pk for e in exercises.values()])
        counts = gone.aggregate(attempts=Count("pk"), students=Count("user", distinct=True))
        report.removed_attempts = counts["attempts"]
        report.removed_attempt_students = counts["students"]
        Exercise.objects.filter(pk__in=[e.pk for e in exercises.values()]).delete()
        report.deleted += len(exercises)
    if report.changed:
        # The lesson page keeps the questions and exercises under the course's content
        # version (practice/selectors.py). Saving the lesson moved it already, but not
        # every sync follows a save that changed the lesson (a re-import that only
        # renders the questions differently does not), and a reader between that save
        # and these writes may have kept the old questions under the new version.
        content_changed(Module.objects.filter(pk=lesson.module_id).values("course_id"))
    return report


def _sync_choices(
    question: Question, specs: list, existing: dict[int, Choice], report: SyncReport
) -> list[Choice]:
    """Save QUESTION's choices as SPECS say; EXISTING are its stored ones by position.

    The answers that picked a choice must still point at it: a choice unchanged where
    it stands keeps its row, then one whose text is unchanged wherever it moved (matched
    by position alone, a reordering swapped what students had picked, and re-marked
    them: probe 74), then one whose text was edited keeps the row at its position (a
    typo fixed, or reworded and moved) keeps the row of the choice left most like it.
    The others go.
    """
    matched: dict[int, Choice] = {}
    # Unchanged where it stands first: with two choices of the same text (a copy-paste
    # slip), the one whose text is fixed keeps its row (probe 76).
    for number, spec in enumerate(specs, start=1):
        choice = existing.get(number)
        if choice is not None and choice.text == spec.text:
            matched[number] = choice
    kept = {choice.pk for choice in matched.values()}
    by_text: dict[str, Choice] = {}
    for position in sorted(existing):
        if existing[position].pk not in kept:
            by_text.setdefault(existing[position].text, existing[position])
    for number, spec in enumerate(specs, start=1):
        if number not in matched and (choice := by_text.pop(spec.text, None)) is not None:
            matched[number] = choice
    kept = {choice.pk for choice in matched.values()}
    left = {c.pk: c for c in existing.values() if c.pk not in kept}
    # Edited: the row of the choice left whose text is most like it, wherever it stands
    # (a typo fixed; reworded and moved in one change: probe 130), never one unlike it.
    # By position alone, deleting one choice and rewording another gave the deleted
    # one's picks to the reworded one, and turned wrong answers right (probe 131).
    pairs = sorted(
        (
            (-_likeness(choice.text, spec.text), choice.position != number, number, choice.pk)
            for number, spec in enumerate(specs, start=1)
            if number not in matched
            for choice in left.values()
        )
    )
    for score, _moved, number, pk in pairs:
        if -score < _LIKE_ENOUGH:
            break
        if number not in matched and pk in left:
            matched[number] = left.pop(pk)
    for number in range(1, len(specs) + 1):
        if number not in matched:
            matched[number] = Choice(question=question)
    if left:
        Choice.objects.filter(pk__in=[c.pk for c in left.values()]).delete()
        report.updated += 1
    # Out of the way first: two choices may not share a position, even for a moment.
    moved = [c.pk for n, c in matched.items() if c.pk is not None and c.position != n]
    if moved:
        Choice.objects.filter(pk__in=moved).update(position=F("position") + _MOVING)
    for number, spec in enumerate(specs, start=1):
        _save_changed(
            matched[number],
            {
                "position": number,
                "text": spec.text,
                "text_html": _inline_html(spec.text),
                "correct": spec.correct,
                "feedback": spec.feedback,
                "feedback_html": _html(spec.feedback),
            },
            report,
        )
    return [matched[number] for number in range(1, len(specs) + 1)]


# How alike two texts of a choice must be to be taken for one edited: a choice deleted
# and another written are not (their picks would move from one to the other).
_LIKE_ENOUGH = 0.5


def _likeness(before: str, after: str) -> float:
    """How alike two texts of a choice are, 0 to 1: 1 when the words of one hold the
    other's ("GET" and "`GET` (a read)"), else how much of their letters they share."""
    old, new = (" ".join(re.findall(r"\w+", text.casefold())) for text in (before, after))
    if old and new and (old in new or new in old):
        return 1.0
    return SequenceMatcher(None, before.casefold(), after.casefold()).ratio()


# Added to the positions of choices that move while they do (no question has so many).
_MOVING = 1_000_000


def _answer_key(question: Question, choices) -> tuple:
    """What decides whether an answer to QUESTION (with CHOICES) is right."""
    return (
        question.kind,
        question.answer,
        question.tolerance,
        list(question.accepted_answers),
        question.output,
        # By row: moving a choice changes no answer's mark; making another one right does.
        sorted((choice.pk, choice.correct) for choice in choices),
    )


# Rows per UPDATE ... WHERE pk IN (...): well within SQLite's limit on parameters.
_REMARK_CHUNK = 5_000


def _remark(questions: list[Question], report: SyncReport) -> None:
    """Mark every answer to QUESTIONS again against their answer key as saved now.

    Otherwise a corrected key leaves answers marked by the old one: the page said
    "Right!" beside "Not this one", and the score and a required quiz counted it.
    Every answer, not only the latest: the back office's statistics count them all.
    Two reads and at most two UPDATEs (per 5,000 changed marks), whatever the class.
    """
    by_pk = {question.pk: question for question in questions}
    right_choices: dict[int, set[int]] = {}
    for question_id, choice_id in Choice.objects.filter(
        question__in=list(by_pk), correct=True
    ).values_list("question_id", "pk"):
        right_choices.setdefault(question_id, set()).add(choice_id)
    attempts: dict[int, tuple[int, int, str, bool]] = {}
    picked: dict[int, set[int]] = {}
    rows = (
        Attempt.objects.filter(question__in=list(by_pk))
        .order_by()
        .values_list("pk", "question_id", "user_id", "answer", "correct", "choices")
    )
    for pk, question_id, user_id, text, correct, choice_id in rows.iterator(chunk_size=5_000):
        attempts[pk] = (question_id, user_id, text, correct)
        if choice_id is not None:
            picked.setdefault(pk, set()).add(choice_id)
    now_right, now_wrong, students = [], [], set()
    for pk, (question_id, user_id, text, correct) in attempts.items():
        right = _marks_right(
            by_pk[question_id], picked.get(pk, set()), right_choices.get(question_id, set()), text
        )
        if right != correct:
            (now_right if right else now_wrong).append(pk)
            students.add(user_id)
    for pks, correct in ((now_right, True), (now_wrong, False)):
        for start in range(0, len(pks), _REMARK_CHUNK):
            Attempt.objects.filter(pk__in=pks[start : start + _REMARK_CHUNK]).update(
                correct=correct
            )
    report.rekeyed = len(questions)
    report.remarked = len(now_right) + len(now_wrong)
    report.remarked_students = len(students)


def _marks_right(question: Question, picked: set[int], right: set[int], text: str) -> bool:
    """Whether an answer stored earlier (choice ids PICKED, TEXT) is right by QUESTION's key
    (RIGHT: the ids of its correct choices)."""
    if question.kind == Kind.SINGLE:
        return len(picked) == 1 and picked <= right
    if question.kind == Kind.MULTIPLE:
        return bool(picked) and picked == right
    try:
        return _text_is_right(question, text)
    except ValidationError:  # not a number (the question was of another kind then)
        return False


# Answering --------------------------------------------------------------------------
def _check_typed(text: str, *, limit: int, what: str) -> str:
    if len(text) > limit:
        raise ValidationError(
            f"Your {what} is longer than {limit:,} characters; shorten it and try again.",
            code="too_long",
        )
    for char in text:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValidationError(
                f"Your {what} contains an invisible control character (U+{ord(char):04X}); "
                "retype it.",
                code="control_character",
            )
        if char in BIDI_CONTROLS:
            # Code that reads otherwise than it runs ("Trojan Source"), as lessons refuse.
            raise ValidationError(
                f"Your {what} contains an invisible text-direction character "
                f"(U+{ord(char):04X}): it makes text read otherwise than it is. Remove it.",
                code="bidi_control",
            )
    return text


def parse_number(text: str) -> float:
    """Read a typed number: 42, -3.5, 3,5 (a decimal comma), 1e3, 1,000,000, with spaces
    around. "1,000" is refused: it is a thousand in English and one in much of Europe,
    and marking it either way would mark someone wrong for what they meant."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    # The minus sign of typeset text (lessons show it) and a hyphen's look-alikes.
    cleaned = re.sub("[\u2212\u2012\u2013\ufe63\uff0d]", "-", cleaned)
    # 3×10^8, 3*10**8, 3x10^8: scientific notation as written by hand.
    cleaned = re.sub(r"(?<=\d)(?:[×x*·]10(?:\^|\*\*))([-+]?\d+)$", r"e\1", cleaned)
    unit = re.fullmatch(r"([-+]?[\d.,]*\d[.,]?(?:[eE][-+]?\d+)?)([^\d.,]\D*)", cleaned)
    if unit:
        # The number as typed: "2,500 m" is not "2.500" (probe 76).
        raise ValidationError(
            f"Type the number alone, without “{unit.group(2)[:20]}”: {unit.group(1)}",
            code="unit",
        )
    if re.fullmatch(r"[-+]?[1-9]\d{0,2},\d{3}", cleaned):
        whole, part = cleaned.split(",")
        raise ValidationError(
            f"“{cleaned}” could mean {whole}{part} or {whole}.{part}: type it without "
            f"the comma ({whole}{part}) or with a point ({whole}.{part}).",
            code="ambiguous_comma",
        )
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3}){2,}", cleaned):
        cleaned = cleaned.replace(",", "")  # commas between thousands: 1,000,000
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        number = math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", cleaned) or not math.isfinite(
        number
    ):
        raise ValidationError(
            f"“{text.strip()[:40]}” is not a number. Type digits, such as 42 or 3.5.",
            code="not_a_number",
        )
    return number


def _picked(question: Question, choice_ids: list[str]) -> list[Choice]:
    if not choice_ids:
        raise ValidationError("Pick an answer first.", code="no_choice")
    if question.kind == Kind.SINGLE and len(choice_ids) > 1:
        raise ValidationError("Pick only one answer.", code="several_choices")
    wanted = set()
    for value in choice_ids:
        choice_id = parse_id(value)  # "²" and "٢" are digits to str.isdigit(), not ids
        if choice_id is None:
            raise ValidationError(
                "That answer is not one of this question's choices; reload the page."
            )
        wanted.add(choice_id)
    found = list(Choice.objects.filter(question=question, pk__in=wanted))
    if len(found) != len(wanted):
        # An id of another question, lesson or course, or of a choice since removed.
        raise ValidationError(
            "That answer is not one of this question's choices (the question may have "
            "changed): reload the page and answer again.",
            code="foreign_choice",
        )
    return found


def _is_right(question: Question, picked: list[Choice], text: str) -> bool:
    if question.kind == Kind.SINGLE:
        return picked[0].correct
    if question.kind == Kind.MULTIPLE:
        right = set(question.choices.filter(correct=True).values_list("pk", flat=True))
        return {choice.pk for choice in picked} == right
    return _text_is_right(question, text)


def _text_is_right(question: Question, text: str) -> bool:
    """Whether TEXT answers QUESTION (a number, text or output); a number that is not one
    raises ValidationError."""
    if question.kind == Kind.NUMBER:
        given = parse_number(text)
        # A hair of slack for binary floating point: 0.1 + 0.2 is 0.3 here.
        slack = question.tolerance + 1e-9 * max(1.0, abs(question.answer or 0))
        return abs(given - (question.answer or 0)) <= slack
    if question.kind == Kind.TEXT:
        given = syntax.normalize_text(text)
        return any(given == syntax.normalize_text(a) for a in question.accepted_answers)
    return syntax.normalize_output(text) == syntax.normalize_output(question.output)


QUESTION_CHANGED = "question_changed"


@transaction.atomic
def question_answer(
    *, user, question: Question, choice_ids: list[str] | None = None, text: str = ""
) -> Attempt:
    """Record USER's answer to QUESTION and return it, marked right or wrong.

    Raise ValidationError, saving nothing, for an answer that cannot be checked: no
    choice, a choice of another question, a number that is not one, an answer too
    long or with control characters; or when USER has no try left at QUESTION (its
    lesson's ``quiz_max_tries``): an answer that cannot be checked costs no try.
    The same answer sent again within SAME_ANSWER_WITHIN is the one try: its attempt
    is returned, and nothing is stored.
    """
    picked: list[Choice] = []
    if question.has_choices:
        picked = _picked(question, list(choice_ids or []))
        text = ""
    else:
        text = _check_typed(text or "", limit=MAX_ANSWER_LENGTH, what="answer")
        if not text.strip():
            raise ValidationError("Type an answer first.", code="empty")
    _lock_enrollment(user, question.lesson)
    # The key as it stands once no lesson save is changing it (_sync locks the lesson's
    # questions first): marked against the key a save was replacing, an answer kept its
    # wrong mark after the save had re-marked the others (probe 77, PostgreSQL).
    locked = Question.objects.select_for_update().filter(pk=question.pk).first()
    if locked is None or locked.kind != question.kind:
        raise ValidationError(
            "This question changed while you answered: reload the page and answer again.",
            code=QUESTION_CHANGED,
        )
    locked.lesson = question.lesson
    question = locked
    if question.has_choices:
        picked = _picked(question, [str(choice.pk) for choice in picked])
    last = Attempt.objects.filter(question=question, user=user).order_by("-pk").first()
    if last is not None and _answered_again(last, picked, text):
        return last
    _check_tries_left(user, question)
    _check_tries_today(Attempt.objects.filter(question=question, user=user), "question")
    correct = _is_right(question, picked, text)
    attempt = Attempt.objects.create(question=question, user=user, answer=text, correct=correct)
    if picked:
        attempt.choices.set(picked)
    return attempt


def _lock_enrollment(user, lesson: Lesson) -> None:
    """Lock USER's enrollment in LESSON's course until the transaction ends.

    So two answers or attempts sent at once (two tabs, a double click) are counted one
    after the other, each seeing the one before it, not both against the same count.
    """
    enrollment = Enrollment.objects.filter(user=user, course_id=lesson.module.course_id)
    list(enrollment.select_for_update().values_list("pk"))


def _just_now(made_at) -> bool:
    return made_at >= timezone.now() - SAME_ANSWER_WITHIN


def _answered_again(last: Attempt, picked: list[Choice], text: str) -> bool:
    """Whether LAST, the user's latest attempt, is this answer (PICKED, TEXT) made just now."""
    return (
        _just_now(last.created_at)
        and last.answer == text
        and set(last.choices.values_list("pk", flat=True)) == {choice.pk for choice in picked}
    )


def tries_spent(limit: int) -> str:
    """What a student is told who answered a question as often as its lesson allows."""
    return (
        f"You have used your {limit} {'try' if limit == 1 else 'tries'} at this question: "
        "your last answer counts."
    )


def _check_tries_left(user, question: Question) -> None:
    """Raise if USER answered QUESTION as often as its lesson allows (if it has a limit);
    called under the lock of ``_lock_enrollment``."""
    limit = question.lesson.quiz_max_tries
    if limit is not None and Attempt.objects.filter(question=question, user=user).count() >= limit:
        raise ValidationError(tries_spent(limit), code="no_tries_left")


@transaction.atomic
def exercise_attempt_create(*, user, exercise: Exercise, code: str) -> ExerciseAttempt:
    """Keep USER's attempt at EXERCISE (the page then shows the expected result); the
    same code sent again within SAME_ANSWER_WITHIN is kept once."""
    code = _check_typed(code or "", limit=MAX_CODE_LENGTH, what="code")
    if not code.strip():
        raise ValidationError("Write your attempt in the box first.", code="empty")
    _lock_enrollment(user, exercise.lesson)
    last = ExerciseAttempt.objects.filter(exercise=exercise, user=user).order_by("-pk").first()
    if last is not None and last.code == code and _just_now(last.created_at):
        return last
    _check_tries_today(ExerciseAttempt.objects.filter(exercise=exercise, user=user), "exercise")
    return ExerciseAttempt.objects.create(exercise=exercise, user=user, code=code)


def _check_tries_today(tries, what: str) -> None:
    """Raise if TRIES (one student's, at one question or exercise) hold TRIES_PER_DAY in
    the last 24 hours; called under the lock of ``_lock_enrollment``."""
    _count, again = daily_limit(tries, "created_at", TRIES_PER_DAY)
    if again is None:
        return
    raise ValidationError(
        f"You have tried this {what} {TRIES_PER_DAY} times in the last 24 hours, the most "
        f"a day: try it again after {local_text(again, seconds=True)}. Your tries so far "
        "are kept.",
        code="too_many_tries",
    )


# Results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuizScore:
    """Questions of a lesson whose latest answer is right, and the mark to pass."""

    right: int
    total: int
    pass_mark: int = 70

    @property
    def percent(self) -> int:
        return percent_of(self.right, self.total)

    @property
    def done(self) -> int:  # the names a progress bar reads
        return self.right

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.right >= self.total

    @property
    def needed(self) -> int:
        """How many right answers pass: the pass mark's share, rounded up."""
        return math.ceil(self.total * self.pass_mark / 100 - 1e-9)

    @property
    def passed(self) -> bool:
        return self.right >= self.needed

    @property
    def requirement(self) -> str:
        """What passes, in words: "70 %" of three questions is all three, which the
        percentage alone did not say."""
        mark = f"pass mark {self.pass_mark}%"
        if self.total == 1:
            return f"the question right ({mark})"
        if self.needed >= self.total and self.pass_mark < 100:
            return (
                f"all {self.total} questions right (the pass mark, {self.pass_mark}% of "
                f"{self.total} questions, rounds up to all of them)"
            )
        if self.needed >= self.total:
            return f"all {self.total} questions right ({mark})"
        if self.total * self.pass_mark % 100:
            mark += ", rounded up to whole questions"
        return f"{self.needed} of {self.total} questions right ({mark})"

    def lost(self, spent: int) -> str:
        """Why answering can no longer pass, SPENT questions being wrong with no try left
        ("" while it can): said where the quiz is and by "Mark as complete" alike."""
        if self.passed or not self.total or self.total - spent >= self.needed:
            return ""
        return (
            f"This lesson's quiz can no longer be passed: you have {self.right} of "
            f"{self.total} questions right and need {self.requirement}, and no try is left "
            f"on {spent} of them. Ask your instructor, who can allow more tries."
        )

    def __str__(self) -> str:
        return f"quiz {self.right}/{self.total}"


def latest_attempts(user=None):
    """Attempts that are their user's latest at their question."""
    later = Attempt.objects.filter(
        question=OuterRef("question"), user=OuterRef("user"), pk__gt=OuterRef("pk")
    )
    attempts = Attempt.objects.filter(~Exists(later))
    return attempts.filter(user=user) if user is not None else attempts


def quiz_questions_spent(*, user, lesson: Lesson) -> int:
    """Return how many of LESSON's questions USER answered wrong with no try left (none
    without a limit of tries; one query)."""
    limit = lesson.quiz_max_tries
    if limit is None:
        return 0
    right = latest_attempts(user).filter(correct=True).values("question")
    return (
        Attempt.objects.filter(user=user, question__lesson=lesson)
        .exclude(question__in=right)
        .values("question")
        .annotate(tries=Count("pk"))
        .filter(tries__gte=limit)
        .count()
    )


def quiz_score(*, user, lesson: Lesson) -> QuizScore:
    """Return USER's score on LESSON's quiz (one query)."""
    counts = Question.objects.filter(lesson=lesson).aggregate(
        total=Count("pk", distinct=True),
        right=Count(
            "attempts",
            filter=Q(attempts__in=latest_attempts(user).filter(correct=True).values("pk")),
            distinct=True,
        ),
    )
    return QuizScore(counts["right"], counts["total"], lesson.quiz_pass_mark)


def quiz_scores(*, users, lessons) -> tuple[int, dict[int, int]]:
    """Return the number of questions of LESSONS and {user id: questions right} (2 queries)."""
    total = Question.objects.filter(lesson__in=lessons).count()
    rows = (
        latest_attempts()
        .filter(correct=True, user__in=users, question__lesson__in=lessons)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
    )
    return total, {row["user_id"]: row["n"] for row in rows}
