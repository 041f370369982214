"""A sign-in that ends ends everywhere, its open websockets included, and a token is never in a
URL or a log: real uvicorn, real websockets."""

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import anyio
import anyio.to_thread
import httpx
import pytest
from freezegun import freeze_time
from websockets.exceptions import ConnectionClosed

from edge.api.app import create_app
from edge.core.permissions import SYSTEM
from edge.domain import hub_changes, staff
from sync import hashing
from sync.clock import Timestamp, now_iso, now_ms
from sync.envelope import Change
from sync.ids import uuid7
from tests.clock import advance
from tests.conftest import device_header, sign_in, staff_id
from tests.edge.menu_helpers import item, menu
from tests.live import feed, serve


@pytest.fixture
def live(settings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


async def received(ws) -> list[dict]:
    """Every message until the socket closes."""
    messages = []
    try:
        while True:
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    except ConnectionClosed:
        return messages


async def end_by_sign_out(http, boss, whose, token):
    await http.delete("/api/sessions/current", headers={"Authorization": f"Bearer {token}"})


async def end_by_deactivation(http, boss, whose, token):
    await http.patch(f"/api/staff/{whose}", headers=boss, json={"active": False})


async def end_by_role_change(http, boss, whose, token):
    await http.patch(f"/api/staff/{whose}", headers=boss, json={"role": "cashier"})


async def end_by_pin_change(http, boss, whose, token):
    await http.patch(f"/api/staff/{whose}", headers=boss, json={"pin": "8642"})


async def end_by_revoking_the_device(http, boss, whose, token):
    phone = next(
        d for d in (await http.get("/api/devices", headers=boss)).json() if d["name"] == "Phone"
    )
    await http.post(f"/api/devices/{phone['id']}/revoke", headers=boss)


@pytest.mark.parametrize(
    ("end", "code", "reason"),
    [
        (end_by_sign_out, "session_ended", "signed_out"),
        (end_by_deactivation, "session_ended", "deactivated"),
        (end_by_role_change, "session_ended", "role_changed"),
        (end_by_pin_change, "session_ended", "pin_changed"),
        (end_by_revoking_the_device, "device_revoked", "device_revoked"),
    ],
)
async def test_an_open_socket_closes_with_4401_when_its_sign_in_ends(live, end, code, reason):
    """The socket is closed in the event loop's turn that publishes the end: the next thing it
    gets is why, then the close, and not one event made after the end (an order another
    device sends at once) reaches it. Polling and REST say the same after."""
    async with httpx.AsyncClient(base_url=live) as http:
        boss = await sign_in(http, "manager", device="Office")
        waiter = await sign_in(http, "waiter", device="Phone")
        token = waiter["Authorization"].split()[1]
        whose = await staff_id(http, "waiter")
        cola = item(await menu(http), "Cola")["id"]
        order = {"kind": "counter", "lines": [{"item_id": cola}]}
        since = (await http.get("/healthz")).json()["last_seq"]
        async with feed(live, token, f"topics=orders&since={since}") as ws:
            assert (await http.post("/api/orders", headers=boss, json=order)).status_code == 201
            before = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert before["entity"] == "orders"  # live, and signed in
            await end(http, boss, whose, token)
            assert (await http.post("/api/orders", headers=boss, json=order)).status_code == 201
            after = await received(ws)
        assert ws.close_code == 4401
        assert after == [
            {"error": {"code": code, "message": after[0]["error"]["message"], "reason": reason}}
        ]
        assert after[0]["error"]["message"].startswith("Your sign-in was ended: ")
        assert ws.close_reason == after[0]["error"]["message"]
        for refused in (
            await http.get(f"/api/events?since={since}", headers=waiter),
            await http.get("/api/me", headers=waiter),
        ):
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == code
            assert refused.json()["error"]["reason"] == reason
        async with feed(live, token) as again:  # and a new socket is refused at once
            assert (await received(again))[0]["error"]["reason"] == reason
        assert again.close_code == 4401


async def test_the_first_message_signs_the_socket_in(live):
    """A first message that is not `{"type": "auth", "token"}` with a live token closes the
    socket with 4401; nothing is read before it."""
    async with httpx.AsyncClient(base_url=live) as http:
        token = (await sign_in(http, "waiter"))["Authorization"].split()[1]
    for first in ({"type": "hello"}, {"type": "auth"}, {"token": token}, "not json", []):
        async with feed(live, None) as ws:
            await ws.send(first if isinstance(first, str) else json.dumps(first))
            refusal = await received(ws)
        assert ws.close_code == 4401, first
        assert refusal[0]["error"]["code"] == "sign_in_required"
    async with feed(live, "forged") as ws:
        refusal = await received(ws)
    assert ws.close_code == 4401 and refusal[0]["error"]["code"] == "session_ended"
    async with feed(live, token, "topics=store") as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert first["entity"] == "store"  # signed in: the backlog follows (a short one)


async def test_a_socket_that_says_nothing_or_too_late_is_closed(settings):
    """5 s to send the token: none at all, or one after them, closes the socket with 4401."""
    with (
        freeze_time("2026-11-21 12:00:00", tick=True) as frozen,
        # asyncio's loop, whose clock freezegun moves (uvloop's is libuv's own)
        serve(create_app(settings), loop="asyncio") as url,
    ):
        async with httpx.AsyncClient(base_url=url) as http:
            token = (await sign_in(http, "waiter"))["Authorization"].split()[1]
        async with feed(url, None) as silent:
            advance(frozen, timedelta(seconds=6))
            await silent.ping()  # wakes the server's loop; the deadline has passed
            refusal = await received(silent)
        assert silent.close_code == 4401
        assert refusal[0]["error"]["code"] == "sign_in_required"
        async with feed(url, None) as late:
            advance(frozen, timedelta(seconds=6))
            await late.send(json.dumps({"type": "auth", "token": token}))
            refusal = await received(late)
        assert late.close_code == 4401
        assert refusal[0]["error"]["code"] == "sign_in_required"


async def test_a_token_in_the_url_is_refused(client, waiter):
    token = waiter["Authorization"].split()[1]
    for headers in ({}, waiter):
        refused = await client.get(f"/api/me?token={token}", headers=headers)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "token_in_url"
    assert (
        await client.get(f"/api/events?since=0&token={token}", headers=waiter)
    ).status_code == 400
    assert (await client.get("/api/me", headers=waiter)).status_code == 200


RECEIPT_TOKEN = "rcpt-" + "a1b2c3" * 7
TABLE_TOKEN = "tbl-" + "d4e5f6" * 7


async def test_no_token_or_credential_reaches_the_servers_log(settings):
    """Uvicorn's access log at INFO and our own loggers, captured whole, through a sign-in,
    a websocket, a poll, a URL with a token in it (refused) and a sign-out."""
    captured: list[str] = []

    class Keep(logging.Handler):
        """Every record but the test's own HTTP and websocket clients'."""

        def emit(self, record: logging.LogRecord) -> None:
            if not record.name.startswith(("httpx", "httpcore", "websockets.client")):
                captured.append(self.format(record))

    keep = Keep(logging.DEBUG)
    # Each logger that may not pass records up (uvicorn's own configuration stops its access
    # log there), at INFO, as `galley edge serve` runs.
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access", "edge")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(keep)
        logger.setLevel(logging.INFO)
    try:
        with serve(create_app(settings), log_level="info", log_config=None) as url:
            async with httpx.AsyncClient(base_url=url) as http:
                paired = await device_header(http, "Logged tablet")
                waiter = await sign_in(http, "waiter", device="Logged tablet")
                token = waiter["Authorization"].split()[1]
                async with feed(url, token, "topics=store&since=0") as ws:
                    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["entity"] == "store"
                assert (await http.get("/api/events?since=0", headers=waiter)).status_code == 200
                assert (await http.get(f"/api/me?token={token}")).status_code == 400
                # a digital receipt's and a table's token stand in their paths: a guest's link
                assert (await http.get(f"/api/receipts/{RECEIPT_TOKEN}")).status_code == 404
                assert (await http.get(f"/t/{TABLE_TOKEN}")).status_code == 307
                assert (
                    await http.delete("/api/sessions/current", headers=waiter)
                ).status_code == 200
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(keep)
            logger.setLevel(level)
    logged = "\n".join(dict.fromkeys(captured))
    assert '"GET /api/events?since=0 HTTP/1.1" 200' in logged  # the access log was on
    assert "/ws?topics=store&since=0" in logged
    assert '"GET /api/receipts/*** HTTP/1.1" 404' in logged
    for secret in (token, *paired.values(), RECEIPT_TOKEN, TABLE_TOKEN):
        assert secret not in logged


async def test_an_open_socket_closes_when_its_sign_in_expires(settings):
    """A sign-in lasts `session_hours`: its socket is closed with 4401 when it expires, idle or
    not, and no event made after reaches it."""
    with (
        freeze_time("2026-11-21 12:00:00", tick=True) as frozen,
        serve(create_app(settings), loop="asyncio") as url,
    ):
        async with httpx.AsyncClient(base_url=url) as http:
            token = (await sign_in(http, "waiter", device="Phone"))["Authorization"].split()[1]
            since = (await http.get("/healthz")).json()["last_seq"]
            cola = item(await menu(http), "Cola")["id"]
            order = {"kind": "counter", "lines": [{"item_id": cola}]}
            async with feed(url, token, f"topics=orders&since={since}") as ws:
                boss = await sign_in(http, "manager", device="Office")
                assert (await http.post("/api/orders", headers=boss, json=order)).status_code == 201
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["entity"] == "orders"
                advance(frozen, timedelta(hours=settings.session_hours, seconds=1))
                await ws.ping()  # wakes the server's loop: the sign-in's timer is due
                boss = await sign_in(http, "manager", device="Office")
                assert (await http.post("/api/orders", headers=boss, json=order)).status_code == 201
                after = await received(ws)
    assert ws.close_code == 4401
    assert after == [{"error": after[0]["error"] | {"reason": "expired"}}], after


def _pulled(entity_id: str, fields: dict) -> Change:
    """An owner's edit of a staff member on the hub, as the box pulls it."""
    return Change(
        cursor=1, id=uuid7(), hlc=str(Timestamp(now_ms(), 0, "hub")), at=now_iso(),
        entity="staff", entity_id=entity_id, op="update", fields=fields, rev=1,
        actor="owner@example.com", source="hub", seq=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"active": False}, "deactivated"),
        ({"role": "waiter"}, "role_changed"),
        ({"pin_hash": hashing.hash_secret("8642")}, "pin_changed"),
    ],
)
async def test_an_owners_change_on_the_hub_ends_the_sign_in_as_a_managers_here(
    settings, fields, reason
):
    """A manager deactivated, made a waiter or given a new PIN by the owner on the hub: once
    the box pulls it, their sign-in ends as it does when a manager does it at the store, their
    open socket (on the staff topic, a manager's only) closed at once with why."""
    app = create_app(settings)
    with serve(app) as live:
        box = app.state.box
        async with httpx.AsyncClient(base_url=live) as http:
            manager = await sign_in(http, "manager", device="Office")
            token = manager["Authorization"].split()[1]
            whose = await staff_id(http, "manager")
            since = (await http.get("/healthz")).json()["last_seq"]
            async with feed(live, token, f"topics=staff&since={since}") as ws:
                change = _pulled(whose, fields)
                pull = box.write(hub_changes.apply, [change], change.cursor)
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(pull, box.bus.loop))
                after = await received(ws)
            assert ws.close_code == 4401
            assert after[-1]["error"]["reason"] == reason
            refused = await http.get("/api/me", headers=manager)
            assert refused.status_code == 401
            assert refused.json()["error"]["reason"] == reason


