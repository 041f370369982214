"""Property tests for totals, tax rounding and inclusive/exclusive pricing."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from edge.domain.pricing import ROUNDINGS, PricedLine, divide, totals

rates = st.sampled_from([0, 500, 700, 1000, 1100, 1300, 2000, 2300, 2500])
lines = st.lists(
    st.builds(
        lambda amount, rate: PricedLine(amount, rate, f"T{rate}"), st.integers(0, 5_000_000), rates
    ),
    max_size=40,
)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6), st.sampled_from(ROUNDINGS))
def test_divide_is_within_half_a_unit_and_rounds_as_named(numerator, denominator, rounding):
    exact = Fraction(numerator, denominator)
    result = divide(numerator, denominator, rounding)
    if rounding == "down":
        assert result == numerator // denominator
    else:
        assert abs(result - exact) <= Fraction(1, 2)
        if abs(result - exact) == Fraction(1, 2):
            assert result > exact if rounding == "half_up" else result % 2 == 0


@given(lines, st.sampled_from(ROUNDINGS))
def test_inclusive_prices_make_the_guest_pay_exactly_the_lines(priced, rounding):
    result = totals(priced, prices_include_tax=True, rounding=rounding)
    assert result.total == sum(line.amount for line in priced)
    assert result.subtotal + result.tax_total == result.total
    for tax in result.taxes:
        gross = tax.base + tax.tax
        assert abs(tax.tax - Fraction(gross * tax.rate_bp, 10_000 + tax.rate_bp)) <= 1


@given(lines, st.sampled_from(ROUNDINGS))
def test_exclusive_prices_add_tax_on_top_rounded_once_per_rate(priced, rounding):
    result = totals(priced, prices_include_tax=False, rounding=rounding)
    assert result.subtotal == sum(line.amount for line in priced)
    assert result.total == result.subtotal + result.tax_total
    for tax in result.taxes:
        exact = Fraction(tax.base * tax.rate_bp, 10_000)
        assert abs(tax.tax - exact) < 1
    assert len({t.rate_bp for t in result.taxes}) == len(result.taxes)


@given(lines, st.booleans(), st.sampled_from(ROUNDINGS), st.randoms())
def test_totals_do_not_depend_on_line_order(priced, inclusive, rounding, rng):
    shuffled = list(priced)
    rng.shuffle(shuffled)
    assert totals(priced, prices_include_tax=inclusive, rounding=rounding) == totals(
        shuffled, prices_include_tax=inclusive, rounding=rounding
    )


@given(lines, st.booleans())
def test_money_stays_integer(priced, inclusive):
    result = totals(priced, prices_include_tax=inclusive, rounding="half_up")
    values = [result.subtotal, result.tax_total, result.total]
    values += [v for t in result.taxes for v in (t.base, t.tax)]
    assert all(type(v) is int for v in values)
    assert all(v >= 0 for v in values)


def test_known_cases():
    # 11 % exclusive on 10.05: 1.1055 -> 1.11 (half up)
    r = totals([PricedLine(1005, 1100, "PPN")], prices_include_tax=False, rounding="half_up")
    assert (r.subtotal, r.tax_total, r.total) == (1005, 111, 1116)
    # 23 % inclusive on 3.00: tax = 300 * 23 / 123 = 56.09 -> 56
    r = totals([PricedLine(300, 2300, "IVA")], prices_include_tax=True, rounding="half_up")
    assert (r.subtotal, r.tax_total, r.total) == (244, 56, 300)
    # half_even on an exact half: 2.5 -> 2, 3.5 -> 4
    assert divide(5, 2, "half_even") == 2 and divide(7, 2, "half_even") == 4
    assert divide(5, 2, "half_up") == 3 and divide(-5, 2, "half_up") == -2
