"""Shifts and the cash drawer. A till (a paired device) opens a shift with a float; no payment,
refund or no-sale is taken on a till without one. Cash goes in and out outside a sale as a
pay-in, pay-out or skim, each with a reason; a no-sale opening needs a manager. The shift closes
with a blind count by denomination: the cashier counts before seeing what the till expects, and
the difference (over or short) is recorded.

What the drawer should hold: the float, plus cash taken (what it paid, its rounding and any tip
left in cash), plus pay-ins, less pay-outs, skims and cash refunds.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from datetime import date, timedelta
from typing import Any

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain import printouts, tills
from edge.domain import store as store_settings
from edge.domain.rows import existing
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import DAY, HUB_REV, ID, INSTANT, MONEY, array, enum, nullable, shape, text
from sync.clock import now_iso, utcnow
from sync.ids import uuid7

MOVES = ("pay_in", "pay_out", "skim", "no_sale")
LIMIT = 100_000_000

OPEN = f.Form({"float": f.Field("Float", f.amount(LIMIT))}, required=("float",))
MOVE = f.Form(
    {
        "kind": f.choice(*MOVES),
        "amount": f.Field("Amount", f.amount(LIMIT)),
        "reason": f.REASON,
    },
    required=("kind", "reason"),
)


_DENOMINATION = re.compile(r"[1-9][0-9]{0,7}")


@f.accepts(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "propertyNames": {"pattern": f"^{_DENOMINATION.pattern}$"},
        "description": 'denomination in minor units -> how many: {"2000": 3, "50": 4}',
    }
)
def _counted(name: str, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise Invalid(f"{name} must map each denomination to how many.", field=name)
    counted = {}
    for key, count in value.items():
        # ASCII digits, as the schema says: str.isdigit() also took "²" (int() then failed: a
        # 500) and "١٠" (a count under a key no one reads back as 10)
        if not (isinstance(key, str) and _DENOMINATION.fullmatch(key)):
            raise Invalid(f"{name}: {key!r} is no denomination in cents.", field=name)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
            raise Invalid(f"{name}: the count of {key} must be a whole number.", field=name)
        counted[key] = count
    return counted


CLOSE = f.Form({"counted": f.Field("Counted", _counted)}, required=("counted",))

MOVE_VIEW = shape(
    "DrawerMove",
    {
        "id": ID,
        "kind": enum(MOVES),
        "amount": MONEY,
        "reason": text(),
        "created_by": ID,
        "created_at": INSTANT,
    },
)
SHIFT_VIEW = shape(
    "Shift",
    {
        "id": ID,
        "device": text("the till the drawer is at"),
        "business_day": DAY,
        "status": enum(("open", "closed")),
        "float": MONEY,
        "opened_by": ID,
        "opened_by_name": nullable(text()),
        "opened_at": INSTANT,
        "closed_by": nullable(ID),
        "closed_at": nullable(INSTANT),
        "counted": nullable(CLOSE.rules["counted"].schema),
        "declared": nullable(MONEY),
        "expected": nullable({**MONEY, "description": "shown once the count is in (blind)"}),
        "variance": nullable({"type": "integer", "description": "over (+) or short (-)"}),
        "moves": array(MOVE_VIEW),
        "hub_rev": HUB_REV,
    },
)
CURRENT_VIEW = shape("CurrentShift", {"shift": nullable(SHIFT_VIEW)})


def current(conn: sqlite3.Connection, device: str) -> sqlite3.Row | None:
    """The till's open shift; kept on the writer by till until a shift changes (every payment
    asks). A till is a device's name, which no other device in use has (`tills`)."""
    open_by_till: dict[str, sqlite3.Row | None] = cached(conn, "shifts", dict)
    if device not in open_by_till:
        open_by_till[device] = conn.execute(
            "SELECT * FROM shifts WHERE device = ? AND status = 'open'", (device,)
        ).fetchone()
    return open_by_till[device]


