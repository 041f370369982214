"""What a check comes to, to the cent: plain functions of its lines, discounts and service
charge, and of how it is split. Nothing here reads or writes the database, so the property
tests call it directly.

Discounts come off before tax: a line's own first, then the check's, spread over the lines in
proportion to what is left of each. Tax is then computed per rate on the check as a whole
(`pricing.totals`, as orders do). The service charge is a percent of what the goods come to
and carries no tax.

A split never computes its parts' taxes on its own: rounding each part would make the parts
add up to a cent more or less than the whole. Each part gets a share of each of the whole's
amounts instead (`allocate`: largest remainder), so the parts always sum exactly to the whole,
rate by rate. A remainder cent goes to the part with the largest fraction of a cent; between
equal parts (an even split) to the next part in turn, starting with the first, so that the
parts of an even split differ by a cent at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

from edge.domain import pricing

Rate = tuple[int, str]  # (rate_bp, tax name)


class Line(NamedTuple):
    id: str
    amount: int  # unit price x quantity, as priced on the menu
    rate_bp: int
    tax_name: str


class Discount(NamedTuple):
    id: str
    kind: str  # percent (value in basis points) or fixed (minor units)
    value: int
    line_id: str | None = None  # None: on the whole check
    cap: int | None = None  # the most it may take off (a promo code's maximum)


class Totals(NamedTuple):
    """A check's money. `total` is what is due: goods (`subtotal` + `tax_total`, or with prices
    that include tax, the lines after discounts) plus the service charge."""

    subtotal: int
    tax_total: int
    taxes: tuple[pricing.TaxLine, ...]
    discount_total: int
    service_charge: int
    total: int
    discounts: dict[str, int]  # discount id -> what it took off
    lines: dict[str, int]  # line id -> its amount after discounts
    off: dict[str, dict[str, int]]  # discount id -> line id -> what it took off that line

    @property
    def goods(self) -> int:
        return self.total - self.service_charge


def allocate(total: int, weights: Sequence[Fraction | int], offset: int = 0) -> list[int]:
    """`total` in whole units shared in proportion to `weights`, summing exactly to `total`:
    each gets the whole part of its share, and the cents left go to the largest fractions;
    ties go in turn from part `offset`. No weight at all: equal shares."""
    return _allocate(total, weights, offset)[0]


def _allocate(
    total: int, weights: Sequence[Fraction | int], offset: int = 0
) -> tuple[list[int], int]:
    """`allocate`, and how many cents it handed out beyond the whole parts."""
    count = len(weights)
    if count == 0:
        return [], 0
    whole = sum(weights)
    if whole >= 0 and all(type(w) is int for w in weights):
        return _allocate_whole(total, [int(w) for w in weights] if whole else [1] * count, offset)
    shares = [Fraction(1, count)] * count if whole == 0 else [Fraction(w) / whole for w in weights]
    exact = [total * share for share in shares]
    parts = [int(e.numerator // e.denominator) for e in exact]
    left = total - sum(parts)
    order = sorted(range(count), key=lambda i: (-(exact[i] - parts[i]), (i - offset) % count))
    for i in order[:left]:
        parts[i] += 1
    return parts, left


def _allocate_whole(total: int, weights: Sequence[int], offset: int) -> tuple[list[int], int]:
    """`_allocate` for whole weights (amounts, most of the time) that add up to more than
    nothing, in integers: each share's fraction of a cent is its remainder over the same
    denominator, so the order by remainders is the order by fractions, without a Fraction."""
    count, whole = len(weights), sum(weights)
    parts, remainders = [], []
    for w in weights:
        part, remainder = divmod(total * w, whole)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)
    order = sorted(range(count), key=lambda i: (-remainders[i], (i - offset) % count))
    for i in order[:left]:
        parts[i] += 1
    return parts, left


def compute(
    lines: Sequence[Line],
    discounts: Sequence[Discount],
    *,
    prices_include_tax: bool,
    rounding: str,
    service_bp: int,
) -> Totals:
    amounts = {line.id: line.amount for line in lines}
    taken: dict[str, int] = {}
    took: dict[str, dict[str, int]] = {}
    for discount in discounts:  # a line's own discounts first, in the order they were given
        if discount.line_id is not None:
            if discount.line_id not in amounts:
                taken[discount.id] = 0
                took[discount.id] = {}
                continue
            off = _off(discount, amounts[discount.line_id], rounding)
            amounts[discount.line_id] -= off
            taken[discount.id] = off
            took[discount.id] = {discount.line_id: off}
    for discount in discounts:  # then the check's, spread over what is left of each line
        if discount.line_id is None:
            left = sum(amounts.values())
            off = _off(discount, left, rounding)
            ids = list(amounts)
            shares = allocate(off, [amounts[i] for i in ids])
            for line_id, share in zip(ids, shares, strict=True):
                amounts[line_id] -= share
            taken[discount.id] = off
            took[discount.id] = dict(zip(ids, shares, strict=True))
    goods = pricing.totals(
        [pricing.PricedLine(amounts[line.id], line.rate_bp, line.tax_name) for line in lines],
        prices_include_tax=prices_include_tax,
        rounding=rounding,
    )
    service = pricing.divide(goods.total * service_bp, 10_000, rounding) if service_bp else 0
    return Totals(
        subtotal=goods.subtotal,
        tax_total=goods.tax_total,
        taxes=goods.taxes,
        discount_total=sum(taken.values()),
        service_charge=service,
        total=goods.total + service,
        discounts=taken,
        lines=amounts,
        off=took,
    )


def _off(discount: Discount, amount: int, rounding: str) -> int:
    """What `discount` takes off `amount`: never more than it (nor than its cap)."""
    if discount.kind == "percent":
        off = pricing.divide(amount * discount.value, 10_000, rounding)
    else:
        off = discount.value
    if discount.cap is not None:
        off = min(off, discount.cap)
    return max(0, min(off, amount))


def split(
    whole: Totals,
    lines: Sequence[Line],
    shares: Sequence[Mapping[str, Fraction]],
    *,
    prices_include_tax: bool,
) -> list[Totals]:
    """The parts of a check split by `shares` (per part: line id -> its share of that line; a
    line's shares add up to 1): each of the whole's amounts shared out, rate by rate.

    Per rate, what the guest pays for it (its lines, its tax when prices exclude it, and its
    share of the service charge) is shared first, by what each part holds of its lines; then the
    service charge and the tax within each part's amount. So every amount sums exactly over the
    parts, and an even split's parts differ by a cent at most."""
    count = len(shares)
    rate_of = {line.id: (line.rate_bp, line.tax_name) for line in lines}
    buckets = []
    for tax in whole.taxes:
        ids = [i for i, rate in rate_of.items() if rate == (tax.rate_bp, tax.name)]
        goods = tax.base + tax.tax
        weights = [sum(whole.lines[i] * part.get(i, 0) for i in ids) for part in shares]
        buckets.append((tax, goods, weights))
    services = allocate(whole.service_charge, [goods for _, goods, _ in buckets])
    offset = 0
    paid = [0] * count
    service = [0] * count
    taxes: list[list[pricing.TaxLine]] = [[] for _ in range(count)]
    for (tax, goods, weights), bucket_service in zip(buckets, services, strict=True):
        amounts, left = _allocate(goods + bucket_service, weights, offset)
        offset = (offset + left) % count
        part_service = allocate(bucket_service, amounts)
        part_goods = [a - s for a, s in zip(amounts, part_service, strict=True)]
        part_taxes = allocate(tax.tax, part_goods)
        for p in range(count):
            taxes[p].append(
                pricing.TaxLine(tax.name, tax.rate_bp, part_goods[p] - part_taxes[p], part_taxes[p])
            )
            paid[p] += amounts[p]
            service[p] += part_service[p]
    # each discount shared by what it took off the lines each part holds (a part holding only
    # comped lines takes their comp, not a share of it by what it pays, which is nothing)
    off = {
        i: allocate(
            whole.discounts[i],
            [sum(took * part.get(j, 0) for j, took in by_line.items()) for part in shares],
        )
        for i, by_line in whole.off.items()
    }
    return [
        Totals(
            subtotal=sum(t.base for t in taxes[p]),
            tax_total=sum(t.tax for t in taxes[p]),
            taxes=tuple(taxes[p]),
            discount_total=sum(amounts[p] for amounts in off.values()),
            service_charge=service[p],
            total=paid[p],
            discounts={i: amounts[p] for i, amounts in off.items()},
            lines={},
            off={},
        )
        for p in range(count)
    ]


def charged(
    part: Totals, held: Sequence[tuple[str, int, Fraction]], *, prices_include_tax: bool
) -> dict[str, int]:
    """What a part's receipt prints for each line it holds (`held`: line id, the line's amount,
    the part's share of it): its goods before discounts, the subtotal its receipt prints, shared
    out in proportion to each share of a price, so that its lines add up to that subtotal to
    the cent (a third of each line rounded down did not, nor did the parts' lines add up to
    the check's)."""
    gross = part.subtotal + part.discount_total + (part.tax_total if prices_include_tax else 0)
    weights = [amount * share for _, amount, share in held]
    return dict(zip([i for i, _, _ in held], allocate(gross, weights), strict=True))


def even(line_ids: Sequence[str], ways: int) -> list[dict[str, Fraction]]:
    """Shares of an even split into `ways` parts: each part a 1/ways of every line."""
    return [{i: Fraction(1, ways) for i in line_ids} for _ in range(ways)]
