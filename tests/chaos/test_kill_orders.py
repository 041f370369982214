"""kill -9 the edge while 20 clients create orders; nothing acknowledged may be lost.

The server runs under real uvicorn in a subprocess on a copy of the demo store. After ~400
orders are acknowledged it gets SIGKILL (no shutdown, no lifespan). On restart every order
that got a 2xx must be there with its number and lines, the database must be intact, the
event log gapless and in step with the domain rows, and numbering must go on without
duplicates. Then the remaining orders are made against the restarted server and it all
holds again.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.perf.harness import EdgeServer, copy_demo, plain_items, sign_in

pytestmark = pytest.mark.chaos

CLIENTS = 20
TOTAL = 1000
KILL_AFTER = 400


@dataclass(frozen=True)
class Acked:
    id: str
    number: int
    business_day: str
    lines: tuple[tuple[str, int], ...]  # (item_id, quantity), in the order sent


@dataclass
class Run:
    """Orders acknowledged so far (2xx), and requests whose fate the client never heard."""

    acked: dict[str, Acked] = field(default_factory=dict)
    unanswered: int = 0


async def _client(
    url: str,
    token: str,
    items: list[str],
    run: Run,
    goal: int,
    rng: random.Random,
    on_ack=None,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10.0) as http:
        while len(run.acked) < goal:
            lines = [(rng.choice(items), rng.randint(1, 3)) for _ in range(rng.randint(1, 5))]
            body = {"kind": "counter", "lines": [{"item_id": i, "quantity": q} for i, q in lines]}
            try:
                response = await http.post("/api/orders", json=body)
            except httpx.TransportError:
                run.unanswered += 1  # the server died under us: this order may or may not exist
                return
            assert response.status_code == 201, response.text
            order = response.json()
            sent = tuple(lines)
            got = tuple((line["item_id"], line["quantity"]) for line in order["lines"])
            assert got == sent, (got, sent)
            run.acked[order["id"]] = Acked(
                order["id"], order["number"], order["business_day"], sent
            )
            if on_ack is not None:
                on_ack()


def _check(db: Path, run: Run) -> int:
    """Everything that must hold after a crash; returns the number of orders on disk."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

        # Every acknowledged order, with its number and its lines in order.
        orders = {
            row[0]: row[1:] for row in conn.execute("SELECT id, number, business_day FROM orders")
        }
        lines: dict[str, list[tuple[str, int]]] = {}
        for order_id, item_id, quantity in conn.execute(
            "SELECT order_id, item_id, quantity FROM order_lines ORDER BY created_at, id"
        ):
            lines.setdefault(order_id, []).append((item_id, quantity))
        lost = [a.id for a in run.acked.values() if a.id not in orders]
        assert not lost, f"{len(lost)} acknowledged orders are gone, e.g. {lost[:3]}"
        for acked in run.acked.values():
            assert orders[acked.id] == (acked.number, acked.business_day), acked
            assert tuple(lines.get(acked.id, ())) == acked.lines, acked

        # Numbers are unique per business day (and so are the acknowledged ones).
        assert (
            conn.execute(
                "SELECT business_day, number, COUNT(*) FROM orders"
                " GROUP BY business_day, number HAVING COUNT(*) > 1"
            ).fetchall()
            == []
        )
        numbers = [(a.business_day, a.number) for a in run.acked.values()]
        assert len(set(numbers)) == len(numbers)

        # The event log is gapless from 1.
        low, high, count = conn.execute(
            "SELECT MIN(seq), MAX(seq), COUNT(*) FROM events"
        ).fetchone()
        assert (low, high) == (1, count), (low, high, count)

        # Events and domain rows agree: each order has exactly one create event, which lists
        # exactly the order's lines; no event without its rows.
        created: dict[str, set[str]] = {}
        for entity_id, fields in conn.execute(
            "SELECT entity_id, fields FROM events WHERE entity = 'orders' AND op = 'create'"
        ):
            assert entity_id not in created, f"order {entity_id} was created twice"
            created[entity_id] = {line["id"] for line in json.loads(fields)["order_lines"]}
        rows: dict[str, set[str]] = {
            order_id: set() for (order_id,) in conn.execute("SELECT id FROM orders")
        }
        for line_id, order_id in conn.execute("SELECT id, order_id FROM order_lines"):
            rows[order_id].add(line_id)
        assert created == rows, "the create events and the order rows disagree"
        return len(orders)
    finally:
        conn.close()


async def test_kill_minus_nine_mid_orders(demo_template: Path, tmp_path: Path) -> None:
    data_dir = copy_demo(demo_template, tmp_path / "edge")
    db = data_dir / "edge.db"
    rng = random.Random(20240601)
    run = Run()

    server = EdgeServer(data_dir).start()
    try:
        token = await asyncio.to_thread(sign_in, server, "waiter", "chaos")
        items = await asyncio.to_thread(plain_items, server.url)
        killed = False

        def kill_midway() -> None:
            nonlocal killed
            if not killed and len(run.acked) >= KILL_AFTER:
                killed = True
                server.kill()  # SIGKILL while the other clients have requests in flight

        await asyncio.gather(
            *(
                _client(
                    server.url, token, items, run, TOTAL, random.Random(rng.random()), kill_midway
                )
                for _ in range(CLIENTS)
            )
        )
        assert killed, "the server was never killed"
        assert KILL_AFTER <= len(run.acked) < TOTAL
        acked_before = len(run.acked)

        # Restart on the same data dir: recovery, then the same checks.
        server = EdgeServer(data_dir, port=server.port).start()
        on_disk = _check(db, run)
        assert on_disk <= acked_before + run.unanswered, (on_disk, acked_before, run.unanswered)
        print(
            f"\nchaos: killed after {acked_before} acknowledged, {run.unanswered} unanswered,"
            f" {on_disk} orders on disk after restart"
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as http:
            for acked in rng.sample(sorted(run.acked.values(), key=lambda a: a.id), 5):
                response = await http.get(
                    f"/api/orders/{acked.id}", headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 200, response.text
                assert response.json()["number"] == acked.number

        # The sign-in survives the crash; finish the remaining orders on the restarted server.
        await asyncio.gather(
            *(
                _client(server.url, token, items, run, TOTAL, random.Random(rng.random()))
                for _ in range(CLIENTS)
            )
        )
        assert len(run.acked) >= TOTAL
        _check(db, run)
    finally:
        server.stop()
