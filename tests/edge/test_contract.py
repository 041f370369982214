"""One JSON error shape everywhere, an OpenAPI entry for every route that says what it answers
(checked against real answers), every setting documented."""

import asyncio
import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.asyncio.client import connect

from edge.api.app import create_app
from edge.api.openapi import TAG_NOTES
from edge.core.config import EdgeSettings
from edge.domain import print_queue
from sync.clock import iso, utcnow
from tests.conftest import BOX, count, credential, device_header, open_conflict, pairing
from tests.edge.guest_helpers import ALWAYS, qr_token_in
from tests.edge.menu_helpers import item
from tests.live import feed, serve

README = Path(__file__).resolve().parents[2] / "README.md"
SOMEONE = "01900000-0000-7000-8000-000000000000"  # an id of nothing
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(text: object) -> bool:
    """RFC 3339, as OpenAPI means it (jsonschema checks it only with an extra package)."""
    if not isinstance(text, str):
        return True
    return _INSTANT.fullmatch(text) is not None and bool(datetime.fromisoformat(text))


def assert_error_shape(response):
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


def validator(spec, schema):
    """A validator of `schema`, a part of `spec` whose `$ref`s point into spec's components."""
    return Draft202012Validator(
        {**schema, "components": spec["components"]}, format_checker=FORMATS
    )


def operations(app):
    """(route, method, path as /openapi.json names it) of every HTTP route of the app."""
    return [
        (route, method, route.path_format)
        for route in app.routes
        if isinstance(route, Route)
        for method in sorted(route.methods - {"HEAD"})
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/nowhere", None),
        ("DELETE", "/api/menu", None),
        ("GET", "/api/me", None),
        ("POST", "/api/orders", b"{"),
        ("POST", "/api/orders", b"[]"),
        ("POST", "/api/orders", None),
        ("PATCH", "/api/store", None),
        ("POST", "/api/sessions", b'{"staff_id": 1}'),
        ("PATCH", "/api/store", b'{"name": ""}'),
        ("GET", "/api/orders/not-an-id", None),
        ("GET", "/api/events?since=-1", None),
        ("GET", "/api/orders?status=paid", None),
        ("GET", "/api/audit?entity=", None),
        ("POST", "/api/printers/discover/network", b'{"subnet": 5}'),
        ("PATCH", "/api/menu/items/01900000-0000-7000-8000-000000000000", b'{"price": 1}'),
        ("POST", "/api/menu/categories", b'{"name": "Late", "position": 9223372036854775808}'),
        ("POST", "/api/printers", b'{"name": "P", "role": "receipt", "transport": {"kind": {}}}'),
        ("GET", "/api/print-jobs?status=failed", None),
    ],
)
async def test_every_refusal_has_the_same_json_shape(client, manager, method, path, body):
    response = await client.request(
        method, path, content=body, headers=manager if path != "/api/me" else {}
    )
    assert_error_shape(response)


async def test_a_body_is_required_where_one_is_described(app, client, settings, manager):
    """No body at all is a 400 like a malformed one, on every route that takes a body, and
    writes nothing; an empty change (`{}`) is still a change of nothing."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    before = count(settings.database, "events")
    taking = [
        (method, path)
        for _, method, path in operations(app)
        if "requestBody" in paths[path][method.lower()]
    ]
    assert len(taking) > 30
    for method, path in taking:
        url = re.sub(r"\{\w+\}", SOMEONE, path)
        headers = {**manager, **await device_header(client)}
        response = await client.request(method, url, headers=headers)
        assert_error_shape(response)
        assert response.status_code == 400, (method, url, response.text)
        assert response.json()["error"]["code"] == "missing_body"
    assert count(settings.database, "events") == before
    assert (await client.patch("/api/store", headers=manager, json={})).status_code == 200


async def test_a_body_sent_as_another_type_than_json_is_a_415(app, client, settings, manager):
    """JSON sent as text or as a form was taken as JSON (a page of another site may post those
    without asking first); every route that takes a body says it takes JSON alone, and writes
    nothing. Without a Content-Type the body is read as JSON."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    before = count(settings.database, "events")
    headers = {**manager, **await device_header(client)}
    for _, method, path in operations(app):
        operation = paths[path][method.lower()]
        if "requestBody" not in operation:
            continue
        url = re.sub(r"\{\w+\}", SOMEONE, path)
        for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            response = await client.request(
                method, url, headers={**headers, "Content-Type": media}, content=b"{}"
            )
            assert_error_shape(response)
            assert response.status_code == 415, (method, url, media, response.text)
            assert response.json()["error"]["code"] == "unsupported_media_type"
        assert "415" in operation["responses"], (method, path)
    assert count(settings.database, "events") == before
    for media in ("application/json", "application/json; charset=utf-8", "Application/JSON", None):
        typed = {**manager, **({"Content-Type": media} if media else {})}
        response = await client.patch("/api/store", headers=typed, content=b"{}")
        assert response.status_code == 200, (media, response.text)