async def test_a_socket_signed_in_while_someone_is_renamed_still_ends_when_it_expires(settings):
    """A socket's sign-in is read once, off the loop; a staff or device change published in
    the meantime (any sign-in anywhere records its device's) kept it out of the cache, and the
    socket then followed with no expiry timer: open, and fed, for as long as the screen stayed
    on. Its expiry is set from that very read."""
    app = create_app(settings)
    with (
        freeze_time("2026-11-21 12:00:00", tick=True) as frozen,
        serve(app, loop="asyncio") as url,
    ):
        box = app.state.box

        def on_the_box(coroutine):  # run on the server's loop, from this test's
            return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, box.bus.loop))

        async def until(done) -> None:  # on the server's loop: no time passes
            while not done():
                await asyncio.sleep(0)

        async with httpx.AsyncClient(base_url=url) as http:
            token = (await sign_in(http, "waiter", device="Phone"))["Authorization"].split()[1]
            cook = await staff_id(http, "kitchen")
        limiter = await on_the_box(current_limiter())
        taken = [object() for _ in range(int(limiter.available_tokens))]
        seen = box.bus.last_seq

        async def threads(take: bool) -> None:  # the box's worker threads, all taken or not
            for holder in taken:
                if take:
                    await limiter.acquire_on_behalf_of(holder)
                else:
                    limiter.release_on_behalf_of(holder)

        await on_the_box(threads(take=True))
        async with feed(url, token, "topics=store&since=0") as ws:
            # the socket's read of its sign-in waits for a thread; meanwhile a cook is renamed
            await on_the_box(until(lambda: limiter.statistics().tasks_waiting))
            await on_the_box(box.write(staff.update, SYSTEM, cook, {"name": "Kim O."}))
            await on_the_box(until(lambda: box.bus.last_seq > seen))
            await on_the_box(threads(take=False))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["entity"] == "store"
            advance(frozen, timedelta(hours=settings.session_hours, seconds=1))
            await ws.ping()  # wakes the server's loop: the sign-in's timer is due
            after = await received(ws)
    assert ws.close_code == 4401
    assert after[-1]["error"]["reason"] == "expired"


async def current_limiter() -> anyio.CapacityLimiter:
    return anyio.to_thread.current_default_thread_limiter()
