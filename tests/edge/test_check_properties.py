"""Property tests for what a check comes to: discounts, service charge and splits add up to the
cent, tax by rate to the tax total, and the parts of a split to the whole, component by
component; and a check voided into after a payment settles again with not a cent lost."""

import contextlib
import dataclasses
import shutil
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core import db
from edge.core.permissions import SYSTEM
from edge.domain import (
    check_splits,
    checks,
    discounts,
    orders,
    payments,
    pos_config,
    reports,
    shifts,
)
from edge.domain import check_totals as money
from edge.domain import store as store_settings
from edge.domain.pricing import ROUNDINGS
from edge.runtime.writer import Writer
from service.errors import Conflict, Invalid

rates = st.sampled_from([0, 600, 1300, 2300])
check_lines = st.lists(
    st.builds(
        lambda n, amount, rate: money.Line(f"l{n}", amount, rate, f"T{rate}"),
        st.integers(0, 10**6),
        st.integers(0, 500_000),
        rates,
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda line: line.id,
)
discount_specs = st.lists(
    st.tuples(
        st.sampled_from(["percent", "fixed"]),
        st.integers(0, 10_000),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 5_000)),
    ),
    max_size=4,
)


def _discounts(lines, specs):
    return [
        money.Discount(f"d{i}", kind, value, lines[i % len(lines)].id if on_line else None, cap)
        for i, (kind, value, on_line, cap) in enumerate(specs)
    ]


def _compute(lines, specs, included, rounding, service_bp):
    return money.compute(
        lines,
        _discounts(lines, specs),
        prices_include_tax=included,
        rounding=rounding,
        service_bp=service_bp,
    )


@given(
    check_lines,
    discount_specs,
    st.booleans(),
    st.sampled_from(ROUNDINGS),
    st.integers(0, 2_500),
)
def test_a_check_adds_up_and_reading_it_again_changes_nothing(
    lines, specs, included, rounding, service_bp
):
    totals = _compute(lines, specs, included, rounding, service_bp)
    assert totals == _compute(lines, specs, included, rounding, service_bp)
    assert sum(t.tax for t in totals.taxes) == totals.tax_total
    assert sum(t.base for t in totals.taxes) == totals.subtotal
    assert totals.subtotal + totals.tax_total + totals.service_charge == totals.total
    gross = sum(line.amount for line in lines)
    assert sum(totals.lines.values()) == gross - totals.discount_total
    assert all(amount >= 0 for amount in totals.lines.values())
    assert totals.discount_total == sum(totals.discounts.values())


@st.composite
def splits(draw):
    lines = draw(check_lines)
    kind = draw(st.sampled_from(["even", "items", "mixed"]))
    if kind == "even":
        return lines, money.even([line.id for line in lines], draw(st.integers(2, 12)))
    count = draw(st.integers(2, 6))
    owners = draw(st.lists(st.integers(0, count - 1), min_size=len(lines), max_size=len(lines)))
    shares = [{} for _ in range(count)]
    for line, owner in zip(lines, owners, strict=True):
        if kind == "mixed" and owner == 0:  # shared by every part, as a seat split shares
            for part in shares:
                part[line.id] = Fraction(1, count)
        else:
            shares[owner][line.id] = Fraction(1)
    return lines, shares


@given(splits(), discount_specs, st.booleans(), st.sampled_from(ROUNDINGS), st.integers(0, 2_500))
def test_the_parts_of_a_split_sum_exactly_to_the_whole(split, specs, included, rounding, bp):
    lines, shares = split
    whole = _compute(lines, specs, included, rounding, bp)
    parts = money.split(whole, lines, shares, prices_include_tax=included)
    assert len(parts) == len(shares)
    assert sum(p.total for p in parts) == whole.total
    assert sum(p.tax_total for p in parts) == whole.tax_total
    assert sum(p.subtotal for p in parts) == whole.subtotal
    assert sum(p.service_charge for p in parts) == whole.service_charge
    assert sum(p.discount_total for p in parts) == whole.discount_total
    for i, tax in enumerate(whole.taxes):
        assert sum(p.taxes[i].tax for p in parts) == tax.tax
        assert sum(p.taxes[i].base for p in parts) == tax.base
    for part, held in zip(parts, shares, strict=True):
        assert sum(t.tax for t in part.taxes) == part.tax_total
        assert part.subtotal + part.tax_total + part.service_charge == part.total
        # each discount it shares is what that discount took off the lines it holds, to the cent
        assert part.discount_total == sum(part.discounts.values())
        for i, by_line in whole.off.items():
            exact = sum(took * held.get(line, 0) for line, took in by_line.items())
            assert abs(part.discounts[i] - exact) < 1


