"""Kitchen tickets: what each station must make, fired from an order's send.

One **fire** (a send, a course fired by a waiter or expo, an auto-fire) becomes one ticket per
station, numbered per business day (one fire's tickets share the number), each with one item per
order line, copied as the kitchen reads it (name, quantity, modifiers, note, seat, course). The
tickets are made in the send's own write (`orders.send` calls `fire_sent`), printed on the
station's printer from the same rows (`printouts.kitchen_ticket`), and shown by its screens from
the same event (topic `kitchen`). A line is on one live item, ever (a unique index): a send
retried, an event replayed or a restart never makes a second ticket for it.

**Coursing** (`kitchen_settings.hold_courses`, on by default): a send fires its drinks, and its
food when the order's food is already under way up to that course (an ADD ticket) or when it is
the order's first food (its first course only); later courses are held until someone fires them
(`fire_course`) or, with `auto_fire`, until the order's food tickets are all bumped (after
`auto_fire_delay` seconds: `fire_due`, which the box's timer calls).

States NEW -> IN_PROGRESS -> READY -> BUMPED, per ticket and per item, each step timed (prep
times). A ticket moves forward only; `recall_ticket` brings one of its station's last 20 bumped back
as READY.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from edge.core import retention
from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain import printouts
from edge.domain import stations as kitchen_config
from edge.domain import store as store_settings
from edge.domain.menu import COURSES
from edge.domain.rows import existing
from service import config_fields
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import COUNT, DAY, FLAG, ID, INSTANT, array, enum, nullable, shape, text
from sync.clock import iso, utcnow
from sync.ids import uuid7

STATES = ("NEW", "IN_PROGRESS", "READY", "BUMPED")
ITEM_STATES = (*STATES, "MOVED")
KINDS = ("FIRE", "COURSE", "ADD", "MOVE")
DRINKS = COURSES[0]
RECALLABLE = 20  # the last bumped tickets of a station that may come back
# Open tickets a board answers. A kitchen that works from printed tickets bumps none, so its
# open tickets are every ticket of the days retention keeps (90 days: 27,000 at 300 orders a
# day, 60 MB a board): the board answers the first of them as the screen shows them (rushed
# first, then oldest fire first), a dozen pages of eight; the rest come up when the screen reads
# its board again (a reload, a reconnect).
BOARD_MOST = 100
_RANK = {state: rank for rank, state in enumerate(STATES)}
_STAMP = {"IN_PROGRESS": "started_at", "READY": "ready_at", "BUMPED": "bumped_at"}

STATE = f.Form({"state": f.choice(*STATES[1:])}, required=("state",))
RUSH = f.Form({"rush": f.boolean})
MOVE = f.Form({"station": f.Field("Station", f.code)}, required=("station",))
FIRE = f.Form({"course": f.Field("Course", f.code)})

ITEM_VIEW = shape(
    "TicketItem",
    {
        "id": ID,
        "ticket_id": ID,
        "line_id": ID,
        "station": f.code.schema,
        "name": text(),
        "quantity": COUNT,
        "modifiers": array(text(), "the chosen modifiers' names"),
        "note": text(),
        "seat": nullable(COUNT),
        "course": f.code.schema,
        "state": enum(ITEM_STATES),
        "voided": {**FLAG, "description": "voided after firing: struck through, still bumped"},
        "fired_at": INSTANT,
        "ready_at": nullable(INSTANT),
        "bumped_at": nullable(INSTANT),
    },
)
TICKET_VIEW = shape(
    "Ticket",
    {
        "id": ID,
        "order_id": ID,
        "station": f.code.schema,
        "number": {"type": "integer", "minimum": 1, "description": "per business day"},
        "business_day": DAY,
        "kind": enum(KINDS),
        "label": text("Table 3, Counter #12"),
        "order_number": {"type": "integer", "minimum": 1},
        "note": text("the order's note"),
        "state": enum(STATES),
        "rush": FLAG,
        "fired_by": text("a staff member's id, or system"),
        "fired_at": INSTANT,
        "started_at": nullable(INSTANT),
        "ready_at": nullable(INSTANT),
        "bumped_at": nullable(INSTANT),
        "served_at": nullable(INSTANT),
        "auto_fire_at": nullable(INSTANT),
        "items": array(ITEM_VIEW, "by course, in the menu's order"),
    },
)
BOARD_VIEW = shape(
    "KitchenBoard",
    {
        "tickets": array(
            TICKET_VIEW, f"not bumped, rushed first then oldest fire first; {BOARD_MOST} at most"
        ),
        "bumped": array(TICKET_VIEW, f"the last {RECALLABLE} bumped, newest first"),
        "last_seq": {**COUNT, "description": "follow the feed's kitchen topic since it"},
    },
)
_PROGRESS = {
    "order_id": ID,
    "state": enum(("cooking", "ready", "served")),
    "stations": {
        "type": "object",
        "additionalProperties": enum(("cooking", "ready", "served")),
        "description": "each station with a ticket for the order",
    },
    "held": array(f.code.schema, "courses not fired yet"),
}
PROGRESS_VIEW = shape(
    "KitchenProgress",
    {
        **_PROGRESS,
        "state": nullable(
            {
                **_PROGRESS["state"],
                "description": "null: the box holds no ticket of the order (nothing fired yet,"
                " or its tickets are no longer kept: `forgotten`)",
            }
        ),
        "forgotten": {
            "type": "boolean",
            "description": "lines of it went to the kitchen longer ago than the box keeps"
            " tickets (the hub has them): what became of them is not known here",
        },
    },
)
EXPO_ORDER = shape(
    "ExpoOrder",
    {
        **_PROGRESS,
        "label": text(),
        "number": {"type": "integer", "minimum": 1},
        "fired_at": INSTANT,
    },
)
EXPO_VIEW = shape(
    "Expo",
    {
        "orders": array(EXPO_ORDER, f"not served yet, oldest first; {BOARD_MOST} at most"),
        "last_seq": COUNT,
    },
)


# --- firing ---------------------------------------------------------------------------------


def course_rank(course: str) -> tuple[int, str]:
    return printouts.course_order({"course": course})


def fire_sent(
    conn: WriteConnection, actor: Actor, order: Any, lines: Sequence[Any], *, new: bool = False
) -> None:
    """The kitchen's part of an order's send (`orders.create` / `orders.send`), in its write:
    fire what coursing lets go now, hold the rest (their lines stay `sent`, with no item). A
    `new` order, made in this write, has fired nothing and holds no other line: not read."""
    now_lines: list[Any] = list(lines)
    fired = set() if new else _fired_courses(conn, order["id"])
    if kitchen_config.current_settings(conn)["hold_courses"]:
        food = [course_rank(c) for c in fired if c != DRINKS]
        top = max(food) if food else None
        sending = {line["id"] for line in lines}
        held = [] if new else _held(conn, order["id"])
        held_before = [line for line in held if line["id"] not in sending]
        now_lines = [
            line
            for line in lines
            if line["course"] == DRINKS or (top is not None and course_rank(line["course"]) <= top)
        ]
        going = {line["id"] for line in now_lines}
        rest = [line for line in lines if line["id"] not in going]
        if top is None and rest and not any(line["course"] != DRINKS for line in held_before):
            first = min(course_rank(line["course"]) for line in rest)
            now_lines += [line for line in rest if course_rank(line["course"]) == first]
            going |= {line["id"] for line in now_lines}
            now_lines = [line for line in lines if line["id"] in going]  # as they were taken
    if now_lines:
        _fire(conn, actor, order, now_lines, "ADD" if fired else "FIRE")


def fire_course(
    conn: WriteConnection, actor: Actor, order_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Fire a held course of an order (`{"course": "MAINS"}`; none: the next one held)."""
    require(actor, "kitchen.fire")
    order = _open_order(conn, order_id)
    course = FIRE.clean(values).get("course")
    held = _held(conn, order_id)
    if course is None and held:
        course = min((line["course"] for line in held), key=course_rank)
    lines = [line for line in held if line["course"] == course]
    if not lines:
        what = "course" if course is None else course
        raise Conflict(f"no {what} is held for this order", code="nothing_to_fire")
    _fire(conn, actor, order, lines, "COURSE")
    return progress(conn, order_id)


