"""WebPA factors and individual marks, checked against examples worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from grading.peer import individual_mark, webpa_factors

A, B, C, D = 1, 2, 3, 4
CAP = Decimal("1.20")


def test_an_evenly_rated_group_keeps_the_group_mark():
    # Everyone gives everyone 4: each rater hands out 4/16 = 1/4 to each of 4 members,
    # each member receives 4 x 1/4 = 1, fudge factor 4/4 = 1.
    ratings = {r: {A: 4, B: 4, C: 4, D: 4} for r in (A, B, C, D)}
    factors = webpa_factors([A, B, C, D], ratings)
    assert factors == {A: 1, B: 1, C: 1, D: 1}
    assert individual_mark(Decimal("72.50"), factors[A], cap=CAP) == Decimal("72.50")


def test_worked_example_with_four_raters():
    # A rates everyone 4 (total 16): 1/4 each.
    # B, C and D each give A 5, B 3, C 4, D 4 (total 16): A 5/16, B 3/16, C 1/4, D 1/4.
    # Received: A = 1/4 + 3 x 5/16 = 19/16 = 1.1875
    #           B = 1/4 + 3 x 3/16 = 13/16 = 0.8125
    #           C = D = 1/4 + 3 x 1/4 = 1
    # Sum = 4 = n, so the factors average 1. Fudge factor 4/4 = 1.
    ratings = {
        A: {A: 4, B: 4, C: 4, D: 4},
        B: {A: 5, B: 3, C: 4, D: 4},
        C: {A: 5, B: 3, C: 4, D: 4},
        D: {A: 5, B: 3, C: 4, D: 4},
    }
    factors = webpa_factors([A, B, C, D], ratings)
    assert factors == {A: Fraction(19, 16), B: Fraction(13, 16), C: 1, D: 1}
    assert sum(factors.values()) == 4
    # Group mark 80: A 80 x 1.1875 = 95, B 80 x 0.8125 = 65, C and D 80.
    assert individual_mark(Decimal("80"), factors[A], cap=CAP) == Decimal("95.00")
    assert individual_mark(Decimal("80"), factors[B], cap=CAP) == Decimal("65.00")
    assert individual_mark(Decimal("80"), factors[C], cap=CAP) == Decimal("80.00")
    # With a cap of 1.10, A gets 80 x 1.10 = 88.
    assert individual_mark(Decimal("80"), factors[A], cap=Decimal("1.10")) == Decimal("88.00")


def test_worked_example_with_a_non_submitter():
    # Three members; C never rates.
    # A gives A 3, B 3, C 2 (total 8):  3/8, 3/8, 1/4.
    # B gives A 4, B 4, C 2 (total 10): 2/5, 2/5, 1/5.
    # Received: A = 3/8 + 2/5 = 31/40, B = 31/40, C = 1/4 + 1/5 = 9/20.
    # Fudge factor n/m = 3/2: A = B = 93/80 = 1.1625, C = 27/40 = 0.675 (sum 3).
    ratings = {A: {A: 3, B: 3, C: 2}, B: {A: 4, B: 4, C: 2}}
    factors = webpa_factors([A, B, C], ratings)
    assert factors == {A: Fraction(93, 80), B: Fraction(93, 80), C: Fraction(27, 40)}
    assert sum(factors.values()) == 3
    # Group mark 90: A 90 x 1.1625 = 104.625, capped at 100; C 90 x 0.675 = 60.75.
    assert individual_mark(Decimal("90"), factors[A], cap=CAP) == Decimal("100.00")
    assert individual_mark(Decimal("90"), factors[C], cap=CAP) == Decimal("60.75")
    # Group mark 60: A 60 x 1.1625 = 69.75 (under the 1.20 cap).
    assert individual_mark(Decimal("60"), factors[A], cap=CAP) == Decimal("69.75")


def test_the_factor_is_capped():
    # Two members; both say A did everything: A 5, B 1 (total 6) from each rater.
    # A = 2 x 5/6 = 5/3 (1.667), B = 2 x 1/6 = 1/3.
    ratings = {A: {A: 5, B: 1}, B: {A: 5, B: 1}}
    factors = webpa_factors([A, B], ratings)
    assert factors == {A: Fraction(5, 3), B: Fraction(1, 3)}
    # Group mark 60: A 60 x 1.20 (cap) = 72, not 100; B 60 x 1/3 = 20.
    assert individual_mark(Decimal("60"), factors[A], cap=CAP) == Decimal("72.00")
    assert individual_mark(Decimal("60"), factors[B], cap=CAP) == Decimal("20.00")


def test_marks_are_rounded_half_up_at_the_end():
    # 70 x 13/16 = 56.875 -> 56.88
    assert individual_mark(Decimal("70"), Fraction(13, 16), cap=CAP) == Decimal("56.88")


def test_no_ratings_or_a_single_member_leave_the_mark_unchanged():
    assert webpa_factors([A, B, C], {}) == {A: 1, B: 1, C: 1}
    assert webpa_factors([A], {A: {A: 5}}) == {A: 1}


def test_ratings_by_or_about_outsiders_are_ignored():
    # D is not a member: the rating by D is dropped, and A's score for D does not count.
    ratings = {A: {A: 2, B: 2, D: 5}, D: {A: 1, B: 5}}
    assert webpa_factors([A, B], ratings) == {A: 1, B: 1}


def test_ratings_given_before_a_member_joined_count_again_once_they_cover_everyone():
    # A rated A and B; C joined afterwards. Counted, A's ratings gave C nothing, hence a
    # factor of 0, and lifted A and B by n/m = 3: they do not count until A rates C too.
    assert webpa_factors([A, B, C], {A: {A: 5, B: 2}}) == {A: 1, B: 1, C: 1}
    # B rated everyone: B's ratings alone decide, corrected by n/m = 3 as any group's.
    factors = webpa_factors([A, B, C], {A: {A: 5, B: 2}, B: {A: 1, B: 1, C: 2}})
    assert factors == {A: Fraction(3, 4), B: Fraction(3, 4), C: Fraction(3, 2)}
    # Once A rates C as well, both count.
    factors = webpa_factors([A, B, C], {A: {A: 2, B: 1, C: 1}, B: {A: 1, B: 1, C: 2}})
    assert factors == {A: Fraction(9, 8), B: Fraction(3, 4), C: Fraction(9, 8)}