@given(check_lines, st.integers(2, 12), st.booleans(), st.sampled_from(ROUNDINGS))
def test_an_even_split_differs_by_a_cent_at_most(lines, ways, included, rounding):
    whole = _compute(lines, [], included, rounding, 0)
    parts = money.split(
        whole, lines, money.even([line.id for line in lines], ways), prices_include_tax=included
    )
    totals = [p.total for p in parts]
    assert max(totals) - min(totals) <= 1
    assert totals == sorted(totals, reverse=True)  # the remainder cents go to the first parts


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_allocate_shares_out_exactly_and_fairly(total, weights):
    shares = money.allocate(total, weights)
    assert sum(shares) == total
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, whole) if whole else Fraction(total, len(weights))
        assert abs(share - exact) < 1


AT_TILL = dataclasses.replace(SYSTEM, device="till")  # an owner at the till's shift


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=6), st.data())
def test_a_void_on_a_partly_paid_check_settles_it_again_to_the_cent(
    demo_template, tmp_path_factory, picks, data
):
    """A check is paid in part, then lines are voided one by one (until the payment covers
    it): what is left to pay and what is owed back always make up the new total with what was
    paid; the rest is paid, or what is owed back refunded, and the day's report then counts the
    check at its new total, with takings to match."""
    path = tmp_path_factory.mktemp("void") / "edge.db"
    shutil.copy(demo_template, path)
    writer = Writer(path, "n1")
    with contextlib.closing(db.connect(path)) as conn:
        try:
            plain = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM menu_items WHERE active AND id NOT IN"
                    " (SELECT item_id FROM item_modifier_groups) ORDER BY name"
                )
            ]
            writer.run_sync(shifts.open_shift, AT_TILL, {"float": 0})
            lines = [{"item_id": plain[i]} for i in picks]
            order = writer.run_sync(
                orders.create, AT_TILL, {"kind": "counter", "lines": lines, "send": True}
            )
            check = writer.run_sync(checks.open_check, AT_TILL, {"order_id": order["id"]})
            method = data.draw(st.sampled_from(["cash", "card"]), label="method")
            tender = {"method": method, "amount": data.draw(st.integers(1, check["total"] - 1))}
            if method == "card":
                tender["reference"] = "T-1"
            payment = writer.run_sync(payments.take, AT_TILL, check["id"], tender)["payment"]
            ids = [line["line_id"] for line in check["lines"]]
            voided = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
            for line_id in voided:
                writer.run_sync(payments.void_line, AT_TILL, line_id, "sent by mistake")
                view = checks.get(conn, check["id"])
                assert view["paid"] == payment["amount"]
                assert view["paid"] - view["due_back"] + view["balance"] == view["total"]
                assert min(view["balance"], view["due_back"]) == 0
                if view["status"] == "paid":
                    assert view["due_back"] == payment["amount"] - view["total"]
                    assert orders.get(conn, order["id"])["status"] == "closed"
                    break
                assert view["balance"] > 0
            if view["due_back"]:
                back = {"amount": view["due_back"], "reason": "voided after payment"}
                writer.run_sync(payments.refund, AT_TILL, payment["id"], back)
            elif view["balance"]:
                rest = {"method": "card", "reference": "T-2"}
                writer.run_sync(payments.take, AT_TILL, check["id"], rest)
            final = checks.get(conn, check["id"])
            assert final["status"] == "paid" and final["balance"] == final["due_back"] == 0
            day = reports.build(conn, final["business_day"])
            assert day["sales"] == final["total"] == day["takings"]
            assert sum(t["tax"] for t in day["taxes"]) == day["tax_total"]
        finally:
            writer.close()


def _rules(data, writer):
    """The store's tax rules and the POS's service charge and cash rounding, drawn."""
    included = data.draw(st.booleans(), label="prices_include_tax")
    rounding = data.draw(st.sampled_from(ROUNDINGS), label="tax_rounding")
    writer.run_sync(
        store_settings.update, AT_TILL, {"prices_include_tax": included, "tax_rounding": rounding}
    )
    pos = {
        "service_bp": data.draw(st.integers(0, 2_500), label="service_bp"),
        "service_min_covers": data.draw(st.integers(0, 4), label="service_min_covers"),
        "cash_rounding": data.draw(st.sampled_from([1, 5, 10, 50]), label="cash_rounding"),
    }
    writer.run_sync(pos_config.update, AT_TILL, pos)


