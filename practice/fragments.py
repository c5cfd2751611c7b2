"""The lesson page's blank questions and exercises as HTML, built once per lesson revision.

A question a student has not answered yet, or an exercise they have not tried, looks
the same to every student of the course: only the page's CSRF token in its form
differs. Rendering the lesson's three to five of them through their macros was an
eighth of the lesson page's build, so a blank one is rendered once per course content
version (which every change of a question, choice or exercise moves:
practice/selectors.py) and process, with a slot where the token goes, and each page
puts its own token in.

An answered question shows its reader's answer, but most readers' answers are alike
(the right choice, "42"): it is built once per answer shown, in a memo of its own
(what students type cannot push the blank blocks out). Tried exercises (each reader's
own code), forms given back after a login, and the answer key that teachers see are
rendered for their reader (templates/jinja2/practice/_macros.html).
"""

from __future__ import annotations

import secrets

from django.urls import get_script_prefix
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from coursesite.memo import ProcessMemo

# Where the page's token goes: an HTML comment, which no sanitized prompt or escaped
# text can contain, and unguessable besides.
_TOKEN_SLOT = Markup(f"<!--csrf-{secrets.token_hex(8)}-->")  # noqa: S704 - ours
_blocks = ProcessMemo(2048)  # a course's blank blocks: a few hundred
_answered = ProcessMemo(4096)  # a few answers to each question
# A longer answer is one student's own (a program's output): not worth keeping.
_SHARED_ANSWER_MAX = 100


@pass_context
def blank_question(context: Context, question, number: int) -> Markup:
    """Return QUESTION, number NUMBER of the page, as a student who has not answered it sees it."""
    return _blank(context, "question_block", question, number, True)


@pass_context
def blank_exercise(context: Context, exercise) -> Markup:
    """Return EXERCISE as a student who has not tried it sees it."""
    return _blank(context, "exercise_block", exercise, True)


@pass_context
def answered_question(context: Context, question, number: int) -> Markup:
    """Return QUESTION, number NUMBER of the page, as the student who answered it sees it."""
    lesson = context["lesson"]
    if (
        question.typed is not None  # a form given back after a login: this reader's
        or question.typed_choices is not None
        or len(question.latest_answer or "") > _SHARED_ANSWER_MAX
    ):
        return _build(context, "question_block", question, number, True, typed=question.typed)
    # All the block shows of the answer (practice/_macros.html): whether it is right,
    # what was typed or picked, and the tries left when the lesson limits them.
    shown = (
        question.latest_correct,
        question.latest_answer,
        frozenset(choice.pk for choice in question.choices if choice.picked),
        question.tries if lesson.quiz_max_tries else None,
        lesson.quiz_required,  # whether the explanation waits for a right answer
    )
    return _shared(_answered, context, "question_block", question, (number, True), shown)


def _blank(context: Context, macro: str, item, *args) -> Markup:
    return _shared(_blocks, context, macro, item, args, ())


def _shared(memo: ProcessMemo, context: Context, macro: str, item, args: tuple, shown) -> Markup:
    """Return MACRO's block for ITEM from MEMO, built once for what its key names."""
    course, lesson = context["course"], context["lesson"]
    # What the block shows: the item (one content version of the lesson), the macro's
    # other arguments (a question's number), the reader's answer as SHOWN, and the
    # addresses in its form.
    key = (
        macro,
        item.pk,
        args,
        shown,
        lesson.pk,
        lesson.quiz_max_tries,  # the blank question says how many tries it has
        course.content_version,
        course.slug,
        lesson.slug,
        get_script_prefix(),
    )
    html = memo.get(key)
    if html is None:
        html = str(getattr(_macros(context, _TOKEN_SLOT), macro)(item, *args))
        memo.set(key, html)
    return Markup(html.replace(_TOKEN_SLOT, str(context["csrf_input"])))  # noqa: S704 - built escaped by its macro


def _build(context: Context, macro: str, item, *args, **kwargs) -> Markup:
    """Return MACRO's block for ITEM, built for this reader alone."""
    return getattr(_macros(context, context["csrf_input"]), macro)(item, *args, **kwargs)


def _macros(context: Context, csrf_input: Markup):
    """practice/_macros.html for the page's course and lesson, its forms given CSRF_INPUT."""
    return context.environment.get_template("practice/_macros.html").make_module(
        {"course": context["course"], "lesson": context["lesson"], "csrf_input": csrf_input}
    )
