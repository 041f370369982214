"""Discounts on a check or one of its lines: a percent or an amount with a reason (a manager's,
or with a manager's PIN, above the store's limit: each one, and all of a check's but its promo
codes together, so that small ones given one by one do not pass it), or a promo code with its
rules (dates, minimum spend, cap, usage limit, one per check unless every one on it stacks).

A percent a manager approved takes off at most what it came to then (`cap`): lines that join
its check later (a merge, a move, the table's next order) pay their price."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import check_totals as money
from edge.domain import checks, pos_config
from edge.domain.rows import existing
from service import fields as f
from service.errors import Conflict, Invalid
from sync.clock import now_iso
from sync.ids import uuid7

DISCOUNT = f.Form(
    {
        "line_id": f.optional(f.identifier),
        "kind": f.choice("percent", "fixed"),
        "value": f.integer(0, 100_000_000),
        "reason": f.text(140, blank=True),
        "promo_code": f.text(30),
    },
)


def add_discount(
    conn: WriteConnection,
    actor: Actor,
    check_id: str,
    values: dict[str, Any],
    approver: Actor | None = None,
) -> dict[str, Any]:
    """A discount on the check or one of its lines: a percent or an amount with a reason, or a
    promo code. Above the store's limit it needs a manager (or a manager's PIN)."""
    require(actor, "check.edit")
    given = DISCOUNT.clean(values)
    check = checks.changeable(conn, check_id)
    checks.roll_in(conn, actor, check)
    lines, existing_discounts, covers = checks.contents(conn, check_id)
    line_id = given.get("line_id")
    live = {line["id"]: line for line in lines if line["state"] != "voided"}
    if line_id is not None and line_id not in live:
        raise Invalid("that line is not on this check", code="unknown_line", field="line_id")
    now = checks.totals(conn, check, (lines, existing_discounts, covers))
    approved_by = None
    if "promo_code" in given:
        if {"kind", "value"} & given.keys():
            raise Invalid("a promo code sets its own discount", field="promo_code")
        promo = pos_config.find_promo(conn, given["promo_code"])
        _promo_applies(promo, now, existing_discounts)
        row = {"kind": promo["kind"], "value": promo["value"], "promo_code_id": promo["id"]}
        reason = given.get("reason") or f"promo {promo['code']}"
        line_id = None
    else:
        if not {"kind", "value"} <= given.keys():
            raise Invalid("a discount needs kind and value", code="missing_field", field="kind")
        if any(d["promo_code_id"] and not d["stackable_ok"] for d in existing_discounts):
            raise Conflict("the check's promo code does not stack", code="promo_not_stackable")
        target = live[line_id]["amount"] if line_id else now.goods + now.discount_total
        limit = pos_config.current(conn)["discount_limit_bp"]
        if given["kind"] == "percent":
            if given["value"] > 10_000:
                raise Invalid("a percent discount takes at most 100% (10000)", field="value")
            large = given["value"] > limit
        else:
            large = given["value"] * 10_000 > limit * target
        # what the check comes to with it: given one by one, discounts add up, so the limit is
        # the check's too; and a manager approves a percent for what it takes off now, no more
        with_it: list[Any] = [*existing_discounts, _proposed(given, line_id)]
        after = checks.totals(conn, check, (lines, with_it, covers))
        large = large or _over_limit(lines, with_it, after, limit)
        reason = given.get("reason", "")
        row = {"kind": given["kind"], "value": given["value"], "promo_code_id": None}
        if large:
            approved_by = require(actor, "discount.large", approver)
            if not reason:
                raise Invalid("a discount above the limit needs a reason", field="reason")
            if given["kind"] == "percent":
                row["cap"] = after.discounts[""]
    commit(
        conn,
        actor.id,
        "check_discounts",
        uuid7(),
        "create",
        {
            "check_id": check_id,
            "line_id": line_id,
            **row,
            "reason": reason,
            "created_by": actor.id,
            "created_at": now_iso(),
        },
        approver=approved_by,
    )
    # The new discount changes the check's discounts, not its lines nor its covers.
    return checks.get(conn, check_id, read=(lines, checks.discounts_of(conn, check_id), covers))


def manual_off(conn: sqlite3.Connection, check_ids: Sequence[str]) -> int:
    """What the checks' discounts but their promo codes take off now, together."""
    return sum(_manual(conn, check_id)[2] for check_id in check_ids)