def day_closed(conn: sqlite3.Connection, day: str) -> bool:
    """Whether the day's Z report is done: kept on the writer until a report is made (every
    payment asks)."""
    closed: dict[str, bool] = cached(conn, "z_reports", dict)
    if day not in closed:
        closed[day] = (
            conn.execute(
                "SELECT 1 FROM reports WHERE kind = 'z' AND business_day = ?", (day,)
            ).fetchone()
            is not None
        )
    return closed[day]


def today(conn: sqlite3.Connection) -> str:
    return store_settings.business_day(store_settings.current(conn), utcnow())


def require_day_open(conn: sqlite3.Connection) -> str:
    """Today's business day, or a 409 `day_closed` once its Z report is done: no money moves on
    a closed day, at the till or at the table."""
    day = today(conn)
    if day_closed(conn, day):
        raise Conflict("The business day is closed (its Z report is done).", code="day_closed")
    return day


def open_day(conn: sqlite3.Connection) -> str:
    """The business day money that cannot be refused is dated to: today, or once today's Z is
    done, the next day (whose Z counts it; none is made before the day begins)."""
    day = today(conn)
    if not day_closed(conn, day):
        return day
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def require_open(conn: sqlite3.Connection, actor: Actor) -> sqlite3.Row:
    """The open shift of the actor's till, or a 409 that says why nothing can be taken. A shift
    belongs to its business day: once the next has begun it takes no money (its drawer would
    hold cash the next day's Z counts in its tenders, and its own day's Z in its drawer) until
    it is counted and today's is opened."""
    shift = current(conn, actor.device)
    if shift is None:
        raise Conflict(
            f"No shift is open on {actor.device or 'this till'}: open one with its float first.",
            code="no_open_shift",
        )
    day = require_day_open(conn)
    if shift["business_day"] != day:
        raise Conflict(
            f"The shift on {actor.device or 'this till'} is of {shift['business_day']}: close it"
            " (count the drawer), then open today's.",
            code="shift_day_over",
        )
    return shift


