"""Money on paper: decimals per currency, never floats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printers.money import currency_decimals, format_money


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123450, "EUR", "1,234.50"),
        (5, "USD", "0.05"),
        (-310, "EUR", "-3.10"),
        (150000, "IDR", "150,000"),
        (1200, "JPY", "1,200"),
        (99000, "VND", "99,000"),
        (1234, "KWD", "1.234"),
        (0, "EUR", "0.00"),
    ],
)
def test_format_money(minor, currency, text):
    assert format_money(minor, currency) == text


def test_code_suffix_and_case():
    assert format_money(160545, "idr", code=True) == "160,545 IDR"
    assert currency_decimals("eur") == 2


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_rejects_non_integer_amounts(bad):
    with pytest.raises(TypeError):
        format_money(bad, "EUR")


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "IDR", "KWD"]))
def test_round_trips_to_the_same_minor_units(minor, currency):
    text = format_money(minor, currency)
    digits = text.replace(",", "").replace(".", "")
    assert int(digits) == minor
