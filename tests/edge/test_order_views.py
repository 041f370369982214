"""What the admin's Orders section reads: a business day's orders with the names and counts a
list shows, one order's history across its lines, and query plans that use an index."""

from __future__ import annotations

import sqlite3
from typing import Any

from freezegun import freeze_time

from edge.core import db
from edge.domain import audit, orders
from tests.conftest import sign_in
from tests.edge.menu_helpers import item, menu, table_id


async def create(client, headers, **body):
    response = await client.post("/api/orders", headers=headers, json={"kind": "counter", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_days_orders_newest_first_with_table_opener_and_live_line_count(
    client, settings, manager
):
    m = await menu(client)
    cola, nata = item(m, "Cola")["id"], item(m, "Pastel de nata")["id"]
    floor = (await client.get("/api/tables", headers=manager)).json()
    # Lisbon, the business day starting at 04:00: 03:30 still belongs to the day before.
    with freeze_time("2026-11-21 22:00:00", tick=True) as frozen:
        waiter = await sign_in(client, "waiter")
        night = await create(client, waiter, lines=[{"item_id": cola}])
        frozen.move_to("2026-11-22 03:30:00")
        late = await create(
            client,
            waiter,
            kind="table",
            table_id=table_id(floor, "5"),
            lines=[{"item_id": cola}, {"item_id": nata, "quantity": 2}],
        )
        frozen.move_to("2026-11-22 09:30:00")
        morning = await create(client, waiter)
        voided = await client.post(
            f"/api/order-lines/{late['lines'][0]['id']}/void",
            headers=await sign_in(client, "manager"),
            json={"reason": "spilled"},
        )
        assert voided.status_code == 200, voided.text

    day = (await client.get("/api/orders?day=2026-11-21", headers=manager)).json()
    assert [o["id"] for o in day] == [late["id"], night["id"]]
    assert day[0]["table_name"] == "5" and day[1]["table_name"] is None
    assert {o["opened_by_name"] for o in day} == {"Walter Costa"}
    assert [o["line_count"] for o in day] == [1, 1]  # the voided cola does not count
    assert [
        o["id"] for o in (await client.get("/api/orders?day=2026-11-22", headers=manager)).json()
    ] == [morning["id"]]
    open_only = await client.get("/api/orders?day=2026-11-21&status=open", headers=manager)
    assert len(open_only.json()) == 2
    assert (
        await client.get("/api/orders?day=2026-11-21&status=closed", headers=manager)
    ).json() == []
    # A day that is no day was read as text, found nothing and answered 200 [].
    for wrong in ("2026-02-30", "21-11-2026", "today", "2026-11-2"):
        for path in ("/api/orders", "/api/reports"):
            refused = await client.get(f"{path}?day={wrong}", headers=manager)
            assert refused.status_code == 400, (path, wrong, refused.text)
            assert refused.json()["error"]["code"] == "bad_query"
    # One order reads the same names and count as the list shows.
    one = (await client.get(f"/api/orders/{late['id']}", headers=manager)).json()
    assert {k: one[k] for k in ("table_name", "opened_by_name", "line_count")} == {
        "table_name": "5",
        "opened_by_name": "Walter Costa",
        "line_count": 1,
    }


async def test_an_orders_history_holds_its_lines_events_even_of_a_removed_line(
    client, settings, waiter, manager
):
    m = await menu(client)
    cola, nata, wine = (item(m, n)["id"] for n in ("Cola", "Pastel de nata", "House red wine"))
    order = await create(client, waiter, lines=[{"item_id": cola}])
    other = await create(client, waiter, lines=[{"item_id": wine}])  # not in the history
    added = await client.post(
        f"/api/orders/{order['id']}/lines", headers=waiter, json={"lines": [{"item_id": nata}]}
    )
    nata_line = added.json()["lines"][1]["id"]
    removed = await client.delete(f"/api/order-lines/{nata_line}", headers=waiter)
    assert removed.status_code == 200
    sent = await client.post(f"/api/orders/{order['id']}/send", headers=waiter)
    assert sent.status_code == 200, sent.text
    cola_line = order["lines"][0]["id"]
    voided = await client.post(
        f"/api/order-lines/{cola_line}/void", headers=manager, json={"reason": "spilled"}
    )
    assert voided.status_code == 200

    response = await client.get(f"/api/orders/{order['id']}/events", headers=waiter)
    assert response.status_code == 200, response.text
    history = response.json()["events"]
    seqs = [e["seq"] for e in history]
    assert seqs == sorted(seqs)  # oldest first: it reads as a story
    steps = [(e["entity"], e["entity_id"], e["op"]) for e in history]
    assert steps[0] == ("orders", order["id"], "create")
    assert ("order_lines", nata_line, "delete") in steps  # its row is gone, its story is not
    assert ("order_lines", cola_line, "update") in steps
    assert all(other["id"] not in (e["entity_id"], e["fields"].get("order_id")) for e in history)
    void = next(e for e in history if e["fields"].get("state") == "voided")
    assert void["fields"]["void_reason"] == "spilled"
    assert void["actor_name"] == "Marco Ferreira"
    assert void["context"] == {
        "name": "Cola",
        "quantity": 1,
        "order_number": order["number"],
    }
    assert history[0]["actor_name"] == "Walter Costa"
    assert history[0]["context"]["order_number"] == order["number"]


async def test_history_refusals_are_json(client, waiter):
    missing = await client.get(
        "/api/orders/01900000-0000-7000-8000-000000000000/events", headers=waiter
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    anonymous = await client.get("/api/orders/01900000-0000-7000-8000-000000000000/events")
    assert anonymous.status_code == 401 and "error" in anonymous.json()


async def test_a_query_parameter_given_twice_or_in_other_digits_is_a_400(client, manager):
    """`?status=open&status=closed` filtered by the last one alone, and `?limit=١٠` (Arabic
    digits) or `?limit=1_0` were read as 10: each is refused as the others are."""
    for query in ("status=open&status=closed", "limit=1&limit=2", "limit=١٠", "limit=1_0"):
        refused = await client.get(f"/api/orders?{query}", headers=manager)
        assert refused.status_code == 400, (query, refused.text)
        assert refused.json()["error"]["code"] == "bad_query"
    assert (
        await client.get("/api/orders?limit=10&status=open", headers=manager)
    ).status_code == 200


class Planned:
    """A connection that records the query plan of every statement it runs (on a real SQLite
    connection), so a test can read how each read finds its rows."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.plans: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        plan = self.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        self.plans.append(" | ".join(row["detail"] for row in plan))
        return self.conn.execute(sql, params)


def scans(plan: str) -> list[str]:
    """The steps of a plan that walk a whole table (a JSON array's values are no table)."""
    return [step for step in plan.split(" | ") if step.startswith("SCAN") and "VIRTUAL" not in step]


async def test_list_and_history_find_their_rows_by_index(client, settings, waiter):
    cola = item(await menu(client), "Cola")["id"]
    order = await create(client, waiter, lines=[{"item_id": cola}])
    conn = Planned(db.connect(settings.database, readonly=True))

    orders.list_orders(conn, business_day=order["business_day"], status="open")
    by_day = conn.plans[-1]
    assert "sqlite_autoindex_orders_2 (business_day=?)" in by_day, by_day
    assert "TEMP B-TREE" not in by_day, by_day  # in number order from the key: no sort
    orders.list_orders(conn, status="open")
    assert not scans(by_day) and not scans(conn.plans[-1]), conn.plans

    before = len(conn.plans)
    audit.of_order(conn, order["id"], 2**62)
    history = conn.plans[before]
    assert history.count("events_entity (entity=? AND entity_id=?)") == 3, history
    assert not scans(history), history
