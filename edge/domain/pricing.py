"""Order totals, computed on the server from the lines, never taken from the client.

Money is integer minor units. Tax is computed once per rate on the sum of that rate's lines
(invoice-level rounding, so a 20-line bill does not drift by 20 rounding errors), using the
store's rounding rule. With tax-inclusive prices the guest pays exactly the sum of the lines and
the tax is carved out of it; with exclusive prices the tax is added on top.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from service.config_fields import ROUNDINGS
from service.shapes import COUNT, MONEY, shape, text

# Named tuples, not frozen dataclasses: every order makes one per line, and a frozen
# dataclass costs about 1 us to build (measured), four times a named tuple.


class PricedLine(NamedTuple):
    amount: int  # unit price x quantity, as shown on the menu (gross if prices include tax)
    rate_bp: int  # tax rate in basis points: 1100 = 11 %
    tax_name: str


class TaxLine(NamedTuple):
    name: str
    rate_bp: int
    base: int  # net amount taxed at this rate
    tax: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "rate_bp": self.rate_bp, "base": self.base, "tax": self.tax}


TAX_VIEW = shape(
    "TaxLine",
    {
        "name": text("the tax rate's name"),
        "rate_bp": {**COUNT, "description": "basis points: 1300 = 13 %"},
        "base": {**MONEY, "description": "net amount taxed at this rate"},
        "tax": MONEY,
    },
    description="the tax of one rate on an order",
)


class Totals(NamedTuple):
    subtotal: int  # net of tax
    tax_total: int
    total: int  # what the guest pays
    taxes: tuple[TaxLine, ...]


def divide(numerator: int, denominator: int, rounding: str) -> int:
    """numerator / denominator rounded to an integer by `rounding`, exactly (no floats)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if rounding == "down":
        return quotient
    if twice > denominator or (twice == denominator and rounding == "half_up"):
        return quotient + 1
    if twice == denominator and rounding == "half_even":
        return quotient + (quotient % 2)
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}")
    return quotient


def cash_due(amount: int, step: int) -> int:
    """What `amount` comes to in cash, where the smallest coin is `step` minor units (the
    store's `cash_rounding`; 1: none): rounded to it, half up (SEK 8.50 is 9 kr in cash)."""
    return divide(amount, step, "half_up") * step if step > 1 else amount


def totals(lines: Iterable[PricedLine], *, prices_include_tax: bool, rounding: str) -> Totals:
    by_rate: dict[tuple[int, str], int] = {}
    for line in lines:
        key = (line.rate_bp, line.tax_name)
        by_rate[key] = by_rate.get(key, 0) + line.amount
    taxes = []
    for (rate_bp, name), amount in sorted(by_rate.items()):
        if prices_include_tax:
            tax = divide(amount * rate_bp, 10_000 + rate_bp, rounding)
            base = amount - tax
        else:
            tax = divide(amount * rate_bp, 10_000, rounding)
            base = amount
        taxes.append(TaxLine(name, rate_bp, base, tax))
    subtotal = sum(t.base for t in taxes)
    tax_total = sum(t.tax for t in taxes)
    return Totals(subtotal, tax_total, subtotal + tax_total, tuple(taxes))
