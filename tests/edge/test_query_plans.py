"""Every read path of the API is an index lookup: each GET, with every combination of the filters
it offers, runs on a box whose connections record each statement they run, and the plan of
each (`EXPLAIN QUERY PLAN`) must not walk a table that grows with the store's days (`BIG`: the
events, orders and their lines, print jobs, checks, payments, shifts, tickets, reports ...).
The one exception is a page with no filter at all: newest first, it walks an index in order and
stops at its `limit`. The store has been through a service first (a shift open, a check paid
and one open, a report, kitchen tickets), so that each read runs the queries it runs in one. A
query added later is held to the same rule as soon as a call here reaches it."""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Route

from edge.core import db
from edge.domain import floor, orders, print_queue, reports, store_printers, sync_inbox, tickets
from tests.conftest import device_header, sign_in, staff_id
from tests.edge.guest_helpers import ALWAYS, qr_token
from tests.edge.menu_helpers import item, menu

# Tables with rows for every order, payment or day of service: a year makes them big.
BIG = (
    "events",
    "orders",
    "order_lines",
    "print_jobs",
    "checks",
    "check_items",
    "check_discounts",
    "payments",
    "refunds",
    "pay_links",
    "shifts",
    "drawer_moves",
    "reports",
    "tickets",
    "ticket_items",
    "table_sessions",
    "session_members",
    "drafts",
    "draft_lines",
    "idempotency_keys",
    "sync_conflicts",
    "sync_rejections",
)
# Partial indexes that hold only what a service has in hand, never its history: walking one
# costs the work open now, whatever the store's age.
IN_HAND = {
    "tickets_open",  # tickets not bumped yet: the kitchen's board
    "pay_links_late",  # QR bills paid after their check was settled, until given back
}
_NAMED = re.compile(
    rf"\b(?:FROM|JOIN)\s+({'|'.join(BIG)})\b(?:\s+(?:AS\s+)?(?!ON\b|WHERE\b|LEFT\b|JOIN\b|ORDER\b|INDEXED\b)(\w+))?",
    re.I,
)