async def test_an_empty_or_loose_entity_list_is_refused_as_its_pattern_says(client, manager):
    spec = (await client.get("/openapi.json")).json()
    params = spec["paths"]["/api/audit"]["get"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in params if p["name"] == "entity")
    for query in ("", ",", "orders,", "orders, tables", " orders"):
        assert not re.fullmatch(pattern, query)
        response = await client.get("/api/audit", params={"entity": query}, headers=manager)
        assert_error_shape(response)
        assert response.json()["error"]["code"] == "bad_query", query
    ok = await client.get("/api/audit", params={"entity": "orders,tables"}, headers=manager)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/store", "GET, HEAD, PATCH"),  # one route per method on the path
        ("DELETE", "/api/orders", "GET, HEAD, POST"),
        ("GET", f"/api/order-lines/{SOMEONE}", "DELETE, PATCH"),
        ("POST", "/healthz", "GET, HEAD"),
        ("POST", "/admin/index.html", "GET, HEAD"),
    ],
)
async def test_a_method_not_allowed_says_which_are(client, method, path, allow):
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_openapi_describes_every_route(app, client):
    """Strict: every operation has a unique id, an area, typed path ids, and a schema for
    each answer; each refusal is the one Error schema."""
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    assert [tag["name"] for tag in spec["tags"]] == list(TAG_NOTES)
    ids = []
    for route, method, path in operations(app):
        operation = spec["paths"][path][method.lower()]
        where = f"{method} {path}"
        assert getattr(route.endpoint, "contract", None), f"{where} declares no contract"
        assert operation["summary"], f"{where} has no description"
        assert len(operation["tags"]) == 1 and operation["tags"][0] in TAG_NOTES, where
        ids.append(operation["operationId"])
        for param in operation["parameters"]:
            if param["in"] == "path" and param["name"].endswith("_id"):
                assert param["schema"]["format"] == "uuid", f"{where}: {{{param['name']}:id}}"
        for status, answer in operation["responses"].items():
            content = answer.get("content", {})
            if status in ("304", "307"):  # not modified, a redirect: no body
                assert not content, where
                continue
            assert content, f"{where} {status} says nothing of its answer"
            for media, described in content.items():
                assert described.get("schema"), f"{where} {status} {media} has no schema"
            if status >= "400" and path != "/healthz":  # a refusal, not a health answer
                schema = content["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (where, status)
    assert len(ids) == len(set(ids)), "operationIds are not unique"
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            live = spec["paths"][route.path_format]["get"]
            assert live["x-websocket"] is True and live["x-message"]
        elif isinstance(route, Mount):
            assert spec["paths"][route.path + "/{path}"]["get"]["operationId"]
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert {"field", "fields"} <= error["properties"].keys()


async def test_openapi_says_what_each_route_takes_and_answers(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    order = paths["/api/orders"]["post"]
    body = order["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["kind"] and body["additionalProperties"] is False
    line = body["properties"]["lines"]["items"]
    assert line["required"] == ["item_id"]
    assert line["properties"]["quantity"] == {"type": "integer", "minimum": 1, "maximum": 999}
    assert set(order["responses"]) == {"201", "400", "401", "403", "409", "415", "422", "503"}
    created = order["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/Order"}
    lines = spec["components"]["schemas"]["Order"]["properties"]["lines"]
    assert lines == {"type": "array", "items": {"$ref": "#/components/schemas/OrderLine"}}
    assert order["security"] == [{"staff": []}]
    assert paths["/api/sessions"]["post"]["security"] == [{"device": []}]
    assert paths["/api/staff/roster"]["get"]["security"] == [{"device": []}]
    assert "security" not in paths["/api/devices/pair"]["post"]
    assert spec["components"]["securitySchemes"]["device"]["name"] == "X-Galley-Device"
    assert "security" not in paths["/api/menu"]["get"]
    assert set(paths["/api/menu"]["get"]["responses"]) == {"200", "304"}
    get_order = paths["/api/orders/{order_id}"]["get"]
    assert get_order["operationId"] == "get_order" and get_order["tags"] == ["orders"]
    assert get_order["parameters"][0]["schema"]["format"] == "uuid"
    assert set(get_order["responses"]) == {"200", "400", "401", "403", "404"}  # 400: ?token=
    changes = [op for ops in paths.values() for method, op in ops.items() if method == "patch"]
    assert changes
    for change in changes:  # a change sends only what changes: nothing is required
        schema = change["requestBody"]["content"]["application/json"]["schema"]
        assert schema["properties"] and "required" not in schema, change["summary"]
    jobs = {p["name"]: p["schema"] for p in paths["/api/print-jobs"]["get"]["parameters"]}
    assert jobs["state"]["enum"] == list(print_queue.STATES)
    assert jobs["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}


async def test_every_route_that_needs_a_sign_in_says_so(app, client):
    """Called without a token or a device credential, a route answers 401 exactly when its
    description says it needs one: the description cannot drift from the handlers."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    for route, method, path in operations(app):
        url = path.format(**{name: SOMEONE for name in route.param_convertors})
        needs_sign_in = "security" in paths[path][method.lower()]
        response = await client.request(method, url, json=None if method == "GET" else {})
        assert (response.status_code == 401) == needs_sign_in, (method, url, response.text)


async def test_a_staff_sign_in_on_a_guests_route_is_a_refusal_it_describes(app, client, manager):
    """A guest's route called with a staff member's token is a 403 (`guests_only`): each says
    so, as a fuzzer signed in as staff reads it (it found them answering an undocumented 403)."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    for route, method, path in operations(app):
        operation = paths[path][method.lower()]
        if operation.get("security") != [{"guest": []}]:
            continue
        url = path.format(**{name: SOMEONE for name in route.param_convertors})
        response = await client.request(method, url, headers=manager, json={})
        assert response.status_code == 403, (method, url, response.text)
        assert "403" in operation["responses"], (method, path)


async def test_every_answer_matches_its_description(quiet_settings, emulator, pay_sandbox):
    """A real call of every route on the demo store, over real HTTP, signed in as the owner:
    each answers its documented success status with a body its documented schema accepts."""
    app = create_app(quiet_settings)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            answers, message = await call_every_route(
                http, base, emulator.port, quiet_settings.database, pay_sandbox
            )
            spec = (await http.get("/openapi.json")).json()
    every = {f"{r.name}_file" if isinstance(r, Mount) else r.name for r in app.routes}
    assert every == answers.keys(), "call_every_route calls each route once: add the new ones"
    for route, method, path in operations(app):
        operation = spec["paths"][path][method.lower()]
        response = answers[route.name]
        success = next(s for s in operation["responses"] if s.startswith(("2", "3")))
        assert str(response.status_code) == success, (method, path, response.text)
        content = operation["responses"][success].get("content", {})
        media = response.headers.get("content-type", "").split(";")[0]
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            errors = list(validator(spec, schema).iter_errors(response.json()))
            assert not errors, (method, path, [e.message for e in errors[:3]])
        elif media == "image/svg+xml":  # parsed and scanned by the QR tests
            assert b"<svg" in response.content
        elif media == "image/png":
            assert response.content.startswith(b"\x89PNG")
    live = spec["paths"]["/ws"]["get"]
    errors = list(validator(spec, live["x-message"]).iter_errors(message))
    assert not errors, [e.message for e in errors[:3]]


async def call_every_route(http, base, printer_port, database, sandbox):
    """Each route called once, in an order that gives each something to work on: {route name:
    response}, and the first message of the websocket."""
    answers = {}

    async def call(name, method, path, body=None, **options):
        headers = options.pop("headers", owner)
        response = await http.request(method, path, json=body, headers=headers, **options)
        assert response.status_code < 400, (name, response.text)
        answers[name] = response
        json_answer = response.headers.get("content-type") == "application/json"
        return response.json() if json_answer else None

    owner: dict[str, str] = {}
    await call("healthz", "GET", "/healthz")
    await call("openapi", "GET", "/openapi.json")
    await call("home", "GET", "/")
    await call("admin_file", "GET", "/admin/")
    await call("kds_file", "GET", "/kds/")
    await call("waiter_file", "GET", "/waiter/")
    await call("pos_file", "GET", "/pos/")
    await call("ui_file", "GET", "/ui/lib/api.js")
    await call("pair_device", "POST", "/api/devices/pair", pairing("Contract till"))
    tablet = credential(answers["pair_device"])
    roster = await call("roster", "GET", "/api/staff/roster", headers=tablet)
    boss = next(member for member in roster if member["role"] == "owner")
    session = await call(
        "sign_in",
        "POST",
        "/api/sessions",
        {"staff_id": boss["id"], "pin": "1111"},
        headers=tablet,
    )
    owner["Authorization"] = f"Bearer {session['token']}"
    await call("me", "GET", "/api/me")
    await call("get_store", "GET", "/api/store")
    await call("store_choices", "GET", "/api/store/choices")
    await call("update_store", "PATCH", "/api/store", {"name": "Harbour Kitchen"})

    public = await call("public_menu", "GET", "/api/menu", headers={})
    prawns = item(public, "Garlic prawns")["id"]
    rate = (
        await call("create_tax_rate", "POST", "/api/menu/tax-rates", {"name": "Zero", "rate_bp": 0})
    )["id"]
    await call("update_tax_rate", "PATCH", f"/api/menu/tax-rates/{rate}", {"rate_bp": 600})
    category = (
        await call("create_category", "POST", "/api/menu/categories", {"name": "Specials"})
    )["id"]
    await call("update_category", "PATCH", f"/api/menu/categories/{category}", {"name": "Today"})
    sauce = {
        "name": "Sauce",
        "min_choices": 0,
        "max_choices": 1,
        "modifiers": [{"name": "Aioli", "price_delta": 50}],
    }
    group = (await call("create_group", "POST", "/api/menu/modifier-groups", sauce))["id"]
    await call("update_group", "PATCH", f"/api/menu/modifier-groups/{group}", {"max_choices": 2})
    ketchup = (
        await call(
            "create_modifier",
            "POST",
            f"/api/menu/modifier-groups/{group}/modifiers",
            {"name": "Ketchup"},
        )
    )["id"]
    await call("update_modifier", "PATCH", f"/api/menu/modifiers/{ketchup}", {"available": False})
    fish = {
        "category_id": category,
        "name": "Fish of the day",
        "price": 1800,
        "tax_rate_id": rate,
        "modifier_group_ids": [group],
    }
    dish = (await call("create_item", "POST", "/api/menu/items", fish))["id"]
    await call("update_item", "PATCH", f"/api/menu/items/{dish}", {"price": 1850})
    await call(
        "set_availability", "PUT", f"/api/menu/items/{dish}/availability", {"available": True}
    )
    everything = await call("full_menu", "GET", "/api/menu/all")
    groups = everything["modifier_groups"]
    aioli = next(g for g in groups if g["id"] == group)["modifiers"][0]["id"]
    await call(
        "arrange_items", "PUT", f"/api/menu/categories/{category}/items/order", {"ids": [dish]}
    )
    await call(
        "arrange_categories",
        "PUT",
        "/api/menu/categories/order",
        {"ids": [c["id"] for c in everything["categories"]][::-1]},
    )
    await call(
        "arrange_modifiers",
        "PUT",
        f"/api/menu/modifier-groups/{group}/modifiers/order",
        {"ids": [ketchup, aioli]},
    )
    await call(
        "arrange_groups",
        "PUT",
        "/api/menu/modifier-groups/order",
        {"ids": [g["id"] for g in groups][::-1]},
    )

    floor = await call("floor", "GET", "/api/tables")
    area = (await call("create_area", "POST", "/api/areas", {"name": "Bar"}))["id"]
    await call("update_area", "PATCH", f"/api/areas/{area}", {"name": "Bar counter"})
    table = (
        await call(
            "create_table", "POST", "/api/tables", {"area_id": area, "name": "B1", "seats": 2}
        )
    )["id"]
    await call("update_table", "PATCH", f"/api/tables/{table}", {"seats": 3})
    await call("arrange_tables", "PUT", f"/api/areas/{area}/tables/order", {"ids": [table]})
    await call(
        "arrange_areas", "PUT", "/api/areas/order", {"ids": [area, *(a["id"] for a in floor)]}
    )
    await call("table_qr", "GET", f"/api/tables/{table}/qr.svg")
    await call("qr_sheet", "GET", "/api/tables/qr-sheet.svg")
    await call("rotate_qr", "POST", f"/api/tables/{table}/rotate-qr")
    await call("rotate_all_qr", "POST", "/api/tables/rotate-qr")

    fish_line = {"item_id": dish, "modifier_ids": [aioli], "note": "no salt"}
    lines = [{"item_id": prawns, "seat": 1}, fish_line]
    order = await call(
        "create_order",
        "POST",
        "/api/orders",
        {"kind": "table", "table_id": table, "covers": 2, "lines": lines},
    )
    first, second = (line["id"] for line in order["lines"])
    await call("list_orders", "GET", "/api/orders")
    await call("get_order", "GET", f"/api/orders/{order['id']}")
    doomed = await call("create_order", "POST", "/api/orders", {"kind": "counter", "lines": lines})
    await call("cancel_order", "POST", f"/api/orders/{doomed['id']}/cancel", {"reason": "left"})
    await call("order_events", "GET", f"/api/orders/{order['id']}/events")
    more = await call(
        "add_lines", "POST", f"/api/orders/{order['id']}/lines", {"lines": [{"item_id": prawns}]}
    )
    await call("update_line", "PATCH", f"/api/order-lines/{first}", {"quantity": 2})
    await call("remove_line", "DELETE", f"/api/order-lines/{more['lines'][-1]['id']}")
    await call("send_order", "POST", f"/api/orders/{order['id']}/send")
    await call("void_line", "POST", f"/api/order-lines/{second}/void", {"reason": "dropped it"})
    bill = await call("print_bill", "POST", f"/api/orders/{order['id']}/print-bill")

    # The kitchen: the prawns fired when the order was sent (the fish, held, was voided).
    await call("get_kitchen", "GET", "/api/kitchen")
    await call("update_kitchen_settings", "PATCH", "/api/kitchen/settings", {"warn_minutes": 9})
    grill = {"code": "GRILL", "name": "Grill"}
    station = (await call("create_station", "POST", "/api/stations", grill))["id"]
    await call("update_station", "PATCH", f"/api/stations/{station}", {"name": "Charcoal"})
    ticket = (await call("kitchen_board", "GET", "/api/tickets?station=KITCHEN"))["tickets"][0]
    await call("get_ticket", "GET", f"/api/tickets/{ticket['id']}")
    await call("rush_ticket", "PATCH", f"/api/tickets/{ticket['id']}", {"rush": True})
    to_grill = {"station": "GRILL"}
    moved = await call(
        "move_item", "POST", f"/api/ticket-items/{ticket['items'][0]['id']}/move", to_grill
    )
    started = {"state": "IN_PROGRESS"}
    item_path = f"/api/ticket-items/{moved['items'][0]['id']}/state"
    await call("set_item_state", "POST", item_path, started)
    ready = {"state": "READY"}
    await call("set_ticket_state", "POST", f"/api/tickets/{moved['id']}/state", ready)
    await call("order_kitchen", "GET", f"/api/orders/{order['id']}/kitchen")
    await call("expo", "GET", "/api/kitchen/expo")
    await call("serve_order", "POST", f"/api/orders/{order['id']}/served")
    await call("prep_time_report", "GET", "/api/kitchen/prep-times")
    await call("recall_ticket", "POST", f"/api/tickets/{moved['id']}/recall")
    await call("add_lines", "POST", f"/api/orders/{order['id']}/lines", {"lines": [fish_line]})
    await call("send_order", "POST", f"/api/orders/{order['id']}/send")  # the fish is held
    await call("fire_course", "POST", f"/api/orders/{order['id']}/fire", {"course": "MAINS"})

    await call("list_printers", "GET", "/api/printers")
    bar = {
        "name": "Bar printer",
        "role": "kitchen",
        "stations": ["BAR"],
        "transport": {"kind": "network", "host": "127.0.0.1", "port": printer_port},
    }
    printer = (await call("create_printer", "POST", "/api/printers", bar))["id"]
    await call("update_printer", "PATCH", f"/api/printers/{printer}", {"profile": "generic-58mm"})
    await call("print_test_page", "POST", f"/api/printers/{printer}/test")
    await call(
        "print_cards", "POST", f"/api/printers/{printer}/table-cards", {"table_ids": [table]}
    )
    await call("list_jobs", "GET", "/api/print-jobs")
    await call("preview_job", "GET", f"/api/print-jobs/{bill['id']}/preview.png")
    await call("retry_print_job", "POST", f"/api/print-jobs/{bill['id']}/retry")
    await call("reprint_print_job", "POST", f"/api/print-jobs/{bill['id']}/reprint")
    await call("sync_status", "GET", "/api/sync")
    await call(
        "set_box_time", "POST", "/api/sync/clock", {"time": iso(utcnow() + timedelta(seconds=1))}
    )
    kept, seen = [await asyncio.to_thread(open_conflict, BOX["database"], dish) for _ in "ab"]
    await call("list_conflicts", "GET", "/api/sync/conflicts?state=all")
    await call("reapply_conflict", "POST", f"/api/sync/conflicts/{kept}/reapply")
    await call("dismiss_conflict", "POST", f"/api/sync/conflicts/{seen}/dismiss")
    await call("list_rejections", "GET", "/api/sync/rejections")
    await call("discover_usb", "GET", "/api/printers/discover/usb")
    found = await call(
        "discover_network",
        "POST",
        "/api/printers/discover/network",
        {"subnet": "127.0.0.1/32", "port": printer_port},
    )
    assert [p["transport"]["port"] for p in found] == [printer_port]

    await call("list_staff", "GET", "/api/staff")
    nina = (
        await call(
            "create_staff",
            "POST",
            "/api/staff",
            {"name": "Nina Rocha", "role": "waiter", "pin": "8888"},
        )
    )["id"]
    await call("update_staff", "PATCH", f"/api/staff/{nina}", {"role": "cashier"})
    await call("unlock_staff", "POST", f"/api/staff/{nina}/unlock")

    code = await call("make_pairing_code", "POST", "/api/devices/pairing-codes", {"name": "Bar"})
    bar = (await http.post("/api/devices/pair", json={"code": code["code"]})).json()["device"]
    await call("list_devices", "GET", "/api/devices")
    await call("rename_device", "PATCH", f"/api/devices/{bar['id']}", {"name": "Bar tablet"})
    await call("revoke_device", "POST", f"/api/devices/{bar['id']}/revoke")

    await guest_and_waiter_routes(http, base, call, owner, prawns)
    answers["guest_live"] = httpx.Response(200)  # its first message came
    await pos_calls(call, prawns, database, sandbox)

    await call("poll", "GET", "/api/events?since=0&limit=50")
    await call("audit", "GET", "/api/audit?limit=50")
    since = (await http.get("/healthz")).json()["last_seq"] - 1  # a backlog of one event
    async with connect(base.replace("http", "ws") + f"/ws?since={since}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": session["token"]}))
        message = json.loads(await ws.recv())
    answers["live"] = httpx.Response(200)  # the websocket answered: its message is checked
    await call("sign_out", "DELETE", "/api/sessions/current")
    return answers, message


async def guest_and_waiter_routes(http, base, call, owner, prawns) -> None:
    """The table guests' routes (with a guest token) and the waiter's, each once."""
    await http.patch("/api/store", headers=owner, json={"opening_hours": ALWAYS})
    qr = qr_token_in(BOX["database"], "B1")
    await call("guest_page", "GET", f"/t/{qr}", headers={}, follow_redirects=False)
    assert answers_of_scan(await http.post("/api/guest/scan", json={"token": qr})) == 201
    scanned = await call("guest_scan", "POST", "/api/guest/scan", {"token": qr}, headers={})
    guest = {"X-Galley-Guest": scanned["guest_token"]}
    await call("guest_view", "GET", "/api/guest/table", headers=guest)
    await call("guest_join", "POST", "/api/guest/join", {"nickname": "Ana"}, headers=guest)
    cart = await call("add_to_cart", "POST", "/api/guest/cart", {"item_id": prawns}, headers=guest)
    line = cart["drafts"][-1]["lines"][0]["id"]
    await call(
        "change_cart_line", "PATCH", f"/api/guest/cart/{line}", {"quantity": 2}, headers=guest
    )
    more = await call(
        "add_to_cart", "POST", "/api/guest/cart", {"item_id": prawns, "note": "x"}, headers=guest
    )
    extra = more["drafts"][-1]["lines"][-1]["id"]
    await call("remove_cart_line", "DELETE", f"/api/guest/cart/{extra}", headers=guest)
    await http.patch("/api/store", headers=owner, json={"daily_pass": True})
    word = (await http.get("/api/floor", headers=owner)).json()["daily_pass"]
    await call("guest_pass", "POST", "/api/guest/pass", {"word": word}, headers=guest)
    sent = await call("guest_send", "POST", "/api/guest/send", headers=guest)
    draft = sent["drafts"][-1]["id"]
    await call("guest_call_waiter", "POST", "/api/guest/call-waiter", headers=guest)
    await call("guest_ask_for_bill", "POST", "/api/guest/ask-bill", headers=guest)
    await call("guest_events", "GET", "/api/guest/events?since=0", headers=guest)
    async with feed(base, scanned["guest_token"], "since=0", "/api/guest/ws") as ws:
        json.loads(await ws.recv())
    answers_live = await call("tables_grid", "GET", "/api/floor")
    assert answers_live["tables"]
    await call("drafts_inbox", "GET", "/api/drafts")
    await call("get_draft", "GET", f"/api/drafts/{draft}")
    await call("lock_draft", "POST", f"/api/drafts/{draft}/lock")
    added = await call("add_draft_line", "POST", f"/api/drafts/{draft}/lines", {"item_id": prawns})
    waiter_line = added["lines"][-1]["id"]
    await call("change_draft_line", "PATCH", f"/api/draft-lines/{waiter_line}", {"quantity": 3})
    await call("remove_draft_line", "DELETE", f"/api/draft-lines/{waiter_line}")
    await call("confirm_draft", "POST", f"/api/drafts/{draft}/confirm")
    await call("guest_view", "GET", "/api/guest/table", headers=guest)  # with its order
    await http.post("/api/guest/cart", headers=guest, json={"item_id": prawns})
    second = (await http.post("/api/guest/send", headers=guest)).json()["drafts"][-1]["id"]
    await call("reject_draft", "POST", f"/api/drafts/{second}/reject", {"reason": "sold out"})
    session = sent["session_id"]
    await call("acknowledge_alerts", "POST", f"/api/table-sessions/{session}/acknowledge")
    await call("close_table_session", "POST", f"/api/table-sessions/{session}/close")
    await call("restore_table_session", "POST", f"/api/table-sessions/{session}/restore")
    table = qr.split(".")[0]
    await call("table_qr_ordering", "PUT", f"/api/floor/tables/{table}/ordering", {"enabled": True})


def answers_of_scan(response: httpx.Response) -> int:
    assert "guest_token" in response.json(), response.text
    return response.status_code


async def pos_calls(call, prawns, database, sandbox):
    """Each POS route once: the rules and a promo code, checks split, merged and moved, a
    discount, a shift, tenders, a refund, a drawer move, the close and the reports."""
    await call("pos_settings", "GET", "/api/pos/settings")
    await call("update_pos_settings", "PATCH", "/api/pos/settings", {"service_bp": 0})
    promo = {"code": "WELCOME", "kind": "percent", "value": 1000, "max_discount": 500}
    promo_id = (await call("create_promo", "POST", "/api/promo-codes", promo))["id"]
    await call("update_promo", "PATCH", f"/api/promo-codes/{promo_id}", {"stackable": True})
    await call("list_promo_codes", "GET", "/api/promo-codes")

    async def check() -> dict:
        lines = [{"item_id": prawns, "seat": 1}, {"item_id": prawns, "seat": 2}]
        order = await call(
            "create_order", "POST", "/api/orders", {"kind": "counter", "lines": lines}
        )
        return await call("open_check", "POST", "/api/checks", {"order_id": order["id"]})

    first, second, third = await check(), await check(), await check()
    await call("get_check", "GET", f"/api/checks/{first['id']}")
    await call("update_check", "PATCH", f"/api/checks/{first['id']}", {"service_bp": 1000})
    await call(
        "merge_check", "POST", f"/api/checks/{first['id']}/merge", {"check_id": second["id"]}
    )
    line = first["lines"][0]["line_id"]
    move = {"line_ids": [line], "to_check_id": third["id"]}
    await call("move_check", "POST", f"/api/checks/{first['id']}/move", move)
    with_promo = await call(
        "add_discount", "POST", f"/api/checks/{third['id']}/discounts", {"promo_code": "welcome"}
    )
    await call(
        "remove_discount", "DELETE", f"/api/check-discounts/{with_promo['discounts'][0]['id']}"
    )
    await call("list_checks", "GET", "/api/checks")
    parts = (await call("split_check", "POST", f"/api/checks/{first['id']}/split", {"by": "seat"}))[
        "parts"
    ]
    await call("open_shift", "POST", "/api/shifts", {"float": 10_000})
    await call("current_shift", "GET", "/api/shifts/current")
    taken = await call(
        "take_payment",
        "POST",
        f"/api/checks/{parts[0]['id']}/payments",
        {"method": "cash", "given": 50_00},
    )
    conn = sqlite3.connect(database)
    (token,) = conn.execute(
        "SELECT receipt_token FROM checks WHERE id = ?", (parts[0]["id"],)
    ).fetchone()
    conn.close()
    await call("digital_receipt", "GET", f"/api/receipts/{token}", headers={})
    refund = {"amount": 100, "reason": "cold soup"}
    refunded = await call(
        "refund_payment", "POST", f"/api/payments/{taken['payment']['id']}/refund", refund
    )
    await call("print_refund_slip", "POST", f"/api/refunds/{refunded['refund']['id']}/print-slip")
    pay_in = {"kind": "pay_in", "amount": 2000, "reason": "change from the bank"}
    await call("drawer_move", "POST", "/api/shifts/current/moves", pay_in)
    await call("open_drawer", "POST", "/api/drawer/open", {"reason": "change for the float"})
    await call("close_shift", "POST", "/api/shifts/current/close", {"counted": {"5000": 2}})
    link = await call("create_pay_link", "POST", f"/api/checks/{third['id']}/pay-link")
    await call("pay_link", "GET", f"/api/pay-links/{link['id']}")
    await call("pay_link_qr", "GET", f"/api/pay-links/{link['id']}/qr.svg")
    intent = {**sandbox.intents[link["provider_ref"]], "status": "succeeded"}
    event = sandbox.event(intent)
    await call(
        "pay_webhook", "POST", "/api/pay/webhook", content=event, headers=sandbox.headers(event)
    )
    report = await call("make_report", "POST", "/api/reports", {"kind": "x"})
    await call("list_reports", "GET", "/api/reports")
    await call("reprint_report", "POST", f"/api/reports/{report['id']}/print")


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    for env, help_text, _ in EdgeSettings.documented():
        assert f"`{env}`" in text, f"{env} is not in the README"
        assert help_text
    assert len(EdgeSettings.documented()) == len(EdgeSettings.__dataclass_fields__)


def test_settings_come_from_the_environment_and_flags():
    settings = EdgeSettings.load({"GALLEY_EDGE_PORT": "9000", "GALLEY_DATA_DIR": "/tmp/x"})
    assert settings.port == 9000 and settings.database == Path("/tmp/x/edge.db")
    assert EdgeSettings.load({"GALLEY_EDGE_PORT": "9000"}, port="9100").port == 9100


async def test_pages_are_served_and_revalidated(client):
    home = await client.get("/")
    assert home.status_code == 307 and home.headers["location"] == "/admin/"
    page = await client.get("/admin/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert page.headers["cache-control"] == "no-cache"
    module = await client.get("/ui/lib/api.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]


async def test_a_manager_action_with_an_unknown_field_is_refused_and_writes_nothing(
    client, settings, manager
):
    before = count(settings.database, "events")
    response = await client.post(
        "/api/drawer/open", headers=manager, json={"reason": "float", "amount": 5000}
    )
    assert_error_shape(response)
    assert response.json()["error"]["code"] == "unknown_field"
    assert count(settings.database, "events") == before
