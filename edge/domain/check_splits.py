"""Splitting a check (by items, evenly, by seat), merging two, and moving lines between them.
A split check keeps its lines; each part gets a share of each line (`check_items`: 1/N of every
line for an even split), and its money is its share of the whole's (`check_totals.split`), so
the parts always add up to the whole."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import check_totals as money
from edge.domain import checks, discounts
from service import fields as f
from service.errors import Conflict, Invalid
from sync.clock import now_iso
from sync.ids import uuid7

SPLITS = ("items", "even", "seat")
MAX_PARTS = 20


@f.accepts(
    {
        "type": "array",
        "items": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "minItems": 2,
        "maxItems": MAX_PARTS,
    }
)
def _parts(name: str, value: Any) -> list[list[str]]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_PARTS:
        raise Invalid(f"{name} must be a list of 2 to {MAX_PARTS} lists of line ids.", field=name)
    return [f.distinct_ids(name, part) for part in value]


SPLIT = f.Form(
    {
        "by": f.choice(*SPLITS),
        "ways": f.integer(2, MAX_PARTS),
        "parts": _parts,
    },
    required=("by",),
)
MERGE = f.Form({"check_id": f.identifier}, required=("check_id",))
MOVE = f.Form(
    {"line_ids": f.distinct_ids, "to_check_id": f.identifier}, required=("line_ids", "to_check_id")
)


def split(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Split an open check: by items (`parts`: every line in one part), evenly (`ways`), or by
    seat (a part per seat; lines with no seat shared evenly between them)."""
    require(actor, "check.edit")
    given = SPLIT.clean(values)
    check = checks.changeable(conn, check_id)
    checks.no_pay_link(conn, check_id)
    checks.roll_in(conn, actor, check)
    held = checks.lines_of(conn, check_id)
    live = [line for line in held if line["state"] != "voided"]
    if not live:
        raise Conflict("the check has nothing on it to split", code="nothing_to_split")
    ids = [line["id"] for line in live]
    kept = checks.kept_rules(conn, check, held)
    by = given["by"]
    if by == "even":
        if "ways" not in given:
            raise Invalid("an even split needs ways", code="missing_field", field="ways")
        shares = money.even(ids, given["ways"])
        labels = [f"{n} of {given['ways']}" for n in range(1, given["ways"] + 1)]
    elif by == "items":
        parts = given.get("parts")
        if parts is None:
            raise Invalid("a split by items needs parts", code="missing_field", field="parts")
        listed = [i for part in parts for i in part]
        if sorted(listed) != sorted(ids) or any(not part for part in parts):
            raise Invalid(
                "each line of the check goes in exactly one part, and no part is empty",
                code="bad_parts",
                field="parts",
            )
        shares = [{i: Fraction(1) for i in part} for part in parts]
        labels = [f"Part {n}" for n in range(1, len(parts) + 1)]
    else:
        seats = sorted({line["seat"] for line in live if line["seat"] is not None})
        if len(seats) < 2:
            raise Conflict("the lines are not on two seats or more", code="not_enough_seats")
        shared = [line["id"] for line in live if line["seat"] is None]
        shares = [
            {line["id"]: Fraction(1) for line in live if line["seat"] == seat}
            | {i: Fraction(1, len(seats)) for i in shared}
            for seat in seats
        ]
        labels = [f"Seat {seat}" for seat in seats]
    stamp = now_iso()
    for position, (label, part) in enumerate(zip(labels, shares, strict=True)):
        part_id = uuid7()
        row = {
            "business_day": check["business_day"],
            "table_id": check["table_id"],
            "parent_id": check_id,
            "label": label,
            "position": position,
            "status": "open",
            "service_bp": None,
            "total": 0,
            "amounts": None,
            "rules": None,
            "opened_by": actor.id,
            "created_at": stamp,
            "paid_at": None,
            "paid_day": None,
            "receipt_token": None,
        }
        items = [checks.item_row(part_id, line_id, share) for line_id, share in part.items()]
        commit(conn, actor.id, "checks", part_id, "create", row, parts=items)
    commit(conn, actor.id, "checks", check_id, "update", {"status": "split", **kept})
    return checks.get(conn, check_id)


def merge(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Bring another open check's lines and discounts into this one (two tables pay as one)."""
    require(actor, "check.edit")
    other_id = MERGE.clean(values)["check_id"]
    if other_id == check_id:
        raise Invalid("a check cannot be merged with itself", field="check_id")
    check = checks.changeable(conn, check_id, unpaid=False)
    other = checks.changeable(conn, other_id)
    checks.no_pay_link(conn, other_id)
    checks.roll_in(conn, actor, other)
    off_before = discounts.manual_off(conn, [check_id, other_id])
    for row in conn.execute(
        "SELECT id FROM check_items WHERE check_id = ?", (other_id,)
    ).fetchall():
        commit(conn, actor.id, "check_items", row["id"], "update", {"check_id": check_id})
    for row in conn.execute(
        "SELECT id FROM check_discounts WHERE check_id = ?", (other_id,)
    ).fetchall():
        commit(conn, actor.id, "check_discounts", row["id"], "update", {"check_id": check_id})
    commit(conn, actor.id, "checks", other_id, "update", {"status": "merged"})
    checks.roll_in(conn, actor, check)
    discounts.require_combinable(conn, actor, [check_id], off_before)
    return checks.get(conn, check_id)


def move(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Move lines (and their own discounts) to another open check; answers this check."""
    require(actor, "check.edit")
    given = MOVE.clean(values)
    target_id = given["to_check_id"]
    if target_id == check_id:
        raise Invalid("the lines are on that check already", field="to_check_id")
    checks.changeable(conn, check_id)
    checks.no_pay_link(conn, check_id)
    checks.changeable(conn, target_id, unpaid=False)
    if not given["line_ids"]:
        raise Invalid("line_ids must not be empty", field="line_ids")
    off_before = discounts.manual_off(conn, [target_id, check_id])
    for line_id in given["line_ids"]:
        item = conn.execute(
            "SELECT id FROM check_items WHERE check_id = ? AND line_id = ?", (check_id, line_id)
        ).fetchone()
        if item is None:
            raise Invalid("a line is not on this check", code="unknown_line", field="line_ids")
        commit(conn, actor.id, "check_items", item["id"], "update", {"check_id": target_id})
        for row in conn.execute(
            "SELECT id FROM check_discounts WHERE check_id = ? AND line_id = ?", (check_id, line_id)
        ).fetchall():
            commit(conn, actor.id, "check_discounts", row["id"], "update", {"check_id": target_id})
    discounts.require_combinable(conn, actor, [target_id, check_id], off_before)
    return checks.get(conn, check_id)
