"""Money on paper: decimals per currency, never floats; the currency's symbol where the printer
can print it, else its ISO code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printers.codepages import can_print
from printers.money import CURRENCIES, currency_decimals, format_amount, format_money
from printers.profiles import GENERIC_58MM, PROFILES, TM_T20II

LATIN = ("CP858",)  # the euro, the pound and the yen, no zł


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
def test_format_amount(minor, currency, text):
    assert format_amount(minor, currency) == text


@pytest.mark.parametrize(
    ("minor", "currency", "codepages", "text"),
    [
        (6980, "EUR", LATIN, "€69.80"),  # as the admin page's Intl.NumberFormat says it
        (-310, "EUR", LATIN, "-€3.10"),
        (6980, "eur", LATIN, "€69.80"),
        (6980, "EUR", ("CP437",), "EUR 69.80"),  # no euro in CP437
        (6980, "EUR", GENERIC_58MM.codepages, "€69.80"),  # but in its second code page
        (150000, "IDR", LATIN, "Rp 150,000"),  # a symbol that ends in a letter is spaced
        (1250, "GBP", LATIN, "£12.50"),
        (1200, "JPY", LATIN, "¥1,200"),
        (1250, "SEK", LATIN, "12.50 kr"),  # after the amount, as in Sweden
        (-1250, "SEK", LATIN, "-12.50 kr"),
        (1250, "PLN", TM_T20II.codepages, "12.50 zł"),  # ł is in CP852
        (1250, "PLN", LATIN, "PLN 12.50"),
        (123450, "INR", TM_T20II.codepages, "INR 1,234.50"),  # no code page has ₹
        (1250, "CHF", LATIN, "CHF 12.50"),  # the code is what the Swiss write
        (1234, "KWD", LATIN, "KWD 1.234"),
        (100, "XYZ", LATIN, "XYZ 1.00"),  # not a currency we know: two decimals, its code
    ],
)
def test_format_money(minor, currency, codepages, text):
    assert format_money(minor, currency, codepages) == text


def test_decimals_and_case():
    assert currency_decimals("eur") == 2 and currency_decimals("IDR") == 0
    assert currency_decimals("KWD") == 3 and currency_decimals("XYZ") == 2


@pytest.mark.parametrize("currency", sorted(CURRENCIES))
def test_every_currency_prints_on_every_printer(currency):
    for profile in PROFILES.values():
        text = format_money(-123456, currency, profile.codepages)
        assert can_print(text, profile.codepages), text
        assert text.startswith("-") and format_amount(123456, currency) in text


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_rejects_non_integer_amounts(bad):
    with pytest.raises(TypeError):
        format_amount(bad, "EUR")
    with pytest.raises(TypeError):
        format_money(bad, "EUR", LATIN)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "IDR", "KWD"]))
def test_round_trips_to_the_same_minor_units(minor, currency):
    text = format_amount(minor, currency)
    digits = text.replace(",", "").replace(".", "")
    assert int(digits) == minor
