"""Retries never double an order: a POST with an `Idempotency-Key` is done once per device and
key; a retry gets the first answer, byte for byte, and writes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import httpx
import pytest
from starlette.routing import Match, Route

from edge.api.app import create_app
from edge.api.idempotency import HEADER, KEY_SCHEMA, REPLAYED
from edge.core import db
from edge.core.idempotency import KEY, Claim, Seen, find, recorded
from edge.core.permissions import SYSTEM
from edge.domain import orders
from edge.runtime.writer import Writer
from service.errors import StorageError
from tests.conftest import count, sign_in, staff_id
from tests.edge.menu_helpers import item, menu
from tests.edge.test_contract import assert_error_shape, call_every_route
from tests.edge.test_order_views import Planned
from tests.live import serve
from tests.proxy import Fault, FaultProxy

# POSTs that create or send nothing a retry could double, and why they take no key.
NOT_IDEMPOTENT = {
    "sign_in": "no device before a sign-in, and its answer holds a bearer token, never stored",
    "discover_network": "a scan of the network: it writes nothing",
    "pair_device": "no device before it pairs, and its answer holds the device's credential",
    "make_pairing_code": "its answer holds a one-time code the box keeps only hashed",
    "guest_scan": "no guest before a scan, and a phone that scans again holding its guest token"
    " stays the same guest",
    "pay_webhook": "the provider's: each delivery acts once by its event id, not a key",
}


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, HEADER: key or secrets.token_hex(16)}


async def espresso_order(client) -> dict:
    return {"kind": "counter", "lines": [{"item_id": item(await menu(client), "Espresso")["id"]}]}


def stored_keys(settings) -> list[tuple]:
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        rows = conn.execute("SELECT device, key, status, body FROM idempotency_keys").fetchall()
    return [tuple(row) for row in rows]


async def test_the_same_key_twice_makes_one_order_and_answers_the_same(client, waiter, settings):
    order = await espresso_order(client)
    headers = keyed(waiter)
    before = count(settings.database, "orders"), count(settings.database, "events")
    first = await client.post("/api/orders", headers=headers, json=order)
    assert first.status_code == 201 and REPLAYED.lower() not in first.headers
    after = count(settings.database, "orders"), count(settings.database, "events")
    assert after == (before[0] + 1, before[1] + 1)
    again = await client.post("/api/orders", headers=headers, json=order)
    assert again.status_code == 201 and again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert (count(settings.database, "orders"), count(settings.database, "events")) == after
    [(device, _, status, body)] = stored_keys(settings)
    me = (await client.get("/api/me", headers=waiter)).json()
    assert (device, status, body.encode()) == (me["device_id"], 201, first.content)


async def test_the_same_key_on_another_request_is_refused(client, waiter, settings):
    order = await espresso_order(client)
    headers = keyed(waiter)
    made = await client.post("/api/orders", headers=headers, json=order)
    assert made.status_code == 201
    before = count(settings.database, "events")
    other_body = await client.post("/api/orders", headers=headers, json={**order, "covers": 2})
    other_path = await client.post(
        f"/api/orders/{made.json()['id']}/lines", headers=headers, json={"lines": order["lines"]}
    )
    for refused in (other_body, other_path):
        assert_error_shape(refused)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert count(settings.database, "events") == before


async def test_another_key_makes_another_order(client, waiter, settings):
    order = await espresso_order(client)
    before = count(settings.database, "orders")
    one = await client.post("/api/orders", headers=keyed(waiter), json=order)
    two = await client.post("/api/orders", headers=keyed(waiter), json=order)
    assert one.json()["id"] != two.json()["id"]
    assert count(settings.database, "orders") == before + 2


async def test_a_key_survives_a_restart(settings):
    @contextlib.asynccontextmanager
    async def started():
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://edge") as http,
        ):
            yield http

    async with started() as http:
        headers = keyed(await sign_in(http, "waiter"))
        order = await espresso_order(http)
        first = await http.post("/api/orders", headers=headers, json=order)
    before = count(settings.database, "orders")
    async with started() as http:  # a new app on the same database: the box restarted
        again = await http.post("/api/orders", headers=headers, json=order)
    assert again.status_code == 201 and again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert count(settings.database, "orders") == before


async def test_a_refused_request_stores_no_key_and_its_retry_is_judged_again(
    client, waiter, manager, settings
):
    order = await espresso_order(client)
    espresso = order["lines"][0]["item_id"]
    sold_out = {"available": False}
    await client.put(f"/api/menu/items/{espresso}/availability", headers=manager, json=sold_out)
    headers = keyed(waiter)
    refused = await client.post("/api/orders", headers=headers, json=order)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "item_unavailable"
    assert stored_keys(settings) == []
    back = {"available": True}
    await client.put(f"/api/menu/items/{espresso}/availability", headers=manager, json=back)
    made = await client.post("/api/orders", headers=headers, json=order)
    assert made.status_code == 201 and REPLAYED.lower() not in made.headers


async def test_keys_of_two_devices_do_not_collide(client, settings):
    order = await espresso_order(client)
    key = "same-key-on-two-tills"
    till_one = keyed(await sign_in(client, "waiter", device="POS 1"), key)
    till_two = keyed(await sign_in(client, "cashier", device="POS 2"), key)
    one = await client.post("/api/orders", headers=till_one, json=order)
    two = await client.post("/api/orders", headers=till_two, json={**order, "note": "to go"})
    assert one.status_code == two.status_code == 201
    assert REPLAYED.lower() not in two.headers and one.json()["id"] != two.json()["id"]
    devices = [
        (await client.get("/api/me", headers=till)).json()["device_id"]
        for till in (till_one, till_two)
    ]
    assert sorted(row[0] for row in stored_keys(settings)) == sorted(devices)


async def test_a_retry_while_the_first_is_running_waits_for_its_answer(client, waiter, settings):
    order = await espresso_order(client)
    headers = keyed(waiter)
    before = count(settings.database, "orders")
    answers = await asyncio.gather(
        *(client.post("/api/orders", headers=headers, json=order) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert sum(REPLAYED.lower() in a.headers for a in answers) == 4
    assert count(settings.database, "orders") == before + 1


async def test_a_replayed_void_asks_for_no_pin_and_writes_nothing(client, settings):
    cashier = await sign_in(client, "cashier")
    order = await espresso_order(client)
    made = (await client.post("/api/orders", headers=cashier, json={**order, "send": True})).json()
    approval = {"staff_id": await staff_id(client, "manager"), "pin": "2222"}
    void = {"reason": "spilled", "approval": approval}
    headers = keyed(cashier)
    url = f"/api/order-lines/{made['lines'][0]['id']}/void"
    first = await client.post(url, headers=headers, json=void)
    assert first.status_code == 200, first.text
    before = count(settings.database, "events")
    again = await client.post(url, headers=headers, json=void)
    assert again.headers[REPLAYED] == "true" and again.content == first.content
    assert count(settings.database, "events") == before


@pytest.mark.parametrize(
    "key",
    [b"", b"x" * 201, b"tab\tin it", b"caf\xc3\xa9", b"\x7f"],
    ids=["empty", "too long", "control", "not ascii", "delete"],
)
async def test_a_bad_key_is_refused_before_anything_is_written(client, waiter, settings, key):
    before = count(settings.database, "events")
    response = await client.post(
        "/api/orders", headers={**waiter, HEADER: key}, json=await espresso_order(client)
    )
    assert_error_shape(response)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_idempotency_key"
    assert count(settings.database, "events") == before


@pytest.mark.parametrize("key", ["k", "x" * 200, "a key with spaces", "~!@#$%^&*()_+{}|:<>?"])
async def test_any_printable_key_up_to_200_characters_is_taken(client, waiter, key):
    assert KEY.fullmatch(key)
    response = await client.post(
        "/api/orders", headers=keyed(waiter, key), json=await espresso_order(client)
    )
    assert response.status_code == 201


def test_a_key_and_its_write_are_one_transaction(settings):
    """The order, its event and its key are written together or not at all: when the answer
    cannot be made, or the key cannot be stored, the order is rolled back too."""
    path = settings.database
    writer = Writer(path, "test-node")
    claim = Claim("POS 1", "k", "f" * 64)
    order = {"kind": "counter", "lines": []}
    before = count(path, "orders"), count(path, "events")

    def broken_view(result):
        raise RuntimeError("the answer could not be made")

    try:
        with pytest.raises(RuntimeError):
            writer.run_sync(recorded, Seen(), claim, 201, broken_view, orders.create, SYSTEM, order)
        nobody = Claim(None, "k", "f" * 64)  # device is NOT NULL: the key cannot be stored
        with pytest.raises(StorageError):
            writer.run_sync(recorded, Seen(), nobody, 201, dict, orders.create, SYSTEM, order)
        assert (count(path, "orders"), count(path, "events")) == before
        assert count(path, "idempotency_keys") == 0
        seen = Seen()
        writer.run_sync(recorded, seen, claim, 201, dict, orders.create, SYSTEM, order)
        assert count(path, "orders") == before[0] + 1 and count(path, "idempotency_keys") == 1
        assert claim in seen
    finally:
        writer.close()


def test_the_keys_in_memory_are_every_key_stored(settings):
    """A key `Seen` does not hold is fresh (its request runs without a look-up): so it holds
    every key in the table, those stored before a restart included, and forgets a key only a
    day after retention deletes it."""
    path = settings.database
    writer = Writer(path, "test-node")
    first, second = Claim("POS 1", "k", "f" * 64), Claim("POS 2", "k", "f" * 64)
    try:
        seen, order = Seen(), {"kind": "counter"}
        writer.run_sync(recorded, seen, first, 201, dict, orders.create, SYSTEM, order)
        assert first in seen and second not in seen
    finally:
        writer.close()
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        again = Seen.load(conn)  # the box restarted
    assert first in again and second not in again
    again._stored[hash(("POS 0", "old"))] = 0.0  # stored long ago: it goes as another comes
    again._stored.move_to_end(hash(("POS 0", "old")), last=False)
    again.add(second)
    assert second in again and first in again and Claim("POS 0", "old", "") not in again


async def test_a_fresh_key_is_not_looked_up_before_its_request(app, client, waiter, fast_path_only):
    """Only a key the box has stored is looked up, before the handler runs and in the write: a
    fresh one's request never reads the table."""
    order = await espresso_order(client)
    traced: list[str] = []
    box = app.state.box
    await box.write(lambda conn: conn.set_trace_callback(traced.append))
    box.read_now(lambda conn: conn.set_trace_callback(traced.append))  # the loop's reads
    try:
        headers = keyed(waiter)
        await client.post("/api/orders", headers=headers, json=order)
        looked_up = [sql for sql in traced if "FROM idempotency_keys" in sql]
        assert looked_up == []  # neither before the handler nor in `recorded`
        traced.clear()
        again = await client.post("/api/orders", headers=headers, json=order)
        assert again.headers[REPLAYED] == "true"
        assert len([sql for sql in traced if "FROM idempotency_keys" in sql]) == 1  # `find`
    finally:
        await box.write(lambda conn: conn.set_trace_callback(None))
        box.read_now(lambda conn: conn.set_trace_callback(None))