class Recorder:
    """The statements every connection of the box runs (sqlite3's trace, parameters bound)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.lock = threading.Lock()

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        conn = _connect(*args, **kwargs)
        conn.set_trace_callback(self.record)
        return conn

    def record(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            with self.lock:
                self.statements.append(sql)

    def take(self) -> list[str]:
        with self.lock:
            taken, self.statements = self.statements, []
        return taken


_connect = db.connect


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(db, "connect", found.connect)
    return found


def walks(conn: sqlite3.Connection, sql: str, *, unfiltered: bool) -> list[str]:
    """The steps of the statement's plan that walk one of the big tables: a SCAN of it (by its
    name or its alias here), but of an index `IN_HAND`; for an unfiltered page, a walk of an
    index in order is allowed (it stops at the page's LIMIT), a walk of the table itself or one
    to sort never."""
    names = {name for match in _NAMED.finditer(sql) for name in match.groups() if name}
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    bad = []
    for step in plan:
        match = re.match(r"SCAN (\w+)(.*)", step)
        if match is None or match.group(1) not in names:
            continue
        if re.search(rf"USING INDEX ({'|'.join(IN_HAND)})\b", match.group(2)):
            continue
        ordered = "USING" in match.group(2) and "USE TEMP B-TREE FOR ORDER BY" not in plan
        if not (unfiltered and ordered and "LIMIT" in sql):
            bad.append(f"{step}  <-  {sql}")
    return bad


# A query value that filters nothing: the page is every row, newest first.
EVERYTHING = {"state": "all"}  # the conflict inbox, every state


def _unfiltered(query: dict[str, Any]) -> bool:
    return not query or query == EVERYTHING


# GET routes that read nothing of the store's history.
UNCHECKED = {
    "/",  # the pages' entry: a redirect
    "/openapi.json",  # the API's description, built from the code
    "/api/printers/discover/usb",  # looks for printers on the USB bus
}


def combinations(**choices: list[Any]) -> Iterator[dict[str, Any]]:
    """Every combination of the filters, each absent or one of its values."""
    names = list(choices)
    for values in itertools.product(*([None, *choices[name]] for name in names)):
        yield {name: value for name, value in zip(names, values, strict=True) if value}


async def test_every_read_path_is_an_index_lookup(recorder, quiet, settings):
    app, client = quiet
    manager = await sign_in(client, "owner")
    paired = await device_header(client)
    waiter = await sign_in(client, "waiter")
    cola = item(await menu(client), "Cola")["id"]
    answer = await client.post(
        "/api/orders",
        headers={**waiter, "Idempotency-Key": "plans-1"},
        json={"kind": "counter", "lines": [{"item_id": cola}], "send": True},
    )
    assert answer.status_code == 201, answer.text
    order = answer.json()
    jobs = (await client.get("/api/print-jobs", headers=manager)).json()
    assert jobs, "sending an order queues its kitchen ticket"
    printer = jobs[0]["printer_id"]
    someone = await staff_id(client, "waiter")
    day = order["business_day"]
    check = await _a_service(client, manager, order, cola)
    reader = _connect(settings.database, readonly=True)
    ticket, station = reader.execute("SELECT id, station FROM tickets").fetchone()
    (receipt,) = reader.execute("SELECT receipt_token FROM checks WHERE status = 'paid'").fetchone()
    stations = [
        s["code"] for s in (await client.get("/api/kitchen", headers=manager)).json()["stations"]
    ]
    assert station in stations
    # the X report reads the day's takings, as the Z report does
    recorder.take()
    x = await client.post("/api/reports", headers=manager, json={"kind": "x"})
    assert x.status_code == 201, x.text
    reported = recorder.take()
    assert any("FROM payments" in sql for sql in reported)  # the writer's statements too
    bad = [step for sql in reported for step in walks(reader, sql, unfiltered=False)]

    calls: list[tuple[str, dict[str, Any]]] = [
        ("/healthz", {}),
        ("/api/me", {}),
        ("/api/store", {}),
        ("/api/menu", {}),
        ("/api/menu/all", {}),
        ("/api/tables", {}),
        ("/api/staff", {}),
        ("/api/devices", {}),
        ("/api/printers", {}),
        (f"/api/orders/{order['id']}", {}),
        (f"/api/orders/{order['id']}/events", {}),
        ("/api/events", {"since": 0}),
        (f"/api/checks/{check}", {}),
        (f"/api/receipts/{receipt}", {}),
        (f"/api/tickets/{ticket}", {}),
        (f"/api/orders/{order['id']}/kitchen", {}),
        *(("/api/orders", f) for f in combinations(status=list(orders.STATUSES), day=[day])),
        *(("/api/reports", f) for f in combinations(day=[day])),
        *(("/api/tickets", f) for f in combinations(station=stations)),
        *(
            ("/api/sync/conflicts", f)
            for f in combinations(state=["open", "reapplied", "dismissed", "all"])
        ),
        *(
            ("/api/print-jobs", f)
            for f in combinations(printer_id=[printer], state=list(print_queue.STATES))
        ),
        *(
            ("/api/audit", f)
            for f in combinations(
                entity=["staff", "print_jobs,orders"],
                entity_id=[order["id"]],
                actor=[someone],
                **{"from": [f"{day}T00:00:00Z"], "to": [f"{day}T23:59:59Z"]},
                hide=["printing"],
            )
        ),
        ("/api/audit", {"before": 1000, "after": 1}),
        ("/api/kitchen/prep-times", {"from": day}),
        ("/api/kitchen/prep-times", {"from": day, "to": day}),
    ]
    # a table guest's draft, sent to the waiters, and a pay link for the open check
    await client.patch("/api/store", headers=manager, json={"opening_hours": ALWAYS})
    qr = qr_token(app.state.box, "3")
    scanned = await client.post("/api/guest/scan", json={"token": qr})
    guest = {"X-Galley-Guest": scanned.json()["guest_token"]}
    added = await client.post("/api/guest/cart", headers=guest, json={"item_id": cola})
    assert added.status_code < 300, added.text
    sent = await client.post("/api/guest/send", headers={**guest, "Idempotency-Key": "plans-2"})
    assert sent.status_code == 200, sent.text
    (draft,) = (await client.get("/api/drafts", headers=manager)).json()
    link = await client.post(f"/api/checks/{check}/pay-link", headers=manager)
    assert link.status_code == 201, link.text
    table = reader.execute("SELECT id FROM tables WHERE name = '3'").fetchone()[0]
    calls += [
        (f"/api/drafts/{draft['id']}", {}),
        (f"/api/print-jobs/{jobs[0]['id']}/preview.png", {}),
        (f"/api/tables/{table}/qr.svg", {}),
        (f"/api/pay-links/{link.json()['id']}", {}),
        (f"/api/pay-links/{link.json()['id']}/qr.svg", {}),
        (f"/t/{qr}", {}),
    ]
    # and every other read the app has that takes no id (with no filter)
    asked = {path for path, _ in calls}
    for route in app.routes:
        if (
            isinstance(route, Route)
            and "GET" in (route.methods or ())
            and route.path.startswith("/api/")
            and "{" not in route.path
            and route.path not in asked
            and route.path not in UNCHECKED
            and not route.path.startswith("/api/guest/")  # a guest's, below
        ):
            calls.append((route.path, {}))
    recorder.take()
    for path, query in calls:
        answer = await client.get(path, params=query, headers={**paired, **manager})
        # 307: a table's QR link sends the phone on to the guest page
        assert answer.status_code in (200, 307) or (
            not query and answer.status_code in (404, 409)
        ), (
            path,
            query,
            answer.text,
        )
        statements = recorder.take()
        for sql in statements:
            bad.extend(walks(reader, sql, unfiltered=_unfiltered(query)))
    # and the table guest's reads, with the guest token the scan answered
    guest_calls = [("/api/guest/table", {}), ("/api/guest/events", {"since": 0})]
    for path, query in guest_calls:
        answer = await client.get(path, params=query, headers=guest)
        assert answer.status_code == 200, (path, answer.text)
        for sql in recorder.take():
            bad.extend(walks(reader, sql, unfiltered=_unfiltered(query)))
    # every read of the API was asked here: a read added later is held to the rule at once
    called = [path for path, _ in [*calls, *guest_calls]]
    missed = [
        route.path
        for route in app.routes
        if isinstance(route, Route)
        and "GET" in (route.methods or ())
        and route.path not in UNCHECKED
        and not any(route.path_regex.match(path) for path in called)
    ]
    assert not missed, f"reads the plan test does not call: {missed}"
    reader.close()
    assert not bad, "\n".join(bad)


async def _a_service(client, owner, sent: dict[str, Any], item_id: str) -> str:
    """A till's shift open, a walk-in paid in cash and `sent` on an open check (its id)."""
    opened = await client.post("/api/shifts", headers=owner, json={"float": 100_00})
    assert opened.status_code == 201, opened.text
    walk_in = await client.post(
        "/api/orders", headers=owner, json={"kind": "counter", "lines": [{"item_id": item_id}]}
    )
    assert walk_in.status_code == 201, walk_in.text
    paid = (
        await client.post("/api/checks", headers=owner, json={"order_id": walk_in.json()["id"]})
    ).json()
    tender = {"method": "cash", "given": paid["total"]}
    taken = await client.post(f"/api/checks/{paid['id']}/payments", headers=owner, json=tender)
    assert taken.status_code == 201, taken.text
    opened_check = await client.post("/api/checks", headers=owner, json={"order_id": sent["id"]})
    assert opened_check.status_code == 200, opened_check.text
    return opened_check.json()["id"]


def test_start_up_finds_the_jobs_caught_mid_send_by_index(settings):
    """`recover` runs at every start: it reads the jobs in `sending` through `print_jobs_state`,
    never every job and its bytes."""
    conn = _connect(settings.database, readonly=True)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        conn.execute("BEGIN")
        print_queue.recover(conn)  # none in `sending` on the demo: it writes nothing
        conn.execute("ROLLBACK")
        plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {seen[1]}"))
    finally:
        conn.close()
    assert "USING INDEX print_jobs_state (state=?)" in plan, plan


def test_a_printers_waiting_jobs_are_read_from_the_jobs_in_hand(settings):
    """A print worker's next job (at each start, and after each job) and the printers' counts
    of waiting and failed jobs seek those jobs on their own indexes, never through
    `print_jobs_printer`, which holds every job the printer kept (a SEARCH, so the rule above
    would not see it)."""
    conn = _connect(settings.database, readonly=True)
    seen: list[str] = []
    try:
        printer = conn.execute("SELECT id FROM printers").fetchone()[0]
        conn.set_trace_callback(seen.append)
        print_queue.head(conn, printer)
        store_printers.list_printers(conn)
        conn.set_trace_callback(None)
        plans = [
            " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in seen
        ]
    finally:
        conn.close()
    head, listed = plans
    assert "USING INDEX print_jobs_waiting (printer_id=?)" in head, head
    assert "print_jobs_printer" not in listed, listed
    assert "USING INDEX print_jobs_waiting" in listed, listed
    assert "USING INDEX print_jobs_state (state=?)" in listed, listed


async def test_prep_times_read_the_days_tickets_by_index(quiet, recorder):
    """The prep-time report seeks each day's tickets by their (business_day, number, station)
    key and each one's items by `ticket_items_ticket`: neither table is walked."""
    app, client = quiet
    manager = await sign_in(client, "owner")
    recorder.take()
    answer = await client.get(
        "/api/kitchen/prep-times",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=manager,
    )
    assert answer.status_code == 200, answer.text
    read = [s for s in recorder.take() if "ticket_items" in s]
    assert len(read) == 30  # a day at a time (`prep_times.Days`)
    conn = _connect(app.state.box.path, readonly=True)
    try:
        plans = {tuple(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in read}
    finally:
        conn.close()
    (plan,) = plans
    assert list(plan) == [
        # the UNIQUE (business_day, number, station) key's index
        "SEARCH t USING INDEX sqlite_autoindex_tickets_2 (business_day>? AND business_day<?)",
        "SEARCH i USING INDEX ticket_items_ticket (ticket_id=?)",
    ]


def test_the_sync_service_finds_a_verdict_kept_by_index(settings):
    """Each push's answer asks whether a verdict on an event is kept already, and which events
    are kept as too large to push: lookups by seq, never a walk of the inbox."""
    conn = _connect(settings.database, readonly=True)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        sync_inbox._recorded(conn, 1)
        sync_inbox.too_large_seqs(conn, 0)
        plans = [
            step
            for sql in seen
            for step in (row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        ]
    finally:
        conn.close()
    assert len(seen) == 3 and not any(step.startswith("SCAN") for step in plans), plans


def test_a_z_report_looks_for_a_shift_left_open_among_the_open_ones(settings):
    """Before a Z, "is a shift of the day, or of one before, still open?" walks the open shifts
    (`shifts_open`), not every shift of every day before it on `shifts_day` (a year of them
    on a busy box, more with more tills)."""
    conn = _connect(settings.database, readonly=True)
    try:
        plan = [
            row[3]
            for row in conn.execute(
                f"EXPLAIN QUERY PLAN {reports._SHIFT_OPEN_UPTO}", ("2026-12-07",)
            )
        ]
    finally:
        conn.close()
    assert plan == ["SCAN shifts USING INDEX shifts_open"], plan


def _plans(database, run) -> dict[str, str]:
    """The plan of each statement `run(conn)` runs (by its text), its steps joined."""
    conn = _connect(database, readonly=True)
    seen: list[str] = []
    try:
        conn.set_trace_callback(seen.append)
        run(conn)
        conn.set_trace_callback(None)
        return {
            sql: " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in seen
            if sql.lstrip().upper().startswith("SELECT")
        }
    finally:
        conn.close()


def test_the_floor_reads_the_open_table_orders_not_every_open_order(settings):
    """The waiter's tables grid asks for each table's open order among the open orders of a
    table (`orders_status_table`), never every open order on `orders_status` (a SEARCH, so the
    rule above would not see it): counter orders left open (a kitchen that bumps none, a till
    that closes none) are a year of them."""
    plans = _plans(settings.database, floor.tables_grid)
    (staff_orders,) = [plan for sql, plan in plans.items() if "o.table_id IS NOT NULL" in sql]
    assert "USING INDEX orders_status_table (status=? AND table_id>?)" in staff_orders, plans


@pytest.mark.parametrize("station", [None, "BAR"])
def test_the_kitchen_board_seeks_its_first_tickets_in_the_boards_order(settings, station):
    """A kitchen screen's first 100 open tickets (rushed first, then by fire) are read in that
    order from `tickets_board` (of one station: `tickets_board_station`), not sorted from
    every open ticket: in a kitchen that bumps none, those are 90 days of tickets."""
    plans = _plans(settings.database, lambda conn: tickets.board(conn, station, 0))
    (board,) = [plan for sql, plan in plans.items() if "state != 'BUMPED'" in sql]
    assert "USE TEMP B-TREE" not in board, board
    index = "tickets_board_station (station=?)" if station else "tickets_board"
    assert f"USING INDEX {index}" in board, board