def _fire(conn: WriteConnection, actor: Actor, order: Any, lines: Iterable[Any], kind: str) -> None:
    """One ticket per station for `lines`, under one new number of the business day."""
    by_station: dict[str, list[Any]] = {}
    for line in lines:
        by_station.setdefault(line["station"], []).append(line)
    now = utcnow()
    stamp = iso(now)
    day = store_settings.business_day(store_settings.current(conn), now)
    number = _next_number(conn, day)
    label = printouts.order_label(conn, order)
    for station, station_lines in by_station.items():
        ticket_id = uuid7()
        items = [_item(ticket_id, line, stamp) for line in station_lines]
        row = _ticket_row(order, station, number, day, kind, label, actor, stamp)
        commit(conn, actor.id, "tickets", ticket_id, "create", row, parts=items)
        printouts.kitchen_ticket(conn, actor, order, {"id": ticket_id, **row}, items)


def _ticket_row(
    order: Any,
    station: str,
    number: int,
    day: str,
    kind: str,
    label: str,
    actor: Actor,
    stamp: str,
) -> dict[str, Any]:
    return {
        "order_id": order["id"],
        "station": station,
        "number": number,
        "business_day": day,
        "kind": kind,
        "label": label,
        "order_number": order["number"],
        "note": order["note"] or "",
        "state": "NEW",
        "rush": False,
        "fired_by": actor.id,
        "fired_at": stamp,
        "started_at": None,
        "ready_at": None,
        "bumped_at": None,
        "served_at": None,
        "auto_fire_at": None,
    }