def test_a_key_is_found_by_its_index(settings):
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        planned = Planned(conn)
        assert find(planned, Claim("POS 1", "k", "f" * 64)) is None
    index = "sqlite_autoindex_idempotency_keys_1"
    assert planned.plans == [f"SEARCH idempotency_keys USING INDEX {index} (device=? AND key=?)"]


async def test_openapi_documents_the_key_on_every_idempotent_route(app, client):
    spec = (await client.get("/openapi.json")).json()
    for route in app.routes:
        terms = getattr(route.endpoint, "contract", None) if isinstance(route, Route) else None
        if terms is None or not terms.idempotent:
            continue
        for method in route.methods - {"HEAD"}:
            operation = spec["paths"][route.path_format][method.lower()]
            header = next(p for p in operation["parameters"] if p["name"] == HEADER)
            assert header["in"] == "header" and header["schema"] == KEY_SCHEMA
            assert {"400", "422"} <= operation["responses"].keys()
            success = operation["responses"][str(terms.status)]
            assert success["headers"][REPLAYED]["schema"]["const"] == "true"


def test_every_post_takes_a_key_but_those_that_make_nothing(quiet_settings):
    """Walks the route table: a POST added without `idempotent=True` fails here until it takes
    a key, or is listed in NOT_IDEMPOTENT with the reason it needs none."""
    app = create_app(quiet_settings)
    posts = {r.name: r for r in app.routes if isinstance(r, Route) and "POST" in r.methods}
    assert {"create_order", "add_lines", "send_order", "void_line", "open_drawer"} <= set(posts)
    assert set(NOT_IDEMPOTENT) <= set(posts)
    for name, route in posts.items():
        idempotent = route.endpoint.contract.idempotent
        assert idempotent != (name in NOT_IDEMPOTENT), f"POST {route.path}: idempotent={idempotent}"


