"""Secrets are masked where they are shown, not where they are stored: a PIN changed at the
store keeps its hash in the event (so that it syncs), and no read path shows it, nor the hash of
a paired device's credential."""

import asyncio
import io
import json
import logging

import httpx

from edge.api.app import create_app
from edge.core import db
from edge.setup import export
from tests.conftest import sign_in, staff_id
from tests.edge.menu_helpers import item, menu
from tests.live import feed, serve

HASH = "scrypt$"


async def _feed_until(ws, last_seq):
    """Every message of a websocket feed up to `last_seq`."""
    messages = []
    while not messages or messages[-1]["seq"] < last_seq:
        messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return messages


async def _polled(client, headers):
    """The whole feed, page by page, as a client that polls reads it."""
    pages, since = [], 0
    while True:
        page = (await client.get(f"/api/events?since={since}", headers=headers)).json()
        pages.append(json.dumps(page))
        if not page["has_more"]:
            return "".join(pages)
        since = page["last_seq"]


async def _audited(client, headers):
    pages, before = [], ""
    while True:
        page = (await client.get(f"/api/audit?limit=500{before}", headers=headers)).json()
        pages.append(json.dumps(page))
        if not page["events"]:
            return "".join(pages)
        before = f"&before={page['next_before']}"


def _exported(settings, table):
    out = []
    for fmt in ("csv", "json"):
        text = io.StringIO()
        with export.reading(settings.database, table) as (columns, rows):
            export.write(columns, rows, fmt, text)
        out.append(text.getvalue())
    return "".join(out)


async def test_a_pin_changed_is_stored_whole_and_shown_nowhere(settings, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            boss = await sign_in(client, "manager")
            token = boss["Authorization"].split()[1]
            waiter = await staff_id(client, "waiter")
            start = (await client.get("/healthz")).json()["last_seq"]
            async with feed(url, token, f"since={start}") as live:
                made = await client.post(
                    "/api/staff",
                    headers=boss,
                    json={"name": "Nuno", "role": "waiter", "pin": "8080"},
                )
                changed = await client.patch(
                    f"/api/staff/{waiter}", headers=boss, json={"pin": "9090"}
                )
                order = await client.post(
                    "/api/orders",
                    headers=boss,
                    json={
                        "kind": "counter",
                        "lines": [{"item_id": item(await menu(client), "Cola")["id"]}],
                    },
                )
                last = (await client.get("/healthz")).json()["last_seq"]
                heard = await _feed_until(live, last)
            async with feed(url, token, "since=0") as backlog:
                replayed = await _feed_until(backlog, last)
            shown = {
                "answers": made.text + changed.text + order.text,
                "websocket": json.dumps(heard),
                "websocket backlog": json.dumps(replayed),
                "polling": await _polled(client, boss),
                "audit": await _audited(client, boss),
                "order's history": (
                    await client.get(f"/api/orders/{order.json()['id']}/events", headers=boss)
                ).text,
                "staff list": (await client.get("/api/staff", headers=boss)).text,
                "me": (await client.get("/api/me", headers=boss)).text,
            }
    shown["export of events"] = _exported(settings, "events")
    shown["export of staff"] = _exported(settings, "staff")
    shown["logs"] = caplog.text
    assert made.status_code == 201 and changed.status_code == 200 and order.status_code == 201
    assert any(e["entity"] == "staff" and e["fields"].get("pin_hash") == "***" for e in heard)
    for where, text in shown.items():
        assert HASH not in text, where

    conn = db.connect(settings.database, readonly=True)
    try:
        stored = conn.execute(
            "SELECT fields FROM events WHERE entity = 'staff' AND entity_id = ? ORDER BY seq DESC",
            (waiter,),
        ).fetchone()
        (kept,) = conn.execute("SELECT pin_hash FROM staff WHERE id = ?", (waiter,)).fetchone()
        credentials = [row[0] for row in conn.execute("SELECT secret_hash FROM devices")]
    finally:
        conn.close()
    assert credentials
    for where, text in shown.items():
        assert not any(secret in text for secret in credentials), where
    assert json.loads(stored["fields"]) == {"pin_hash": kept}  # the event syncs the new PIN
    assert kept.startswith(HASH)
