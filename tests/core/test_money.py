"""Dollars as typed in forms (prices, filters, refunds) to exact cents, and back."""

import pytest

from marketplace.core.money import MAX_CENTS, NotAnAmount, parse_dollars, plain_dollars


@pytest.mark.parametrize(("typed", "cents"), [
    ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("$12", 1200), ("1,200.50", 120050),
    ("$ 7.5", 750), (" 38 ", 3800), ("0", 0), ("0.01", 1), (".5", 50), ("12.", 1200),
    ("19.99", 1999), ("1,000,000", MAX_CENTS), ("00012.30", 1230),
    ("១២.៥០", 1250),  # Khmer digits, as a Khmer keyboard types them
])
def test_dollars_as_typed_become_exact_cents(typed, cents):
    assert parse_dollars(typed) == cents


@pytest.mark.parametrize(("typed", "reason"), [
    ("", NotAnAmount.FORMAT), ("   ", NotAnAmount.FORMAT), ("abc", NotAnAmount.FORMAT),
    ("$", NotAnAmount.FORMAT), (".", NotAnAmount.FORMAT), ("12.5.0", NotAnAmount.FORMAT),
    ("1,20", NotAnAmount.FORMAT), ("12,50", NotAnAmount.FORMAT), ("1e3", NotAnAmount.FORMAT),
    ("NaN", NotAnAmount.FORMAT), ("inf", NotAnAmount.FORMAT), ("Infinity", NotAnAmount.FORMAT),
    ("+5", NotAnAmount.FORMAT), ("--5", NotAnAmount.FORMAT), (None, NotAnAmount.FORMAT),
    (12, NotAnAmount.FORMAT),
    ("-3", NotAnAmount.NEGATIVE), ("-0.50", NotAnAmount.NEGATIVE),
    ("$-3", NotAnAmount.NEGATIVE), ("-$3", NotAnAmount.NEGATIVE),
    ("12.345", NotAnAmount.PRECISION), ("12.500", NotAnAmount.PRECISION),
    ("1,000,000.01", NotAnAmount.TOO_LARGE), ("9" * 40, NotAnAmount.TOO_LARGE),
    ("1" * 100_000, NotAnAmount.TOO_LARGE),
])
def test_anything_else_is_refused_with_the_reason(typed, reason):
    with pytest.raises(NotAnAmount) as caught:
        parse_dollars(typed)
    assert caught.value.reason == reason


def test_the_ceiling_can_be_lowered():
    assert parse_dollars("50", maximum_cents=5000) == 5000
    with pytest.raises(NotAnAmount):
        parse_dollars("50.01", maximum_cents=5000)


@pytest.mark.parametrize(("cents", "shown"), [
    (1250, "12.50"), (5, "0.05"), (0, "0.00"), (120050, "1200.50"), (-5, "-0.05"), (None, ""),
])
def test_cents_as_plain_dollars_for_form_values(cents, shown):
    assert shown == plain_dollars(cents)
    if cents is not None and cents >= 0:
        assert parse_dollars(shown) == cents