async def test_every_idempotent_route_answers_a_retry_with_its_first_answer(
    quiet_settings, emulator, pay_sandbox
):
    """Every route called as in the contract test, each idempotent one twice with one key: the
    second answer is the first, byte for byte, marked replayed, and writes nothing."""
    app = create_app(quiet_settings)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            twice = Twice(http, app, quiet_settings.database)
            await call_every_route(twice, base, emulator.port, quiet_settings.database, pay_sandbox)
    idempotent = {
        route.name
        for route in app.routes
        if isinstance(route, Route) and route.endpoint.contract.idempotent
    }
    assert twice.replayed == idempotent


class Twice:
    """An httpx client that sends each call of an idempotent route twice with one fresh key,
    and checks that the second is the first answer again."""

    def __init__(self, http: httpx.AsyncClient, app, database) -> None:
        self.http = http
        self.app = app
        self.database = database
        self.replayed: set[str] = set()

    def __getattr__(self, name: str):
        return getattr(self.http, name)

    async def request(self, method: str, path: str, **options) -> httpx.Response:
        scope = {"type": "http", "method": method, "path": path.split("?")[0]}
        route = next((r for r in self.app.routes if r.matches(scope)[0] is Match.FULL), None)
        if not isinstance(route, Route) or not route.endpoint.contract.idempotent:
            return await self.http.request(method, path, **options)
        options["headers"] = keyed(options.get("headers") or {})
        first = await self.http.request(method, path, **options)
        events = count(self.database, "events")
        again = await self.http.request(method, path, **options)
        assert again.status_code == first.status_code, (path, again.text)
        assert again.content == first.content, path
        assert again.headers.get(REPLAYED) == "true", path
        assert count(self.database, "events") == events, path
        self.replayed.add(route.name)
        return first


