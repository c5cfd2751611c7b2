"""Peer evaluation: individual marks from a group mark with WebPA factors.

The method is WebPA's (Loughborough University, https://webpaproject.lboro.ac.uk/),
the standard algorithm for peer moderation of group marks:

1. Each member *r* rates every member of the group, themselves included, from 1 to 5.
2. Normalize each rater: divide each score *r* gave by the total *r* gave, so every
   rater hands out exactly 1 in fractions, however generous or harsh they are.
3. A member's WebPA score is the sum of the fractions they received.
4. With *n* members of whom *m* submitted ratings, multiply by ``n / m`` (WebPA's
   "fudge factor"; 1 when everyone rated). The factors then add up to *n*: they
   average 1, so an evenly rated group keeps the group mark.
5. Cap the factor at the assignment's ``peer_factor_cap`` (1.20 by default), so one
   member cannot be lifted far above the group's work; there is no floor.
6. Individual mark = group mark x factor, capped at 100 %.

Non-submitters still receive the others' ratings and get a factor through the fudge
factor; no automatic penalty applies (an instructor may override their mark, with a
reason). A rater counts only while their ratings cover every current member: ratings
given before someone joined the group say nothing of the newcomer, who would otherwise
receive nothing and get a factor of 0; they count again once the rater rates everyone.
Ratings of a member who left are dropped. When nobody rated, or the group has one
member, every factor is 1. Factors
are computed with exact fractions; marks are rounded to 2 decimals only at the end.

Students see their own factor only, never the scores or comments teammates gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

__all__ = ["individual_mark", "to_decimal", "webpa_factors"]

HUNDRED = Fraction(100)
CENT = Decimal("0.01")


def webpa_factors(
    members: Iterable[int], ratings: Mapping[int, Mapping[int, int]]
) -> dict[int, Fraction]:
    """Return each member's uncapped WebPA factor.

    MEMBERS are the ids of the group's members; RATINGS maps a rater to the scores they
    gave (ratee -> score). Ratings by or about non-members are ignored, as are raters
    whose scores add up to nothing and raters who have not rated every member (someone
    joined the group after they rated).
    """
    members = list(members)
    member_set = set(members)
    received = dict.fromkeys(members, Fraction(0))
    submitted = 0
    for rater, given in ratings.items():
        if rater not in member_set:
            continue
        scores = {ratee: score for ratee, score in given.items() if ratee in member_set}
        total = sum(scores.values())
        if total <= 0 or scores.keys() != member_set:
            continue
        submitted += 1
        for ratee, score in scores.items():
            received[ratee] += Fraction(score, total)
    if submitted == 0 or len(members) < 2:
        return dict.fromkeys(members, Fraction(1))
    fudge = Fraction(len(members), submitted)
    return {member: score * fudge for member, score in received.items()}


def individual_mark(group_mark: Decimal, factor: Fraction, *, cap: Decimal) -> Decimal:
    """Return GROUP_MARK (a percentage) times FACTOR capped at CAP, at most 100."""
    capped = min(factor, Fraction(cap))
    return to_decimal(min(Fraction(group_mark) * capped, HUNDRED))


def to_decimal(value: Fraction | Decimal) -> Decimal:
    """Return VALUE rounded half up to 2 decimals."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