def _item(ticket_id: str, line: Any, stamp: str) -> dict[str, Any]:
    modifiers = line["modifiers"]
    if isinstance(modifiers, str):  # a line read back from its table
        modifiers = json.loads(modifiers)
    return {
        "id": uuid7(),
        "ticket_id": ticket_id,
        "line_id": line["id"],
        "station": line["station"],
        "name": line["name"],
        "quantity": line["quantity"],
        "modifiers": [modifier["name"] for modifier in modifiers],
        "note": line["note"] or "",
        "seat": line["seat"],
        "course": line["course"],
        "state": "NEW",
        "voided": False,
        "fired_at": stamp,
        "ready_at": None,
        "bumped_at": None,
        "hub_rev": 0,
    }


def _next_number(conn: sqlite3.Connection, day: str) -> int:
    """The day's next ticket number; the last one given kept on the writer, as the orders'
    are (a write that fails drops it: the next one reads it again)."""
    last = cached(conn, "ticket_numbers", dict)  # business day -> last number given
    if day not in last:
        last[day] = conn.execute(
            "SELECT COALESCE(MAX(number), 0) FROM tickets WHERE business_day = ?", (day,)
        ).fetchone()[0]
    last[day] += 1
    return last[day]


def _fired_courses(conn: sqlite3.Connection, order_id: str) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT i.course FROM tickets t JOIN ticket_items i ON i.ticket_id = t.id"
            " WHERE t.order_id = ? AND i.state != 'MOVED'",
            (order_id,),
        )
    }


def _held(conn: sqlite3.Connection, order_id: str) -> list[sqlite3.Row]:
    """The order's lines sent but not fired (held courses), in the order they were taken. A
    line taken before the box forgot its old tickets (`retention.prune_tickets`) is none: its
    ticket may be gone, and firing it again would cook it twice."""
    return conn.execute(
        "SELECT l.* FROM order_lines l WHERE l.order_id = ? AND l.state = 'sent'"
        " AND l.created_at >= ? AND NOT EXISTS (SELECT 1 FROM ticket_items i"
        " WHERE i.line_id = l.id AND i.state != 'MOVED')"  # the live items' index
        " ORDER BY l.created_at, l.id",
        (order_id, retention.tickets_forgotten_before(conn) or ""),
    ).fetchall()


def _open_order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    order = existing(conn, "orders", order_id, "order")
    if order["status"] != "open":
        raise Conflict(f"order #{order['number']} is {order['status']}", code="order_closed")
    return order


# --- states ---------------------------------------------------------------------------------