def require_combinable(
    conn: sqlite3.Connection, actor: Actor, check_ids: Sequence[str], off_before: int
) -> None:
    """After a merge or a move between `check_ids` (the one that took the lines first), the
    discounts now together keep the rules each was given under on its own check: a promo code
    that does not stack is alone, none is on twice (409); and two checks' discounts, each
    within the limit, do not take off together what no one approved (10% and 10% merged took
    19% off both checks' lines): above the limit, taking off more than they did apart
    (`off_before`: their `manual_off`) needs a manager."""
    (lines, on_check, _), now, _ = _manual(conn, check_ids[0])
    promos = [d["promo_code_id"] for d in on_check if d["promo_code_id"]]
    if len(set(promos)) < len(promos):
        raise Conflict("a promo code would be on the check twice", code="promo_twice")
    if len(on_check) > 1 and any(d["promo_code_id"] and not d["stackable_ok"] for d in on_check):
        raise Conflict(
            "a promo code on these checks does not stack with other discounts",
            code="promo_not_stackable",
        )
    if manual_off(conn, check_ids) > off_before and _over_limit(
        lines, list(on_check), now, pos_config.current(conn)["discount_limit_bp"]
    ):
        require(actor, "discount.large")


def _manual(conn: sqlite3.Connection, check_id: str) -> tuple[checks.Contents, money.Totals, int]:
    """The check's contents and totals, and what its discounts but its promo codes take off."""
    check = existing(conn, "checks", check_id, "check")
    read = checks.contents(conn, check_id)
    now = checks.totals(conn, check, read)
    return read, now, sum(now.discounts[d["id"]] for d in read[1] if not d["promo_code_id"])


def _over_limit(
    lines: Sequence[sqlite3.Row], discounts: list[Any], after: money.Totals, limit_bp: int
) -> bool:
    """Whether the check's discounts but its promo codes (which keep their own rules) take off
    more than `limit_bp` of its live lines, `after` being its totals with them; each rounds to
    the cent, so by up to half a cent each beyond it is within."""
    manual = [d for d in discounts if not d["promo_code_id"]]
    off = sum(after.discounts[d["id"]] for d in manual)
    base = sum(line["amount"] for line in lines if line["state"] != "voided")
    return 2 * off * 10_000 > 2 * limit_bp * base + len(manual) * 10_000


def _proposed(given: dict[str, Any], line_id: str | None) -> dict[str, Any]:
    """A discount about to be given, as `checks.discounts_of` reads one (its id: "")."""
    return {
        "id": "",
        "kind": given["kind"],
        "value": given["value"],
        "line_id": line_id,
        "max_discount": None,
        "promo_code_id": None,
    }


def _promo_applies(
    promo: dict[str, Any],
    now: money.Totals,
    on_check: Sequence[sqlite3.Row],
) -> None:
    """A promo code is refused when inactive, out of its dates, used up, short of its minimum
    spend, or beside another discount unless both stack (`on_check`: the check's discounts,
    each with its promo code's `stackable_ok`, as `checks.discounts_of` reads them)."""
    stamp = now_iso()
    if not promo["active"]:
        raise Conflict(f"{promo['code']} is not active", code="promo_inactive")
    if promo["valid_from"] and stamp < promo["valid_from"]:
        raise Conflict(f"{promo['code']} is not valid yet", code="promo_not_yet")
    if promo["valid_until"] and stamp >= promo["valid_until"]:
        raise Conflict(f"{promo['code']} has expired", code="promo_expired")
    if promo["usage_limit"] is not None and promo["uses"] >= promo["usage_limit"]:
        raise Conflict(f"{promo['code']} has been used up", code="promo_used_up")
    if now.goods + now.discount_total < promo["min_spend"]:
        raise Conflict(f"{promo['code']} needs a larger check", code="promo_min_spend")
    if any(d["promo_code_id"] == promo["id"] for d in on_check):
        raise Conflict(f"{promo['code']} is on the check already", code="promo_twice")
    promos_on = [d for d in on_check if d["promo_code_id"]]
    if on_check and not (promo["stackable"] and all(d["stackable_ok"] for d in promos_on)):
        raise Conflict(
            f"{promo['code']} does not stack with other discounts", code="promo_not_stackable"
        )


def remove_discount(conn: WriteConnection, actor: Actor, discount_id: str) -> dict[str, Any]:
    require(actor, "check.edit")
    discount = existing(conn, "check_discounts", discount_id, "discount")
    checks.changeable(conn, discount["check_id"])
    commit(conn, actor.id, "check_discounts", discount_id, "delete")
    return checks.get(conn, discount["check_id"])