def _split_check(data, writer, conn):
    """A walk-in with drawn lines (seats, quantities), discounts and covers, split by a drawn
    way; answers the split check."""
    plain = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM menu_items WHERE active AND id NOT IN"
            " (SELECT item_id FROM item_modifier_groups) ORDER BY name"
        )
    ]
    picks = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, len(plain) - 1), st.integers(1, 3), st.sampled_from([None, 1, 2, 3])
            ),
            min_size=1,
            max_size=8,
        ),
        label="lines",
    )
    lines = [
        {"item_id": plain[i], "quantity": q, **({"seat": seat} if seat else {})}
        for i, q, seat in picks
    ]
    covers = data.draw(st.integers(0, 6), label="covers")
    order = writer.run_sync(
        orders.create,
        AT_TILL,
        {"kind": "counter", "covers": covers, "lines": lines, "send": True},
    )
    check = writer.run_sync(checks.open_check, AT_TILL, {"order_id": order["id"]})
    ids = [line["line_id"] for line in check["lines"]]
    for kind, value, line in data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["percent", "fixed"]),
                st.integers(1, 5_000),
                st.one_of(st.none(), st.sampled_from(ids)),
            ),
            max_size=3,
        ),
        label="discounts",
    ):
        given = {"kind": kind, "value": value, "reason": "regular"}
        with contextlib.suppress(Conflict, Invalid):  # a promo that does not stack, ...
            writer.run_sync(
                discounts.add_discount,
                AT_TILL,
                check["id"],
                given | ({"line_id": line} if line else {}),
            )
    seats = {line["seat"] for line in check["lines"] if line["seat"] is not None}
    by = data.draw(st.sampled_from(["even", "items", *(["seat"] if len(seats) > 1 else [])]))
    if by == "even":
        how: dict = {"ways": data.draw(st.integers(2, 7), label="ways")}
    elif by == "items":
        owners = data.draw(st.permutations(range(len(ids))), label="order")
        cut = data.draw(st.integers(1, len(ids) - 1), label="cut") if len(ids) > 1 else 0
        if not cut:
            how = {"ways": 2}
            by = "even"
        else:
            chosen = [ids[i] for i in owners]
            how = {"parts": [chosen[:cut], chosen[cut:]]}
    else:
        how = {}
    return writer.run_sync(check_splits.split, AT_TILL, check["id"], {"by": by, **how})


def _pay_parts(data, writer, conn, split):
    """Each part paid in cash or by card; the rules drawn again (as a manager may change them)
    after any of them."""
    for part in split["parts"]:
        if data.draw(st.booleans(), label="rules change"):
            _rules(data, writer)
        tender = {"method": data.draw(st.sampled_from(["cash", "card"]), label="method")}
        if tender["method"] == "card":
            tender["reference"] = "T-1"
        writer.run_sync(payments.take, AT_TILL, part["id"], tender)
    return checks.get(conn, split["id"])


def _new_box(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("split") / "edge.db"
    shutil.copy(demo_template, path)
    return Writer(path, "n1"), db.connect(path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_a_split_check_is_paid_part_by_part_to_the_cent(demo_template, tmp_path_factory, data):
    """A walk-in with seats, quantities, discounts and covers, under drawn tax rules, service
    charge and cash rounding, split evenly, by seat or by items, each part paid in cash or by
    card while the rules may change between them: the parts add up to the whole as it was
    split, the tenders pay it exactly (cash rounding kept apart), and the day's report counts
    the check at its total, tax by rate as the whole's."""
    writer, conn = _new_box(demo_template, tmp_path_factory)
    try:
        _rules(data, writer)
        writer.run_sync(shifts.open_shift, AT_TILL, {"float": 0})
        split = _split_check(data, writer, conn)
        assert sum(part["total"] for part in split["parts"]) == split["total"]
        assert split["balance"] == split["total"]
        final = _pay_parts(data, writer, conn, split)
        assert final["status"] == "paid" and final["balance"] == final["due_back"] == 0
        assert sum(p["amount"] for p in final["payments"]) == final["total"] == split["total"]
        assert [p["total"] for p in final["parts"]] == [p["total"] for p in split["parts"]]
        day = reports.build(conn, final["business_day"])
        rounding = sum(p["rounding"] for p in final["payments"])
        assert day["sales"] == final["total"] and day["takings"] == final["total"] + rounding
        assert day["tax_total"] == final["tax_total"]
        assert day["taxes"] == sorted(final["taxes"], key=lambda t: (t["rate_bp"], t["name"]))
        assert day["service_charge"] == final["service_charge"]
        assert day["discounts"] == final["discount_total"]
        # each part's receipt adds up: its lines to its subtotal, less its share of the
        # discounts to its total; and the parts' lines to the whole's
        charged = 0
        for part in final["parts"]:
            view = checks.get(conn, part["id"])
            included = view["prices_include_tax"]
            lines = sum(line["charged"] for line in view["lines"])
            goods = view["total"] - view["service_charge"] - (0 if included else view["tax_total"])
            assert lines - view["discount_total"] == goods
            assert sum(d["amount"] for d in view["discounts"]) == view["discount_total"]
            charged += lines
        assert charged == sum(line["amount"] for line in final["lines"] if not line["voided"])
    finally:
        writer.close()
        conn.close()