def open_shift(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    require(actor, "payment.take")
    given = OPEN.clean(values)
    if current(conn, actor.device) is not None:
        raise Conflict(f"a shift is open on {actor.device} already", code="shift_open")
    if tills.named_alike(conn, actor.device, but=actor.device_id) is not None:
        # both paired before names were kept apart: both would take money into one drawer
        raise Conflict(
            f"Another device in use is also called {actor.device}: rename one of them (admin page,"
            " Devices) so that each till keeps its own cash drawer.",
            code="device_name_shared",
        )
    day = require_day_open(conn)
    shift_id = uuid7()
    row = {
        "device": actor.device,
        "business_day": day,
        "status": "open",
        "float": given["float"],
        "opened_by": actor.id,
        "opened_at": now_iso(),
        "closed_by": None,
        "closed_at": None,
        "counted": None,
        "declared": None,
        "expected": None,
        "variance": None,
    }
    commit(conn, actor.id, "shifts", shift_id, "create", row)
    return get(conn, shift_id)


def move(
    conn: WriteConnection, actor: Actor, values: dict[str, Any], approver: Actor | None = None
) -> dict[str, Any]:
    """A pay-in, pay-out or skim (an amount and a reason), or a no-sale (a manager's): the
    drawer opens for each."""
    require(actor, "payment.take")
    given = MOVE.clean(values)
    no_sale = given["kind"] == "no_sale"
    approved_by = require(actor, "drawer.open", approver) if no_sale else None
    shift = require_open(conn, actor)
    if no_sale and "amount" in given:
        raise Invalid("A no-sale moves no money: record a pay-in or a pay-out.", field="amount")
    amount = 0 if no_sale else given.get("amount", 0)
    if not no_sale and amount <= 0:
        raise Invalid("Amount must be more than nothing.", field="amount")
    if not no_sale and given["kind"] != "pay_in" and amount > expected_cash(conn, shift["id"]):
        raise Conflict("the drawer does not hold that much", code="not_enough_cash")
    move_id = _record(conn, actor, shift, given["kind"], amount, given["reason"], approved_by)
    open_drawer(conn, actor, move_id)
    return get(conn, shift["id"])


def no_sale(
    conn: WriteConnection, actor: Actor, reason: Any, approver: Actor | None = None
) -> dict[str, Any]:
    """Open the drawer with no sale (`/api/drawer/open`): a manager's, or with a manager's PIN,
    on a till with an open shift, recorded as the shift's no-sale move; answers the drawer's
    print job (409 `no_printer` when the till has no drawer: nothing is recorded)."""
    approved_by = require(actor, "drawer.open", approver)
    reason = f.REASON("reason", reason)
    shift = require_open(conn, actor)
    _record(conn, actor, shift, "no_sale", 0, reason, approved_by)
    return printouts.open_drawer(conn, actor, reason, approver)


def _record(
    conn: WriteConnection,
    actor: Actor,
    shift: sqlite3.Row,
    kind: str,
    amount: int,
    reason: str,
    approved_by: str | None,
) -> str:
    move_id = uuid7()
    row = {
        "shift_id": shift["id"],
        "kind": kind,
        "amount": amount,
        "reason": reason,
        "created_by": actor.id,
        "created_at": now_iso(),
    }
    commit(conn, actor.id, "drawer_moves", move_id, "create", row, approver=approved_by)
    return move_id


def open_drawer(conn: WriteConnection, actor: Actor, reason_id: str) -> None:
    """One pulse for a cash move (`printouts.open_drawer_for_tender`); a till with no drawer
    set up takes the cash all the same (the drawer opens with its key)."""
    with contextlib.suppress(Conflict):
        printouts.open_drawer_for_tender(conn, actor, reason_id, actor.device)


def expected_cash(conn: sqlite3.Connection, shift_id: str) -> int:
    shift = existing(conn, "shifts", shift_id, "shift")
    taken = conn.execute(
        "SELECT COALESCE(SUM(amount + rounding + tip), 0) FROM payments"
        " WHERE shift_id = ? AND method = 'cash'",
        (shift_id,),
    ).fetchone()[0]
    refunded = conn.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE shift_id = ? AND method = 'cash'",
        (shift_id,),
    ).fetchone()[0]
    moves = {
        row["kind"]: row["total"]
        for row in conn.execute(
            "SELECT kind, SUM(amount) AS total FROM drawer_moves WHERE shift_id = ? GROUP BY kind",
            (shift_id,),
        )
    }
    return (
        shift["float"]
        + taken
        - refunded
        + moves.get("pay_in", 0)
        - moves.get("pay_out", 0)
        - moves.get("skim", 0)
    )


def close(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Close the till's shift with the cash counted by denomination: the answer shows, for the
    first time, what was expected and the difference."""
    require(actor, "payment.take")
    counted = CLOSE.clean(values)["counted"]
    shift = current(conn, actor.device)
    if shift is None:
        raise Conflict(f"No shift is open on {actor.device or 'this till'}.", code="no_open_shift")
    declared = sum(int(denomination) * count for denomination, count in counted.items())
    expected = expected_cash(conn, shift["id"])
    changes = {
        "status": "closed",
        "closed_by": actor.id,
        "closed_at": now_iso(),
        "counted": counted,
        "declared": declared,
        "expected": expected,
        "variance": declared - expected,
    }
    commit(conn, actor.id, "shifts", shift["id"], "update", changes)
    return get(conn, shift["id"])


def get(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    row = existing(
        conn,
        "shifts",
        shift_id,
        "shift",
        query="SELECT s.*, m.name AS opened_by_name FROM shifts s"
        " LEFT JOIN staff m ON m.id = s.opened_by WHERE s.id = ?",
    )
    shift = dict(row)
    shift["counted"] = json.loads(row["counted"]) if row["counted"] else None
    shift["moves"] = [
        dict(m)
        for m in conn.execute(
            "SELECT id, kind, amount, reason, created_by, created_at FROM drawer_moves"
            " WHERE shift_id = ? ORDER BY created_at, id",
            (shift_id,),
        )
    ]
    return shift


def mine(conn: sqlite3.Connection, actor: Actor) -> dict[str, Any]:
    """The open shift of the actor's till, if any."""
    require(actor, "payment.take")
    row = current(conn, actor.device)
    return {"shift": get(conn, row["id"]) if row else None}
