"""What names and email addresses may hold: names are shown to teachers and teammates as
they were typed; email addresses are kept in one canonical form."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.utils.encoding import punycode
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates: they reorder the text after them, so a name can
# read as another ("Bob\u202eecila" shows as "Bobalice"). The marks LRM and RLM and the
# joiners some scripts need (ZWJ, ZWNJ) stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_no_bidi_controls(value: str) -> None:
    if any(character in BIDI_CONTROLS for character in value):
        raise ValidationError(
            _(
                "Remove the invisible text-direction characters from this name: they "
                "change how it reads on the page."
            ),
            code="bidi_control",
        )


# Letters and signs that print as nothing: the Hangul fillers and the blank Braille cell.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    # Letters, digits, punctuation and symbols; not spaces, marks alone (combining
    # joiners, variation selectors), format or control characters.
    return unicodedata.category(character)[0] in "LNPS" and character not in BLANK_LETTERS


def shows_something(text: str) -> bool:
    """Return whether TEXT has a character a reader sees: zero-width spaces, direction
    marks and blank letters alone read as an empty reason or note."""
    return any(_visible(character) for character in text)


# What a name never needs and shows as nothing, or as a plain space, so that
# "Sam" + one of them + "Student" passes for "Sam Student": format characters (zero-width
# spaces, invisible operators, the soft hyphen, tags...) but the two joiners some scripts
# and emoji need (U+200C, U+200D); letters printing blank (BLANK_LETTERS); and marks
# that join or show nothing (U+034F, Khmer's inherent vowels).
KEPT_JOINERS = frozenset("\u200c\u200d")
HIDDEN_MARKS = frozenset("\u034f\u17b4\u17b5")


def _hidden(character: str) -> bool:
    if character in KEPT_JOINERS:
        return False
    return (
        unicodedata.category(character) == "Cf"
        or character in BLANK_LETTERS
        or character in HIDDEN_MARKS
    )


# Marks a letter carries in a real name stay few (Vietnamese two, Devanagari or Tibetan
# clusters a handful); "Zalgo" text stacks dozens, drawn over the rows above and below.
MAX_STACKED_MARKS = 8


def _stacked_marks(value: str) -> int:
    """Return the most combining marks in a row in VALUE."""
    most = run = 0
    for character in value:
        run = run + 1 if unicodedata.category(character) in ("Mn", "Me") else 0
        most = max(most, run)
    return most


def validate_name(value: str) -> None:
    """A name people see on one line (display names, group names): no line breaks or
    other control characters, no text-direction characters or invisible spaces, and
    something visible."""
    for character in value:
        # Cc: controls; Zl, Zp: the line and paragraph separators.
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            raise ValidationError(
                _("Keep the name on one line, without tabs or control characters."),
                code="control_character",
            )
    validate_no_bidi_controls(value)
    if not any(_visible(character) for character in value):
        raise ValidationError(
            _("Give a name with at least one visible letter, digit or sign."),
            code="invisible_name",
        )
    if _stacked_marks(value) > MAX_STACKED_MARKS:
        raise ValidationError(
            _(
                "Remove the accents stacked on one letter: they spill over the lines "
                "around the name."
            ),
            code="stacked_marks",
        )
    if any(_hidden(character) for character in value):
        raise ValidationError(
            _(
                "Remove the invisible character from the name (such as a zero-width "
                "space): it makes the name look like another one while being different."
            ),
            code="invisible_space",
        )


# New usernames in the Latin letters of ASCII: a Cyrillic "е" looks like the Latin "e",
# so "studеnt1" would pass for "student1" on every list. Display names keep every
# alphabet (they are people's names); the username beside them tells two apart.
# No "@" either: a login name with one is read as an email address (``get_by_login``),
# so such a username could never be used, and could be another person's address.
validate_ascii_username = RegexValidator(
    r"^[A-Za-z0-9.+_-]+\Z",
    message=_(
        "Use only the letters a-z and A-Z, digits and . + - _ in a username: letters of "
        "other alphabets can look the same as these and pass for someone else's, and a "
        "name with @ reads as an email address at login."
    ),
    code="invalid",
)


# Email addresses: one canonical form everywhere they are typed (forms, back office,
# rosters), so look-alikes cannot pass the uniqueness check: NFKC folds the fullwidth
# e (U+FF45) and the Kelvin sign (U+212A) into "e" and "K", then the address is stripped and
# lowercased (the database's constraint is case-insensitive). Invisible characters
# survive NFKC, and Django's check of the domain drops some ("a@example.org\u200b"
# passes), so they are refused rather than silently removed.
#
# A domain in another alphabet is kept in its ASCII (IDNA, "xn--") form, as browsers
# show a link's: "student1@exаmple.org" with a Cyrillic "а" is not shown as
# "student1@example.org" on any list, and still receives its email.
def normalize_email(value: str) -> str:
    """Return the canonical form of the email address VALUE: NFKC, stripped, lowercased,
    its domain in ASCII (left as typed if it cannot be: ``canonical_email`` refuses it)."""
    email = unicodedata.normalize("NFKC", value).strip().lower()
    local, at, domain = email.rpartition("@")
    # IDNA would drop invisible characters silently: they stay, for canonical_email to
    # refuse in words.
    if at and not domain.isascii() and not any(map(_invisible_or_space, domain)):
        try:
            encoded = punycode(domain)
        except UnicodeError:
            return email
        # Python's IDNA (2003) maps some letters to others: "straße.de" would become
        # "strasse.de", another domain, which would get the invitations. Such a domain
        # stays as typed, for canonical_email to refuse.
        if encoded.encode("ascii").decode("idna") == domain:
            return f"{local}@{encoded}"
    return email


def _invisible_or_space(character: str) -> bool:
    return unicodedata.category(character) == "Cf" or character.isspace()


def validate_email_characters(value: str) -> None:
    """Refuse invisible (format) characters and whitespace inside an email address."""
    for character in value:
        if unicodedata.category(character) == "Cf":
            raise ValidationError(
                _(
                    "Remove the invisible character (U+%(code)04X) from this email address: "
                    "retype it rather than pasting it."
                ),
                code="invisible_character",
                params={"code": ord(character)},
            )
        if character.isspace():
            raise ValidationError(
                _("An email address has no spaces in it: remove them."), code="whitespace"
            )


# Names that never reach a person's mailbox (RFC 6761): the machine itself, or nothing.
LOCAL_ONLY_DOMAINS = (".localhost", ".localdomain", ".invalid")


def validate_mail_domain(email: str) -> None:
    """Refuse an address at a bare machine: Django takes x@[127.0.0.1] and x@localhost,
    which are no person's address (and mail to them goes to a server's own mailboxes)."""
    local, at, domain = email.rpartition("@")
    if not at:
        return  # no address at all: the email validator says so
    if domain.startswith("["):
        raise ValidationError(
            _(
                "Give an address at a domain name (such as example.org), not at a network "
                "address in brackets."
            ),
            code="domain_literal",
        )
    if domain and "." not in domain:
        raise ValidationError(
            _("Give the whole domain after the @, with its dot (such as example.org)."),
            code="domain_without_dot",
        )
    if domain.rstrip(".").endswith(LOCAL_ONLY_DOMAINS):
        raise ValidationError(
            _("This domain names a local machine or no machine at all: give a real address."),
            code="domain_local",
        )


def canonical_email(value: str) -> str:
    """Return VALUE in canonical form, checked: raise ValidationError if it is no address."""
    email = normalize_email(value)
    validate_email_characters(email)
    if not email.rpartition("@")[0].isascii():
        # Django's check lets "ı" (dotless i) and "ſ" (long s) pass for "i" and "s".
        raise ValidationError(
            _(
                "Use only plain Latin letters (a-z), digits and . _ - + before the @: "
                "letters of other alphabets can look the same and pass for someone "
                "else's address."
            ),
            code="not_ascii",
        )
    # Before Django's check, which calls "x@intranet" only "not valid": the reason first.
    validate_mail_domain(email)
    validate_email(email)  # again: NFKC may have turned a valid address into another
    domain = email.rpartition("@")[2]
    validate_domain_encodes(domain)
    if not domain.isascii():
        raise ValidationError(
            _(
                "The part after the @ has a letter (such as ß) that becomes other letters "
                "in an address email is sent to: type the domain as its mail provider "
                "writes it in plain letters (its xn-- form)."
            ),
            code="domain_not_ascii",
        )
    return email


def validate_domain_encodes(domain: str) -> None:
    """Refuse a domain no email can be sent to: one that does not encode to ASCII (IDNA).

    Django's email validator takes any letters, but a label over 63 characters once
    encoded ("é" x 63) fails only when the email is sent: the person was enrolled, and
    their invitation and password resets were lost in the worker.
    """
    try:
        punycode(domain)
    except UnicodeError as exc:
        raise ValidationError(
            _("The part after the @ is not a domain name email can be sent to: check it."),
            code="domain",
        ) from exc