def set_ticket_state(
    conn: WriteConnection, actor: Actor, ticket_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Move a ticket on (IN_PROGRESS, READY or BUMPED), its items with it."""
    require(actor, "kitchen.bump")
    state = STATE.clean(values)["state"]
    ticket = existing(conn, "tickets", ticket_id, "ticket")
    if _RANK[state] <= _RANK[ticket["state"]]:
        raise Conflict(
            f"ticket {ticket['number']} is {ticket['state']} already", code="state_backwards"
        )
    _advance(conn, actor, ticket, state)
    return get(conn, ticket_id)


def set_item_state(
    conn: WriteConnection, actor: Actor, item_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Move one item on; its ticket follows its slowest item (started when one is)."""
    require(actor, "kitchen.bump")
    state = STATE.clean(values)["state"]
    item = existing(conn, "ticket_items", item_id, "ticket item")
    if item["state"] == "MOVED" or _RANK[state] <= _RANK[item["state"]]:
        raise Conflict(f"{item['name']} is {item['state']} already", code="state_backwards")
    commit(conn, actor.id, "ticket_items", item_id, "update", _stamped(state))
    ticket = existing(conn, "tickets", item["ticket_id"], "ticket")
    _settle(conn, actor, ticket)
    return get(conn, ticket["id"])


def _stamped(state: str) -> dict[str, Any]:
    """An item's move to `state`, with its time when it is READY or BUMPED (prep times)."""
    changes: dict[str, Any] = {"state": state}
    if state in ("READY", "BUMPED"):
        changes[_STAMP[state]] = iso(utcnow())
    return changes


def _advance(conn: WriteConnection, actor: Actor, ticket: sqlite3.Row, state: str) -> None:
    now = iso(utcnow())
    changes: dict[str, Any] = {"state": state}
    for step in STATES[1 : _RANK[state] + 1]:
        if ticket[_STAMP[step]] is None:
            changes[_STAMP[step]] = now
    commit(conn, actor.id, "tickets", ticket["id"], "update", changes)
    for item in _live_items(conn, ticket["id"]):
        if _RANK[item["state"]] < _RANK[state]:
            item_changes: dict[str, Any] = {"state": state}
            for step in ("READY", "BUMPED"):
                if _RANK[step] <= _RANK[state] and item[_STAMP[step]] is None:
                    item_changes[_STAMP[step]] = now
            commit(conn, actor.id, "ticket_items", item["id"], "update", item_changes)
    if state == "BUMPED":
        _after_bump(conn, actor, ticket)


def _settle(conn: WriteConnection, actor: Actor, ticket: sqlite3.Row) -> None:
    """The ticket's state after its items changed: its slowest live item's, IN_PROGRESS once
    one started; with none left (all moved away), BUMPED."""
    states = [item["state"] for item in _live_items(conn, ticket["id"])]
    if not states:
        target = "BUMPED"
    else:
        target = min(states, key=_RANK.__getitem__)
        if target == "NEW" and any(state != "NEW" for state in states):
            target = "IN_PROGRESS"
    if _RANK[target] > _RANK[ticket["state"]]:
        _advance(conn, actor, ticket, target)


def _live_items(conn: sqlite3.Connection, ticket_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM ticket_items WHERE ticket_id = ? AND state != 'MOVED'", (ticket_id,)
    ).fetchall()


def recall_ticket(conn: WriteConnection, actor: Actor, ticket_id: str) -> dict[str, Any]:
    """Bring a bumped ticket back to its screens as READY: one of its station's last 20."""
    require(actor, "kitchen.bump")
    ticket = existing(conn, "tickets", ticket_id, "ticket")
    if ticket["state"] != "BUMPED":
        raise Conflict(f"ticket {ticket['number']} is not bumped", code="not_bumped")
    recent = conn.execute(
        "SELECT id FROM tickets WHERE state = 'BUMPED' AND station = ?"
        " ORDER BY bumped_at DESC, id DESC LIMIT ?",
        (ticket["station"], RECALLABLE),
    ).fetchall()
    if ticket_id not in {row["id"] for row in recent}:
        raise Conflict(
            f"only the last {RECALLABLE} bumped tickets come back", code="too_old_to_recall"
        )
    commit(conn, actor.id, "tickets", ticket_id, "update", {"state": "READY", "bumped_at": None})
    for item in _live_items(conn, ticket_id):
        if item["state"] == "BUMPED":
            commit(
                conn,
                actor.id,
                "ticket_items",
                item["id"],
                "update",
                {"state": "READY", "bumped_at": None},
            )
    return get(conn, ticket_id)


def rush_ticket(
    conn: WriteConnection, actor: Actor, ticket_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Rush a ticket (or not)."""
    require(actor, "kitchen.bump")
    existing(conn, "tickets", ticket_id, "ticket")
    commit(conn, actor.id, "tickets", ticket_id, "update", RUSH.clean(values, partial=True))
    return get(conn, ticket_id)


def move_item(
    conn: WriteConnection, actor: Actor, item_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Send an item to another station: MOVED on its ticket, NEW on a MOVE ticket there (which
    its printer prints), keeping when it was fired. Answers the new ticket."""
    require(actor, "kitchen.bump")
    station = MOVE.clean(values)["station"]
    item = existing(conn, "ticket_items", item_id, "ticket item")
    if item["state"] in ("BUMPED", "MOVED"):
        raise Conflict(f"{item['name']} is {item['state']} already", code="not_movable")
    if item["station"] == station:
        raise Invalid(f"{item['name']} is at {station} already", field="station")
    ticket = existing(conn, "tickets", item["ticket_id"], "ticket")
    order = existing(conn, "orders", ticket["order_id"], "order")
    commit(conn, actor.id, "ticket_items", item_id, "update", {"state": "MOVED"})
    stamp = iso(utcnow())
    number = _next_number(conn, ticket["business_day"])
    row = _ticket_row(
        order, station, number, ticket["business_day"], "MOVE", ticket["label"], actor, stamp
    )
    new_id = uuid7()
    moved = {
        **dict(item),
        "id": uuid7(),
        "ticket_id": new_id,
        "station": station,
        "modifiers": json.loads(item["modifiers"]),
        "voided": bool(item["voided"]),
        "state": "NEW",
        "ready_at": None,
        "bumped_at": None,
        "hub_rev": 0,
    }
    commit(conn, actor.id, "tickets", new_id, "create", row, parts=[moved])
    printouts.kitchen_ticket(conn, actor, order, {"id": new_id, **row}, [moved])
    _settle(conn, actor, ticket)
    return get(conn, new_id)


def line_voided(conn: WriteConnection, actor: Actor, order: Any, line: Any, reason: str) -> None:
    """A sent line is being voided (`orders.void_line`): if fired, its item is struck through
    on its screens (it must still be bumped) and its station's printer prints a VOID chit."""
    item = conn.execute(
        "SELECT * FROM ticket_items WHERE line_id = ? AND state != 'MOVED'", (line["id"],)
    ).fetchone()
    if item is None:
        return  # held: never cooked, nothing to stop
    commit(conn, actor.id, "ticket_items", item["id"], "update", {"voided": True})
    ticket = existing(conn, "tickets", item["ticket_id"], "ticket")
    printouts.void_chit(conn, actor, order, line, reason, ticket)


def serve_order(conn: WriteConnection, actor: Actor, order_id: str) -> dict[str, Any]:
    """Expo marks the order's ready food served: its READY tickets are bumped, and every done
    ticket not served yet is served now."""
    require(actor, "kitchen.fire")
    existing(conn, "orders", order_id, "order")
    done = conn.execute(
        "SELECT * FROM tickets WHERE order_id = ? AND served_at IS NULL"
        " AND state IN ('READY', 'BUMPED')",
        (order_id,),
    ).fetchall()
    if not done:
        raise Conflict("nothing of this order is ready", code="nothing_ready")
    now = iso(utcnow())
    for ticket in done:
        commit(conn, actor.id, "tickets", ticket["id"], "update", {"served_at": now})
        if ticket["state"] == "READY":
            _advance(conn, actor, existing(conn, "tickets", ticket["id"], "ticket"), "BUMPED")
    return progress(conn, order_id)


# --- auto-fire ------------------------------------------------------------------------------


def _after_bump(conn: WriteConnection, actor: Actor, ticket: sqlite3.Row) -> None:
    """With auto-fire on: once none of the order's food is on a screen any more, its next held
    course fires, now or after the store's delay (`fire_due`)."""
    options = kitchen_config.current_settings(conn)
    if not options["auto_fire"] or not _held(conn, ticket["order_id"]):
        return
    cooking = conn.execute(
        "SELECT 1 FROM tickets t JOIN ticket_items i ON i.ticket_id = t.id"
        " WHERE t.order_id = ? AND t.state != 'BUMPED' AND i.state != 'MOVED'"
        " AND i.course != ? LIMIT 1",
        (ticket["order_id"], DRINKS),
    ).fetchone()
    if cooking:
        return
    delay = options["auto_fire_delay"]
    if delay:
        at = iso(utcnow() + timedelta(seconds=delay))
        commit(conn, actor.id, "tickets", ticket["id"], "update", {"auto_fire_at": at})
    else:
        _fire_next(conn, actor, ticket["order_id"])


def _fire_next(conn: WriteConnection, actor: Actor, order_id: str) -> None:
    order = existing(conn, "orders", order_id, "order")
    held = _held(conn, order_id)
    if order["status"] != "open" or not held:
        return
    course = min((line["course"] for line in held), key=course_rank)
    _fire(conn, actor, order, [line for line in held if line["course"] == course], "COURSE")


# Due now, or further ahead than the longest delay: the clock went back (a box without a clock
# battery, set right by NTP), and the course must not wait those hours.
_DUE = "auto_fire_at <= ? OR auto_fire_at > ?"


def _due_bounds() -> tuple[str, str]:
    now = utcnow()
    return iso(now), iso(now + timedelta(seconds=config_fields.AUTO_FIRE_MOST_S))


def due(conn: sqlite3.Connection) -> bool:
    """Whether an auto-fire is due: what the box's timer asks every second (index seeks)."""
    return (
        conn.execute(f"SELECT 1 FROM tickets WHERE {_DUE} LIMIT 1", _due_bounds()).fetchone()
        is not None
    )


def fire_due(conn: WriteConnection, actor: Actor) -> int:
    """Fire the courses whose auto-fire time has come; how many orders fired."""
    rows = conn.execute(f"SELECT id, order_id FROM tickets WHERE {_DUE}", _due_bounds()).fetchall()
    for row in rows:
        commit(conn, actor.id, "tickets", row["id"], "update", {"auto_fire_at": None})
        _fire_next(conn, actor, row["order_id"])
    return len(rows)


# --- reads ----------------------------------------------------------------------------------


def _views(conn: sqlite3.Connection, tickets: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    if not tickets:
        return []
    ids = [ticket["id"] for ticket in tickets]
    items: dict[str, list[dict[str, Any]]] = {ticket_id: [] for ticket_id in ids}
    marks = ", ".join("?" * len(ids))
    for row in conn.execute(
        f"SELECT * FROM ticket_items WHERE ticket_id IN ({marks}) AND state != 'MOVED' ORDER BY id",
        ids,
    ):
        item = dict(row)
        del item["hub_rev"]
        item["modifiers"] = json.loads(row["modifiers"])
        item["voided"] = bool(row["voided"])
        items[row["ticket_id"]].append(item)
    views = []
    for ticket in tickets:
        view: dict[str, Any] = dict(ticket)
        del view["hub_rev"]
        view["rush"] = bool(ticket["rush"])
        view["items"] = sorted(items[ticket["id"]], key=printouts.course_order)
        views.append(view)
    return views


def get(conn: sqlite3.Connection, ticket_id: str) -> dict[str, Any]:
    return _views(conn, [existing(conn, "tickets", ticket_id, "ticket")])[0]


def board(conn: sqlite3.Connection, station: str | None, last_seq: int) -> dict[str, Any]:
    """What a kitchen screen shows: the first `BOARD_MOST` open tickets, rushed first then in
    fire order, and the last bumped ones for recall; of one station, or all. The WHERE holds
    only the filters given."""
    where, args = "", []
    if station is not None:
        where, args = " AND station = ?", [station]
    open_tickets = conn.execute(
        f"SELECT * FROM tickets WHERE state != 'BUMPED'{where}"
        " ORDER BY rush DESC, fired_at, number, station LIMIT ?",
        [*args, BOARD_MOST],
    ).fetchall()
    bumped = conn.execute(
        f"SELECT * FROM tickets WHERE state = 'BUMPED'{where}"
        " ORDER BY bumped_at DESC, id DESC LIMIT ?",
        [*args, RECALLABLE],
    ).fetchall()
    return {
        "tickets": _views(conn, open_tickets),
        "bumped": _views(conn, bumped),
        "last_seq": last_seq,
    }


def progress(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    """An order's kitchen progress: each station's, the order's, and the courses held; no state
    while the box holds none of its tickets, and whether it forgot some (`_forgotten`)."""
    existing(conn, "orders", order_id, "order")
    found = kitchen_progress(conn, order_id)
    if found is None:
        held = sorted({line["course"] for line in _held(conn, order_id)}, key=course_rank)
        found = {"order_id": order_id, "state": None, "stations": {}, "held": held}
    return {**found, "forgotten": _forgotten(conn, order_id)}


def _forgotten(conn: sqlite3.Connection, order_id: str) -> bool:
    """Whether lines of the order were sent before the box forgot its old tickets
    (`retention.prune_tickets`) and their tickets are gone: cooked, served or not, no one here
    can say."""
    cutoff = retention.tickets_forgotten_before(conn)
    return cutoff is not None and (
        conn.execute(
            "SELECT 1 FROM order_lines l WHERE l.order_id = ? AND l.state = 'sent'"
            " AND l.created_at < ? AND NOT EXISTS (SELECT 1 FROM ticket_items i"
            " WHERE i.line_id = l.id AND i.state != 'MOVED') LIMIT 1",
            (order_id, cutoff),
        ).fetchone()
        is not None
    )


def kitchen_progress(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    """The seam for guests' phones: None before anything of the order was fired, else
    `{"state": "cooking" | "ready" | "served", "stations": {station: state}, "held": [...]}`.
    A station (and the order) is ready when all its tickets not yet served are READY or
    BUMPED, served when all of them are served."""
    tickets = conn.execute(
        "SELECT station, state, served_at FROM tickets WHERE order_id = ?", (order_id,)
    ).fetchall()
    if not tickets:
        return None
    stations: dict[str, str] = {}
    for station in sorted({t["station"] for t in tickets}):
        stations[station] = _readiness([t for t in tickets if t["station"] == station])
    held = sorted({line["course"] for line in _held(conn, order_id)}, key=course_rank)
    return {
        "order_id": order_id,
        "state": _readiness(tickets),
        "stations": stations,
        "held": held,
    }


def readiness(conn: sqlite3.Connection, order_id: str) -> str | None:
    """The order's kitchen state alone ("cooking", "ready", "served"; None before anything of
    it was fired): what a guest's phone shows."""
    found = kitchen_progress(conn, order_id)
    return found["state"] if found else None


def _readiness(tickets: Sequence[sqlite3.Row]) -> str:
    waiting = [t for t in tickets if t["served_at"] is None]
    if not waiting:
        return "served"
    return "ready" if all(t["state"] in ("READY", "BUMPED") for t in waiting) else "cooking"


def expo(conn: sqlite3.Connection, last_seq: int) -> dict[str, Any]:
    """The first `BOARD_MOST` orders with a ticket not served (or a course held), oldest fire
    first: what expo watches. The rest come up as these are served (a kitchen that serves none
    would have the whole day's orders read one by one at each load)."""
    rows = conn.execute(
        "SELECT t.order_id, MIN(t.fired_at) AS fired_at, t.label, t.order_number"
        " FROM tickets t JOIN orders o ON o.id = t.order_id"
        " WHERE o.status = 'open' AND t.business_day = (SELECT MAX(business_day) FROM tickets)"
        " GROUP BY t.order_id ORDER BY fired_at"
    ).fetchall()
    orders: list[dict[str, Any]] = []
    for row in rows:
        if len(orders) == BOARD_MOST:
            break
        found = kitchen_progress(conn, row["order_id"])
        assert found is not None
        if found["state"] == "served" and not found["held"]:
            continue
        orders.append(
            {
                **found,
                "label": row["label"],
                "number": row["order_number"],
                "fired_at": row["fired_at"],
            }
        )
    return {"orders": orders, "last_seq": last_seq}