async def test_an_order_whose_answer_is_cut_on_the_way_back_is_made_once(settings):
    """The issue's fault: a till posts an order through a link that fails after the box has
    committed it (the proxy cuts the connection once the answer has started). Without a key
    its retry makes a second order; with one, it gets the first answer and the box holds one."""
    with serve(create_app(settings)) as url, FaultProxy(url) as proxy:
        async with httpx.AsyncClient(base_url=url) as setup:
            headers = await sign_in(setup, "waiter", device="POS 1")
            order = await espresso_order(setup)
        # Each request on a connection of its own, so each takes the next fault injected.
        fresh = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=proxy.url, headers=headers, limits=fresh) as till:
            before = count(settings.database, "orders")
            proxy.inject(Fault(cut_answer_after=0))
            with pytest.raises(httpx.TransportError):
                await till.post("/api/orders", json=order)
            assert (await till.post("/api/orders", json=order)).status_code == 201
            assert count(settings.database, "orders") == before + 2  # the bug, without a key

            key = {HEADER: secrets.token_hex(16)}
            proxy.inject(Fault(cut_answer_after=0))
            with pytest.raises(httpx.TransportError):
                await till.post("/api/orders", json=order, headers=key)
            retry = await till.post("/api/orders", json=order, headers=key)
    cut = proxy.connections[-2]
    assert cut.cut and cut.answered > 0 and cut.forwarded == 0  # answered, never heard
    assert retry.status_code == 201 and retry.headers[REPLAYED] == "true"
    assert count(settings.database, "orders") == before + 3
    [stored] = [row for row in stored_keys(settings) if row[1] == key[HEADER]]
    assert stored[3].encode() == retry.content
