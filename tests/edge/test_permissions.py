"""Who may do and see what: the README's tables of every route and every topic by role, held to
what the box does by calling each route and following each topic as each role (and as a guest,
on a paired device and on an unpaired one) on the demo store, over real HTTP and a real
websocket; then each defect the tables found, on its own."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from edge.api.app import create_app
from edge.core.events import ENTITIES, GUARDED_FIELDS
from edge.domain import print_queue, printer_status
from edge.runtime.realtime import TOPICS
from sync.clock import iso, utcnow
from tests.conftest import BOX, PINS, device_header, open_conflict, pairing, sign_in, signed_in
from tests.edge.guest_helpers import ALWAYS, qr_token_in
from tests.edge.menu_helpers import item, menu
from tests.live import feed, serve

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ("owner", "manager", "cashier", "waiter", "kitchen")
PAIRED, UNPAIRED = "guest (paired device)", "guest (unpaired)"
TABLE_GUEST = "a table's guest"  # a guest token: the guest routes', walked apart (no column)
COLUMNS = (*ROLES, PAIRED, UNPAIRED)
CELLS = {"yes", "no", "approval", "not owners", "86 only", "masked"}
# Keys only those who may edit printers see, wherever they are shown.
GUARDED = frozenset(key for fields in GUARDED_FIELDS.values() for key in fields)


def readme_table(first: str) -> dict[str, dict[str, str]]:
    """The README's Markdown table whose first column is headed `first`: {row: {column: cell}},
    the row named by its first cell without the backticks."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if _cells(line)[:1] == [first])
    header = _cells(lines[start])
    rows: dict[str, dict[str, str]] = {}
    for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start + 2 :]):
        cells = _cells(line)
        name = cells[0].strip("`")
        assert name not in rows, f"the README names {name} twice"
        rows[name] = dict(zip(header[1:], cells[1:], strict=True))
    return rows


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")] if "|" in line else []


def routes_of(app) -> dict[str, Any]:
    """Every route of the app by method and path as the README names it: `GET /api/orders`, a
    websocket as the GET that opens it, a folder of pages as `GET /admin/{path}`."""
    found: dict[str, Any] = {}
    for route in app.routes:
        if isinstance(route, Route):
            for method in route.methods - {"HEAD"}:
                found[f"{method} {route.path_format}"] = route
        elif isinstance(route, WebSocketRoute | Mount):
            found[f"GET {route.path_format}"] = route
    return found


def guarded_keys(answer: Any) -> set[str]:
    """The guarded keys anywhere in a JSON answer."""
    if isinstance(answer, dict):
        return (GUARDED & answer.keys()).union(*map(guarded_keys, answer.values()))
    if isinstance(answer, list):
        return set().union(*map(guarded_keys, answer))
    return set()


# ---- the store the walk works on ----------------------------------------------------------


class World:
    """The demo store on a real server, set up by its owner with something for every route to
    work on, and the headers of the column being walked (`who`)."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self.http, self.base = http, base
        self.database = Path()
        self.sandbox: Any = None
        self.owner: dict[str, str] = {}
        self.who: dict[str, str] = {}
        self.column = ""
        self._names = itertools.count(1)

    def name(self, stem: str) -> str:
        return f"{stem} {next(self._names)}"

    async def call(self, method: str, path: str, body: Any = None, **options) -> httpx.Response:
        headers = options.pop("headers", self.who)
        return await self.http.request(method, path, json=body, headers=headers, **options)

    async def setup(self, method: str, path: str, body: Any = None) -> Any:
        """A call of the owner's that must succeed; its JSON answer."""
        response = await self.call(method, path, body, headers=self.owner)
        assert response.status_code < 400, (method, path, response.text)
        return response.json()

    async def made(self, path: str, body: dict[str, Any] | None = None) -> str:
        """The id of what the owner makes by posting `body` to `path`."""
        return (await self.setup("POST", path, body))["id"]

    async def build(self, column: str) -> None:
        """The owner's things for the routes to work on, then the column's sign-in (a role's
        on a device of its own; a guest's paired device, or nothing)."""
        self.owner = await sign_in(self.http, "owner", device="setup")
        self.staff = {m["role"]: m["id"] for m in await self.setup("GET", "/api/staff")}
        self.prawns = item(await menu(self.http), "Garlic prawns")["id"]
        self.curry = item(await menu(self.http), "Vegan curry")["id"]
        self.rate = await self.made("/api/menu/tax-rates", {"name": "Zero", "rate_bp": 0})
        self.category = await self.made("/api/menu/categories", {"name": "Specials"})
        fish = {"category_id": self.category, "name": "Fish", "price": 1800}
        self.dish = await self.made("/api/menu/items", {**fish, "tax_rate_id": self.rate})
        sauce = {"name": "Sauce", "min_choices": 0, "max_choices": 1}
        self.group = await self.made("/api/menu/modifier-groups", sauce)
        self.modifier = await self.made(
            f"/api/menu/modifier-groups/{self.group}/modifiers", {"name": "Aioli"}
        )
        self.area = await self.made("/api/areas", {"name": "Bar"})
        self.table = await self.made("/api/tables", {"area_id": self.area, "name": "B1"})
        await self.setup("PATCH", "/api/store", {"opening_hours": ALWAYS, "holidays": []})
        self.qr = qr_token_in(BOX["database"], "B1")
        self.draft = await self.fresh_draft()
        self.session = (await self.setup("GET", f"/api/drafts/{self.draft}"))["session_id"]
        self.order = await self.fresh_order()
        network = {"kind": "network", "host": "127.0.0.1", "port": 9}  # never dialled
        bar = {"name": "Bar printer", "role": "kitchen", "stations": ["BAR"], "transport": network}
        self.printer = await self.made("/api/printers", bar)
        self.job = await self.made(f"/api/orders/{self.order}/print-bill")
        await self.conflict()  # an event on the `sync` topic (published with the next write)
        self.device = await self.paired_device("Bar tablet")
        self.station = await self.made("/api/stations", {"code": "PASS", "name": "Pass"})
        self.ticket = await self.fresh_ticket()
        self.printers_seq = await self.last_seq("printers")  # the Bar printer's, with transport
        await self.setup("POST", "/api/shifts", {"float": 0})  # the owner's till takes payments
        self.check = await self.fresh_check()
        self.promo = await self.made(
            "/api/promo-codes", {"code": "WELCOME", "kind": "fixed", "value": 100}
        )
        self.report = (await self.setup("POST", "/api/reports", {"kind": "x"}))["id"]
        paid = await self.payment()
        self.receipt = _receipt_token(self.database, paid)
        back = {"amount": 1, "reason": "cold"}
        refunded = await self.setup("POST", f"/api/payments/{paid}/refund", back)
        self.refund = refunded["refund"]["id"]
        link = await self.setup("POST", f"/api/checks/{await self.fresh_check()}/pay-link")
        self.link = link["id"]
        self.column = column
        if column in ROLES:
            self.who = await sign_in(self.http, column, device=column)
            self.who |= await device_header(self.http, column)
        elif column == PAIRED:
            self.who = await device_header(self.http, column)
        elif column == TABLE_GUEST:  # its token in its own header and as a sign-in's
            await self.made("/api/tables", {"area_id": self.area, "name": "Guests' own"})
            qr = qr_token_in(BOX["database"], "Guests' own")
            token = (await self.http.post("/api/guest/scan", json={"token": qr})).json()
            token = token["guest_token"]
            self.who = {"X-Galley-Guest": token, "Authorization": f"Bearer {token}"}

    async def last_seq(self, *entities: str) -> int:
        """The seq of the newest event of these entities (tables), from the owner's audit: the
        feed read from just before it has little to send."""
        audit = await self.setup("GET", f"/api/audit?entity={','.join(entities)}&limit=1")
        return audit["events"][0]["seq"]

    async def paired_device(self, name: str) -> str:
        """The id of a device paired now, for a manager to rename or revoke."""
        answer = await self.http.post("/api/devices/pair", json=pairing(name))
        assert answer.status_code == 201, answer.text
        return answer.json()["device"]["id"]

    async def conflict(self) -> str:
        """An open sync conflict on the Fish's price, as a merged push leaves one."""
        return await asyncio.to_thread(open_conflict, BOX["database"], self.dish)

    async def fresh_order(self) -> str:
        return await self.made(
            "/api/orders", {"kind": "counter", "lines": [{"item_id": self.prawns}]}
        )

    async def fresh_ticket(self, state: str = "") -> dict[str, Any]:
        """The ticket of a counter order sent now (its prawns fire at once), moved on to
        `state` by the owner when one is given."""
        body = {"kind": "counter", "send": True, "lines": [{"item_id": self.prawns}]}
        order = await self.made("/api/orders", body)
        board = await self.setup("GET", "/api/tickets")
        ticket = next(t for t in board["tickets"] if t["order_id"] == order)
        if state:
            await self.setup("POST", f"/api/tickets/{ticket['id']}/state", {"state": state})
        return ticket

    async def held_order(self) -> str:
        """An order sent with a main held behind its starter."""
        lines = [{"item_id": self.prawns}, {"item_id": self.curry}]
        return await self.made("/api/orders", {"kind": "counter", "send": True, "lines": lines})

    async def fresh_draft(self) -> str:
        """The id of a draft a guest just sent, from a table of its own."""
        name = self.name("G")
        await self.made("/api/tables", {"area_id": self.area, "name": name})
        qr = qr_token_in(BOX["database"], name)
        scanned = await self.http.post("/api/guest/scan", json={"token": qr})
        assert scanned.status_code == 201, scanned.text
        guest = {"X-Galley-Guest": scanned.json()["guest_token"]}
        added = await self.http.post(
            "/api/guest/cart", headers=guest, json={"item_id": self.prawns}
        )
        assert added.status_code == 201, added.text
        sent = await self.http.post("/api/guest/send", headers=guest)
        assert sent.status_code == 200, sent.text
        return sent.json()["drafts"][-1]["id"]

    async def draft_line(self) -> str:
        draft = await self.fresh_draft()
        return (await self.setup("GET", f"/api/drafts/{draft}"))["lines"][0]["id"]

    async def closed_session(self) -> str:
        draft = await self.setup("GET", f"/api/drafts/{await self.fresh_draft()}")
        await self.setup("POST", f"/api/table-sessions/{draft['session_id']}/close")
        return draft["session_id"]

    async def fresh_check(self) -> str:
        return (await self.setup("POST", "/api/checks", {"order_id": await self.fresh_order()}))[
            "id"
        ]

    async def shift(self) -> None:
        """A shift open on the column's till (those who may take payments), for a tender."""
        if (await self.call("GET", "/api/shifts/current")).json().get("shift") is None:
            await self.call("POST", "/api/shifts", {"float": 10_000})

    async def payment(self) -> str:
        """A card payment the owner takes, for a refund."""
        body = {"method": "card", "reference": "T-1"}
        taken = await self.setup("POST", f"/api/checks/{await self.fresh_check()}/payments", body)
        return taken["payment"]["id"]

    async def pending_line(self) -> str:
        body = {"lines": [{"item_id": self.prawns}]}
        return (await self.setup("POST", f"/api/orders/{self.order}/lines", body))["lines"][-1][
            "id"
        ]

    async def sent_line(self) -> str:
        body = {"kind": "counter", "send": True, "lines": [{"item_id": self.prawns}]}
        return (await self.setup("POST", "/api/orders", body))["lines"][0]["id"]

    async def spare_staff(self) -> str:
        body = {"name": self.name("Temp"), "role": "waiter", "pin": "8888"}
        return await self.made("/api/staff", body)

    def sign_in_body(self) -> dict[str, str]:
        """The column's own staff member and PIN (a guest types a waiter's)."""
        role = self.column if self.column in ROLES else "waiter"
        return {"staff_id": self.staff[role], "pin": PINS[role]}

    async def another_sign_in(self) -> dict[str, str]:
        """A second sign-in of the column's (a guest's headers as they are), to sign out."""
        if self.column not in ROLES:
            return self.who
        device = await device_header(self.http, self.column)
        answer = await self.http.post("/api/sessions", headers=device, json=self.sign_in_body())
        return signed_in(answer)

    async def arrange(
        self, path: str, source: str, pick: Callable[[Any], list[str]]
    ) -> httpx.Response:
        """PUT to an arranger at `path` the ids `pick` takes from the owner's `source` now."""
        ids = pick(await self.setup("GET", source))
        return await self.call("PUT", path, {"ids": ids})

    async def websocket(
        self, query: str, headers: dict[str, str], path: str = "/ws"
    ) -> httpx.Response:
        """The feed opened with `query`, signed in with the token in `headers` (none: an empty
        one), as an answer: 200 and its first event, or the status of the refusal it closes
        with (4000 + status) and its error."""
        token = headers.get("Authorization", "Bearer ").split(" ", 1)[1]
        async with feed(self.base, token, query, path, max_queue=None) as ws:
            message = json.loads(await ws.recv())
            if "error" in message:
                await ws.wait_closed()
                assert ws.close_code is not None
                return httpx.Response(ws.close_code - 4000, json=message)
        return httpx.Response(200, json=message)


def _all_ids(key: str) -> Callable[[Any], list[str]]:
    return lambda answer: [row["id"] for row in answer[key]]


def _children(key: str, parent: str, inner: str) -> Callable[[Any], list[str]]:
    """The ids of the `inner` rows of the row `parent` among `answer[key]`."""
    return lambda answer: [
        row["id"] for group in answer[key] if group["id"] == parent for row in group[inner]
    ]


# Each route called as `w.who`, with a body it takes: `how` names the other call a condition
# needs ("plain": without a manager's approval; "owner": on an owner; "86": availability only).
Call = Callable[[World, str], Awaitable[httpx.Response]]
CALLS: dict[str, Call] = {
    "GET /healthz": lambda w, how: w.call("GET", "/healthz"),
    "GET /openapi.json": lambda w, how: w.call("GET", "/openapi.json"),
    "GET /": lambda w, how: w.call("GET", "/", follow_redirects=False),
    "GET /admin/{path}": lambda w, how: w.call("GET", "/admin/"),
    "GET /kds/{path}": lambda w, how: w.call("GET", "/kds/"),
    "GET /waiter/{path}": lambda w, how: w.call("GET", "/waiter/"),
    "GET /pos/{path}": lambda w, how: w.call("GET", "/pos/"),
    "GET /ui/{path}": lambda w, how: w.call("GET", "/ui/lib/api.js"),
    "POST /api/orders": lambda w, how: w.call(
        "POST", "/api/orders", {"kind": "counter", "lines": [{"item_id": w.prawns}]}
    ),
    "GET /api/orders": lambda w, how: w.call("GET", "/api/orders"),
    "GET /api/orders/{order_id}": lambda w, how: w.call("GET", f"/api/orders/{w.order}"),
    "GET /api/orders/{order_id}/events": lambda w, how: w.call(
        "GET", f"/api/orders/{w.order}/events"
    ),
    "POST /api/orders/{order_id}/lines": lambda w, how: w.call(
        "POST", f"/api/orders/{w.order}/lines", {"lines": [{"item_id": w.prawns}]}
    ),
    "PATCH /api/order-lines/{line_id}": lambda w, how: _then(
        w.pending_line(), lambda line: w.call("PATCH", f"/api/order-lines/{line}", {"quantity": 2})
    ),
    "DELETE /api/order-lines/{line_id}": lambda w, how: _then(
        w.pending_line(), lambda line: w.call("DELETE", f"/api/order-lines/{line}")
    ),
    "POST /api/order-lines/{line_id}/void": lambda w, how: _then(
        w.sent_line(),
        lambda line: w.call("POST", f"/api/order-lines/{line}/void", _approved(w, how, "spilt")),
    ),
    "POST /api/orders/{order_id}/send": lambda w, how: _then(
        w.fresh_order(), lambda order: w.call("POST", f"/api/orders/{order}/send")
    ),
    "POST /api/orders/{order_id}/cancel": lambda w, how: _then(
        w.fresh_order(),
        lambda order: w.call("POST", f"/api/orders/{order}/cancel", {"reason": "left"}),
    ),
    "POST /api/orders/{order_id}/print-bill": lambda w, how: w.call(
        "POST", f"/api/orders/{w.order}/print-bill"
    ),
    "POST /api/refunds/{refund_id}/print-slip": lambda w, how: w.call(
        "POST", f"/api/refunds/{w.refund}/print-slip"
    ),
    "POST /api/drawer/open": lambda w, how: _then(
        w.shift(), lambda _: w.call("POST", "/api/drawer/open", _approved(w, how))
    ),
    "GET /api/events": lambda w, how: w.call("GET", f"/api/events?since={w.printers_seq - 1}"),
    "GET /ws": lambda w, how: w.websocket(f"since={w.printers_seq - 1}", w.who),
    "GET /api/audit": lambda w, how: w.call("GET", "/api/audit?limit=5"),
    "GET /api/menu": lambda w, how: w.call("GET", "/api/menu"),
    "GET /api/menu/all": lambda w, how: w.call("GET", "/api/menu/all"),
    "POST /api/menu/tax-rates": lambda w, how: w.call(
        "POST", "/api/menu/tax-rates", {"name": w.name("Rate"), "rate_bp": 0}
    ),
    "PATCH /api/menu/tax-rates/{rate_id}": lambda w, how: w.call(
        "PATCH", f"/api/menu/tax-rates/{w.rate}", {"rate_bp": 600}
    ),
    "POST /api/menu/categories": lambda w, how: w.call(
        "POST", "/api/menu/categories", {"name": w.name("Category")}
    ),
    "PUT /api/menu/categories/order": lambda w, how: w.arrange(
        "/api/menu/categories/order", "/api/menu/all", _all_ids("categories")
    ),
    "PUT /api/menu/categories/{category_id}/items/order": lambda w, how: w.arrange(
        f"/api/menu/categories/{w.category}/items/order",
        "/api/menu/all",
        _children("categories", w.category, "items"),
    ),
    "PATCH /api/menu/categories/{category_id}": lambda w, how: w.call(
        "PATCH", f"/api/menu/categories/{w.category}", {"name": w.name("Today")}
    ),
    "POST /api/menu/items": lambda w, how: w.call(
        "POST",
        "/api/menu/items",
        {"category_id": w.category, "name": w.name("Dish"), "price": 900, "tax_rate_id": w.rate},
    ),
    "PATCH /api/menu/items/{item_id}": lambda w, how: w.call(
        "PATCH", f"/api/menu/items/{w.dish}", {"price": 1850}
    ),
    "PUT /api/menu/items/{item_id}/availability": lambda w, how: w.call(
        "PUT", f"/api/menu/items/{w.dish}/availability", {"available": False}
    ),
    "POST /api/menu/modifier-groups": lambda w, how: w.call(
        "POST",
        "/api/menu/modifier-groups",
        {"name": w.name("Group"), "min_choices": 0, "max_choices": 1},
    ),
    "PUT /api/menu/modifier-groups/order": lambda w, how: w.arrange(
        "/api/menu/modifier-groups/order", "/api/menu/all", _all_ids("modifier_groups")
    ),
    "PUT /api/menu/modifier-groups/{group_id}/modifiers/order": lambda w, how: w.arrange(
        f"/api/menu/modifier-groups/{w.group}/modifiers/order",
        "/api/menu/all",
        _children("modifier_groups", w.group, "modifiers"),
    ),
    "PATCH /api/menu/modifier-groups/{group_id}": lambda w, how: w.call(
        "PATCH", f"/api/menu/modifier-groups/{w.group}", {"max_choices": 2}
    ),
    "POST /api/menu/modifier-groups/{group_id}/modifiers": lambda w, how: w.call(
        "POST", f"/api/menu/modifier-groups/{w.group}/modifiers", {"name": w.name("Choice")}
    ),
    "PATCH /api/menu/modifiers/{modifier_id}": lambda w, how: w.call(
        "PATCH",
        f"/api/menu/modifiers/{w.modifier}",
        {"available": False} if how == "86" else {"price_delta": 60},
    ),
    "GET /api/staff/roster": lambda w, how: w.call("GET", "/api/staff/roster"),
    "POST /api/sessions": lambda w, how: w.call("POST", "/api/sessions", w.sign_in_body()),
    "DELETE /api/sessions/current": lambda w, how: _then(
        w.another_sign_in(),
        lambda headers: w.call("DELETE", "/api/sessions/current", headers=headers),
    ),
    "GET /api/me": lambda w, how: w.call("GET", "/api/me"),
    "GET /api/staff": lambda w, how: w.call("GET", "/api/staff"),
    "POST /api/staff": lambda w, how: w.call(
        "POST",
        "/api/staff",
        {"name": w.name("New"), "role": "owner" if how == "owner" else "waiter", "pin": "8888"},
    ),
    "PATCH /api/staff/{staff_id}": lambda w, how: _then(
        _target(w, how),
        lambda member: w.call("PATCH", f"/api/staff/{member}", {"active": True}),
    ),
    "POST /api/staff/{staff_id}/unlock": lambda w, how: _then(
        _target(w, how), lambda member: w.call("POST", f"/api/staff/{member}/unlock")
    ),
    "POST /api/devices/pair": lambda w, how: w.call(
        "POST", "/api/devices/pair", pairing(w.name("Till"))
    ),
    "POST /api/devices/pairing-codes": lambda w, how: w.call(
        "POST", "/api/devices/pairing-codes", {"name": "Bar"}
    ),
    "GET /api/devices": lambda w, how: w.call("GET", "/api/devices"),
    "PATCH /api/devices/{device_id}": lambda w, how: w.call(
        "PATCH", f"/api/devices/{w.device}", {"name": w.name("Bar tablet")}
    ),
    "POST /api/devices/{device_id}/revoke": lambda w, how: _then(
        w.paired_device(w.name("Spare")),
        lambda device: w.call("POST", f"/api/devices/{device}/revoke"),
    ),
    "GET /api/store": lambda w, how: w.call("GET", "/api/store"),
    "PATCH /api/store": lambda w, how: w.call("PATCH", "/api/store", {"name": "Harbour Kitchen"}),
    "GET /api/store/choices": lambda w, how: w.call("GET", "/api/store/choices"),
    "GET /api/tables": lambda w, how: w.call("GET", "/api/tables"),
    "POST /api/areas": lambda w, how: w.call("POST", "/api/areas", {"name": w.name("Area")}),
    "PUT /api/areas/order": lambda w, how: w.arrange(
        "/api/areas/order", "/api/tables", lambda floor: [area["id"] for area in floor]
    ),
    "PUT /api/areas/{area_id}/tables/order": lambda w, how: w.arrange(
        f"/api/areas/{w.area}/tables/order",
        "/api/tables",
        lambda floor: _children("areas", w.area, "tables")({"areas": floor}),
    ),
    "PATCH /api/areas/{area_id}": lambda w, how: w.call(
        "PATCH", f"/api/areas/{w.area}", {"name": w.name("Bar")}
    ),
    "POST /api/tables": lambda w, how: w.call(
        "POST", "/api/tables", {"area_id": w.area, "name": w.name("B"), "seats": 2}
    ),
    "GET /api/tables/qr-sheet.svg": lambda w, how: w.call("GET", "/api/tables/qr-sheet.svg"),
    "POST /api/tables/rotate-qr": lambda w, how: w.call("POST", "/api/tables/rotate-qr"),
    "PATCH /api/tables/{table_id}": lambda w, how: w.call(
        "PATCH", f"/api/tables/{w.table}", {"seats": 3}
    ),
    "GET /api/tables/{table_id}/qr.svg": lambda w, how: w.call(
        "GET", f"/api/tables/{w.table}/qr.svg"
    ),
    "POST /api/tables/{table_id}/rotate-qr": lambda w, how: w.call(
        "POST", f"/api/tables/{w.table}/rotate-qr"
    ),
    "GET /t/{token}": lambda w, how: w.call("GET", f"/t/{w.qr}"),
    "POST /api/guest/scan": lambda w, how: w.call(
        "POST",
        "/api/guest/scan",
        {"token": qr_token_in(BOX["database"], "B1")},  # rotated?
    ),
    # Guest routes take a guest token, which no column holds: staff 403, anyone else 401.
    "GET /api/guest/table": lambda w, how: w.call("GET", "/api/guest/table"),
    "POST /api/guest/join": lambda w, how: w.call("POST", "/api/guest/join", {"nickname": "Al"}),
    "POST /api/guest/cart": lambda w, how: w.call("POST", "/api/guest/cart", {"item_id": w.prawns}),
    "PATCH /api/guest/cart/{line_id}": lambda w, how: _then(
        w.draft_line(),
        lambda line: w.call("PATCH", f"/api/guest/cart/{line}", {"quantity": 2}),
    ),
    "DELETE /api/guest/cart/{line_id}": lambda w, how: _then(
        w.draft_line(), lambda line: w.call("DELETE", f"/api/guest/cart/{line}")
    ),
    "POST /api/guest/pass": lambda w, how: w.call("POST", "/api/guest/pass", {"word": "x"}),
    "POST /api/guest/send": lambda w, how: w.call("POST", "/api/guest/send"),
    "POST /api/guest/call-waiter": lambda w, how: w.call("POST", "/api/guest/call-waiter"),
    "POST /api/guest/ask-bill": lambda w, how: w.call("POST", "/api/guest/ask-bill"),
    "GET /api/guest/events": lambda w, how: w.call("GET", "/api/guest/events"),
    "GET /api/guest/ws": lambda w, how: w.websocket("since=0", w.who, "/api/guest/ws"),
    "GET /api/floor": lambda w, how: w.call("GET", "/api/floor"),
    "PUT /api/floor/tables/{table_id}/ordering": lambda w, how: w.call(
        "PUT", f"/api/floor/tables/{w.table}/ordering", {"enabled": True}
    ),
    "GET /api/drafts": lambda w, how: w.call("GET", "/api/drafts"),
    "GET /api/drafts/{draft_id}": lambda w, how: w.call("GET", f"/api/drafts/{w.draft}"),
    "POST /api/drafts/{draft_id}/lock": lambda w, how: _then(
        w.fresh_draft(), lambda draft: w.call("POST", f"/api/drafts/{draft}/lock")
    ),
    "POST /api/drafts/{draft_id}/lines": lambda w, how: _then(
        w.fresh_draft(),
        lambda draft: w.call("POST", f"/api/drafts/{draft}/lines", {"item_id": w.prawns}),
    ),
    "PATCH /api/draft-lines/{line_id}": lambda w, how: _then(
        w.draft_line(),
        lambda line: w.call("PATCH", f"/api/draft-lines/{line}", {"quantity": 3}),
    ),
    "DELETE /api/draft-lines/{line_id}": lambda w, how: _then(
        w.draft_line(), lambda line: w.call("DELETE", f"/api/draft-lines/{line}")
    ),
    "POST /api/drafts/{draft_id}/confirm": lambda w, how: _then(
        w.fresh_draft(), lambda draft: w.call("POST", f"/api/drafts/{draft}/confirm")
    ),
    "POST /api/drafts/{draft_id}/reject": lambda w, how: _then(
        w.fresh_draft(),
        lambda draft: w.call("POST", f"/api/drafts/{draft}/reject", {"reason": "no fish"}),
    ),
    "POST /api/table-sessions/{session_id}/close": lambda w, how: _then(
        w.fresh_draft(),
        lambda draft: _then(
            w.setup("GET", f"/api/drafts/{draft}"),
            lambda d: w.call("POST", f"/api/table-sessions/{d['session_id']}/close"),
        ),
    ),
    "POST /api/table-sessions/{session_id}/restore": lambda w, how: _then(
        w.closed_session(),
        lambda session: w.call("POST", f"/api/table-sessions/{session}/restore"),
    ),
    "POST /api/table-sessions/{session_id}/acknowledge": lambda w, how: w.call(
        "POST", f"/api/table-sessions/{w.session}/acknowledge"
    ),
    "GET /api/printers": lambda w, how: w.call("GET", "/api/printers"),
    "POST /api/printers": lambda w, how: w.call(
        "POST",
        "/api/printers",
        {
            "name": w.name("Printer"),
            "role": "report",
            "transport": {"kind": "network", "host": "127.0.0.1", "port": 9},
        },
    ),
    "GET /api/printers/discover/usb": lambda w, how: w.call("GET", "/api/printers/discover/usb"),
    "POST /api/printers/discover/network": lambda w, how: w.call(
        "POST", "/api/printers/discover/network", {"subnet": "127.0.0.1/32", "port": 9}
    ),
    "PATCH /api/printers/{printer_id}": lambda w, how: w.call(
        "PATCH", f"/api/printers/{w.printer}", {"name": w.name("Bar printer")}
    ),
    "POST /api/printers/{printer_id}/test": lambda w, how: w.call(
        "POST", f"/api/printers/{w.printer}/test"
    ),
    "POST /api/printers/{printer_id}/table-cards": lambda w, how: w.call(
        "POST", f"/api/printers/{w.printer}/table-cards", {"table_ids": [w.table]}
    ),
    "GET /api/print-jobs": lambda w, how: w.call("GET", "/api/print-jobs"),
    "GET /api/print-jobs/{job_id}/preview.png": lambda w, how: w.call(
        "GET", f"/api/print-jobs/{w.job}/preview.png"
    ),
    "POST /api/print-jobs/{job_id}/retry": lambda w, how: w.call(
        "POST", f"/api/print-jobs/{w.job}/retry"
    ),
    "POST /api/print-jobs/{job_id}/reprint": lambda w, how: w.call(
        "POST", f"/api/print-jobs/{w.job}/reprint"
    ),
    "GET /api/kitchen": lambda w, how: w.call("GET", "/api/kitchen"),
    "PATCH /api/kitchen/settings": lambda w, how: w.call(
        "PATCH", "/api/kitchen/settings", {"warn_minutes": 9}
    ),
    "GET /api/kitchen/expo": lambda w, how: w.call("GET", "/api/kitchen/expo"),
    "GET /api/kitchen/prep-times": lambda w, how: w.call("GET", "/api/kitchen/prep-times"),
    "POST /api/stations": lambda w, how: w.call(
        "POST", "/api/stations", {"code": w.name("S").replace(" ", ""), "name": "Station"}
    ),
    "PATCH /api/stations/{station_id}": lambda w, how: w.call(
        "PATCH", f"/api/stations/{w.station}", {"name": w.name("Pass")}
    ),
    "GET /api/tickets": lambda w, how: w.call("GET", "/api/tickets?station=KITCHEN"),
    "GET /api/tickets/{ticket_id}": lambda w, how: w.call("GET", f"/api/tickets/{w.ticket['id']}"),
    "PATCH /api/tickets/{ticket_id}": lambda w, how: w.call(
        "PATCH", f"/api/tickets/{w.ticket['id']}", {"rush": True}
    ),
    "POST /api/tickets/{ticket_id}/state": lambda w, how: _then(
        w.fresh_ticket(),
        lambda t: w.call("POST", f"/api/tickets/{t['id']}/state", {"state": "BUMPED"}),
    ),
    "POST /api/tickets/{ticket_id}/recall": lambda w, how: _then(
        w.fresh_ticket("BUMPED"), lambda t: w.call("POST", f"/api/tickets/{t['id']}/recall")
    ),
    "POST /api/ticket-items/{item_id}/state": lambda w, how: _then(
        w.fresh_ticket(),
        lambda t: w.call(
            "POST", f"/api/ticket-items/{t['items'][0]['id']}/state", {"state": "READY"}
        ),
    ),
    "POST /api/ticket-items/{item_id}/move": lambda w, how: _then(
        w.fresh_ticket(),
        lambda t: w.call(
            "POST", f"/api/ticket-items/{t['items'][0]['id']}/move", {"station": "GRILL"}
        ),
    ),
    "POST /api/orders/{order_id}/fire": lambda w, how: _then(
        w.held_order(), lambda order: w.call("POST", f"/api/orders/{order}/fire", {})
    ),
    "POST /api/orders/{order_id}/served": lambda w, how: _then(
        w.fresh_ticket("READY"),
        lambda t: w.call("POST", f"/api/orders/{t['order_id']}/served"),
    ),
    "GET /api/orders/{order_id}/kitchen": lambda w, how: w.call(
        "GET", f"/api/orders/{w.order}/kitchen"
    ),
    "GET /api/sync": lambda w, how: w.call("GET", "/api/sync"),
    "POST /api/sync/clock": lambda w, how: w.call(
        "POST", "/api/sync/clock", {"time": iso(utcnow() + timedelta(seconds=1))}
    ),
    "GET /api/sync/conflicts": lambda w, how: w.call("GET", "/api/sync/conflicts"),
    "GET /api/sync/rejections": lambda w, how: w.call("GET", "/api/sync/rejections"),
    "POST /api/sync/conflicts/{conflict_id}/reapply": lambda w, how: _then(
        w.conflict(), lambda c: w.call("POST", f"/api/sync/conflicts/{c}/reapply")
    ),
    "POST /api/sync/conflicts/{conflict_id}/dismiss": lambda w, how: _then(
        w.conflict(), lambda c: w.call("POST", f"/api/sync/conflicts/{c}/dismiss")
    ),
    "GET /api/pos/settings": lambda w, how: w.call("GET", "/api/pos/settings"),
    "PATCH /api/pos/settings": lambda w, how: w.call(
        "PATCH", "/api/pos/settings", {"cash_rounding": 1}
    ),
    "GET /api/promo-codes": lambda w, how: w.call("GET", "/api/promo-codes"),
    "POST /api/promo-codes": lambda w, how: w.call(
        "POST",
        "/api/promo-codes",
        {"code": w.name("SAVE").replace(" ", ""), "kind": "percent", "value": 1000},
    ),
    "PATCH /api/promo-codes/{promo_id}": lambda w, how: w.call(
        "PATCH", f"/api/promo-codes/{w.promo}", {"active": True}
    ),
    "GET /api/checks": lambda w, how: w.call("GET", "/api/checks"),
    "POST /api/checks": lambda w, how: _then(
        w.fresh_order(), lambda order: w.call("POST", "/api/checks", {"order_id": order})
    ),
    "GET /api/checks/{check_id}": lambda w, how: w.call("GET", f"/api/checks/{w.check}"),
    "PATCH /api/checks/{check_id}": lambda w, how: _then(
        w.fresh_check(),
        lambda check: w.call(
            "PATCH", f"/api/checks/{check}", {"service_bp": 1000, **_approval(w, how)}
        ),
    ),
    "POST /api/checks/{check_id}/split": lambda w, how: _then(
        w.fresh_check(),
        lambda check: w.call("POST", f"/api/checks/{check}/split", {"by": "even", "ways": 2}),
    ),
    "POST /api/checks/{check_id}/merge": lambda w, how: _then(
        _both(w.fresh_check(), w.fresh_check()),
        lambda pair: w.call("POST", f"/api/checks/{pair[0]}/merge", {"check_id": pair[1]}),
    ),
    "POST /api/checks/{check_id}/move": lambda w, how: _then(
        _both(w.fresh_check(), w.fresh_check()),
        lambda pair: _then(
            w.setup("GET", f"/api/checks/{pair[0]}"),
            lambda check: w.call(
                "POST",
                f"/api/checks/{pair[0]}/move",
                {"line_ids": [check["lines"][0]["line_id"]], "to_check_id": pair[1]},
            ),
        ),
    ),
    "POST /api/checks/{check_id}/discounts": lambda w, how: _then(
        w.fresh_check(),
        lambda check: w.call(
            "POST",
            f"/api/checks/{check}/discounts",
            {"kind": "percent", "value": 5000, **_approved(w, how, "complaint")},
        ),
    ),
    "DELETE /api/check-discounts/{discount_id}": lambda w, how: _then(
        w.fresh_check(),
        lambda check: _then(
            w.setup(
                "POST",
                f"/api/checks/{check}/discounts",
                {"kind": "fixed", "value": 10, "reason": "regular"},
            ),
            lambda view: w.call("DELETE", f"/api/check-discounts/{view['discounts'][0]['id']}"),
        ),
    ),
    "POST /api/checks/{check_id}/payments": lambda w, how: _then(
        _both(w.fresh_check(), w.shift()),
        lambda pair: w.call(
            "POST", f"/api/checks/{pair[0]}/payments", {"method": "card", "reference": "T-2"}
        ),
    ),
    "POST /api/payments/{payment_id}/refund": lambda w, how: _then(
        _both(w.payment(), w.shift()),
        lambda pair: w.call(
            "POST",
            f"/api/payments/{pair[0]}/refund",
            {"amount": 1, **_approved(w, how, "wrong dish")},
        ),
    ),
    "GET /api/shifts/current": lambda w, how: w.call("GET", "/api/shifts/current"),
    "POST /api/shifts": lambda w, how: _then(
        _closed_shift(w), lambda _: w.call("POST", "/api/shifts", {"float": 5000})
    ),
    "POST /api/shifts/current/moves": lambda w, how: _then(
        w.shift(),
        lambda _: w.call(
            "POST", "/api/shifts/current/moves", {"kind": "no_sale", **_approved(w, how)}
        ),
    ),
    "POST /api/shifts/current/close": lambda w, how: _then(
        w.shift(),
        lambda _: w.call("POST", "/api/shifts/current/close", {"counted": {"100": 1}}),
    ),
    "POST /api/reports": lambda w, how: w.call("POST", "/api/reports", {"kind": "x"}),
    "GET /api/reports": lambda w, how: w.call("GET", "/api/reports"),
    "POST /api/reports/{report_id}/print": lambda w, how: w.call(
        "POST", f"/api/reports/{w.report}/print"
    ),
    "GET /api/receipts/{token}": lambda w, how: w.call("GET", f"/api/receipts/{w.receipt}"),
    "POST /api/checks/{check_id}/pay-link": lambda w, how: _then(
        w.fresh_check(), lambda check: w.call("POST", f"/api/checks/{check}/pay-link")
    ),
    "GET /api/pay-links/{link_id}": lambda w, how: w.call("GET", f"/api/pay-links/{w.link}"),
    "GET /api/pay-links/{link_id}/qr.svg": lambda w, how: w.call(
        "GET", f"/api/pay-links/{w.link}/qr.svg"
    ),
    "POST /api/pay/webhook": lambda w, how: _webhook(w),
}


def _webhook(w: World) -> Awaitable[httpx.Response]:
    """A delivery the sandbox provider signs (of an intent the box never made: received all
    the same, and nothing paid)."""
    intent = {"id": w.name("pi").replace(" ", "_"), "amount": 1, "currency": "EUR"}
    body = w.sandbox.event({**intent, "status": "succeeded", "reference": ""})
    headers = {**w.who, **w.sandbox.headers(body)}
    return w.call("POST", "/api/pay/webhook", content=body, headers=headers)


def _receipt_token(database: Path, payment_id: str) -> str:
    """The digital receipt's token of the check a payment paid (only its QR code shows it)."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute(
            "SELECT c.receipt_token FROM checks c JOIN payments p ON p.check_id = c.id"
            " WHERE p.id = ?",
            (payment_id,),
        ).fetchone()[0]
    finally:
        conn.close()


async def _both(first: Awaitable[Any], second: Awaitable[Any]) -> tuple[Any, Any]:
    return await first, await second


async def _closed_shift(w: World) -> None:
    """No shift open on the column's till, so that one can be opened."""
    current = await w.call("GET", "/api/shifts/current")
    if current.status_code == 200 and current.json()["shift"] is not None:
        await w.call("POST", "/api/shifts/current/close", {"counted": {}})


async def _then(first: Awaitable[Any], then: Callable[[Any], Awaitable[httpx.Response]]):
    """`then(what first gave)`: a call on something made for it."""
    return await then(await first)


def _approved(w: World, how: str, reason: str = "change for the float") -> dict[str, Any]:
    """A manager's action's body, with the manager's PIN as approval unless `how` is "plain"."""
    return {"reason": reason, **_approval(w, how)}


def _approval(w: World, how: str) -> dict[str, Any]:
    """The manager's PIN as approval, unless `how` is "plain"."""
    if how == "plain":
        return {}
    return {"approval": {"staff_id": w.staff["manager"], "pin": PINS["manager"]}}


async def _target(w: World, how: str) -> str:
    """The staff member a change is made to: the owner, or someone made for it."""
    return w.staff["owner"] if how == "owner" else await w.spare_staff()


# ---- the checks -----------------------------------------------------------------------------


def _allowed(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    return f"refused {response.status_code}: {response.text[:200]}"


def _refused(response: httpx.Response, status: int, code: str | None = None) -> str | None:
    """Why `response` is not a refusal with `status` (and `code`) in the error shape, if not."""
    if response.status_code != status:
        return f"answered {response.status_code} (not {status}): {response.text[:200]}"
    try:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        return f"refused without the error shape: {response.text[:200]}"
    if code and error["code"] != code:
        return f"refused with {error['code']}, not {code}"
    return None


async def check(w: World, call: Call, cell: str, refusal: int) -> list[str]:
    """What is wrong with the answers of `call` against the table's `cell`: nothing, or why."""
    if cell == "no":
        return [_refused(await call(w, ""), refusal) or ""]
    if cell == "yes":
        return [_allowed(await call(w, ""))]
    if cell == "masked":
        response = await call(w, "")
        shown = guarded_keys(response.json()) if response.status_code < 400 else set()
        return [_allowed(response), f"shows {sorted(shown)}" if shown else None]
    if cell == "approval":
        plain = _refused(await call(w, "plain"), 403, "approval_required")
        return [plain and f"without approval: {plain}", _allowed(await call(w, ""))]
    if cell == "not owners":
        owner = _refused(await call(w, "owner"), 403)
        return [owner and f"on an owner: {owner}", _allowed(await call(w, ""))]
    if cell == "86 only":
        more = _refused(await call(w, ""), 403)
        return [more and f"more than 86: {more}", _allowed(await call(w, "86"))]
    return [f"no such cell: {cell!r}"]


@pytest.fixture
async def world(quiet_settings, pay_sandbox, request) -> AsyncIterator[World]:
    with serve(create_app(quiet_settings)) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            w = World(http, base)
            w.database = quiet_settings.database
            w.sandbox = pay_sandbox
            await w.build(request.param)
            yield w


def test_the_tables_name_every_route_and_topic_once(quiet_settings):
    """A route missing from the README's table, or a row for a route that does not exist, fails;
    so does a topic, an unknown cell, and a route this test cannot call."""
    table = readme_table("route")
    routes = routes_of(create_app(quiet_settings))
    assert sorted(routes.keys() - table.keys()) == [], "routes missing from the README's table"
    assert sorted(table.keys() - routes.keys()) == [], "README rows for routes that do not exist"
    assert routes.keys() == CALLS.keys(), "every route needs a call here"
    topics = readme_table("topic")
    assert topics.keys() == TOPICS.keys()
    for name, row in [*table.items(), *topics.items()]:
        assert set(COLUMNS) <= row.keys(), name
        assert {row[c] for c in COLUMNS} <= CELLS, (name, row)
        assert {row[PAIRED], row[UNPAIRED]} <= {"yes", "no"}, name


@pytest.mark.parametrize("world", COLUMNS, indirect=True)
async def test_every_route_answers_each_role_as_the_readme_says(world):
    """Each route called as the column's role (or guest) with a body it takes: "no" is a 403 (a
    401 for a guest), "yes" an answer, and each condition both of its sides."""
    refusal = 403 if world.column in ROLES else 401
    wrong = {}
    for key, row in readme_table("route").items():
        problems = [p for p in await check(world, CALLS[key], row[world.column], refusal) if p]
        if problems:
            wrong[key] = f"{row[world.column]}: {'; '.join(problems)}"
    assert wrong == {}


@pytest.mark.parametrize("world", [TABLE_GUEST], indirect=True)
async def test_a_table_guests_token_reaches_no_more_than_no_token_does(world):
    """A guest token, sent in the guest header and as a bearer token, on every route but the
    guest ones (`tests/edge/test_guest_sessions.py`): each answers as it does an unpaired
    guest, a 401 where the README says no."""
    wrong = {}
    for key, row in readme_table("route").items():
        if key.split()[1].startswith("/api/guest/") and key != "POST /api/guest/scan":
            continue
        problems = [p for p in await check(world, CALLS[key], row[UNPAIRED], 401) if p]
        if problems:
            wrong[key] = f"{row[UNPAIRED]}: {'; '.join(problems)}"
    assert wrong == {}


@pytest.mark.parametrize("world", COLUMNS, indirect=True)
async def test_every_topic_is_followed_by_each_role_as_the_readme_says(world):
    """Each topic followed as the column's role (or guest), on the websocket and by polling,
    from an event of its own (of an entity with guarded fields, where it has one): allowed (that
    event comes, guarded fields and all to those who may see them) or refused (4403 and 403;
    4401 and 401 for a guest), and a masked field is absent."""
    websocket_refusal, poll_refusal = (403, 403) if world.column in ROLES else (401, 401)
    wrong = {}
    for topic, row in readme_table("topic").items():
        cell = row[world.column]
        entities = [name for name, entity in ENTITIES.items() if entity.topic == topic]
        guarded = [entity for entity in entities if entity in GUARDED_FIELDS]
        since = await world.last_seq(*(guarded[:1] or entities)) - 1
        query = f"topics={topic}&since={since}"
        socket = await world.websocket(query, world.who)
        polled = await world.call("GET", f"/api/events?{query}&limit=1")
        if cell == "no":
            problems = [_refused(socket, websocket_refusal), _refused(polled, poll_refusal)]
        else:
            events = [socket.json(), *polled.json().get("events", [])]
            problems = [_allowed(socket), _allowed(polled)]
            problems += [
                f"{e.get('seq')} is not {since + 1}" for e in events if e.get("seq") != since + 1
            ]
            shown = guarded_keys(events)
            problems.append(f"shows {sorted(shown)}" if cell == "masked" and shown else None)
            if cell == "yes" and guarded and not shown:  # else "masked" would prove nothing
                problems.append(f"shows none of {sorted(GUARDED)}")
        problems = [p for p in problems if p]
        if problems:
            wrong[topic] = f"{cell}: {'; '.join(problems)}"
    assert wrong == {}


# ---- the defects the walk found, each on its own ------------------------------------------


async def open_order(client, headers) -> dict[str, Any]:
    prawns = item(await menu(client), "Garlic prawns")["id"]
    body = {"kind": "counter", "send": True, "lines": [{"item_id": prawns}]}
    answer = await client.post("/api/orders", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_the_kitchen_prints_no_bill_and_voids_nothing_even_approved(quiet):
    """`print-bill` needed only `order.view`, which the kitchen has for its screen; and a cook
    with a manager's PIN could void a line or open the drawer. The bill is the floor's."""
    _, client = quiet
    waiter, kitchen = await sign_in(client, "waiter"), await sign_in(client, "kitchen")
    order = await open_order(client, waiter)
    refused = await client.post(f"/api/orders/{order['id']}/print-bill", headers=kitchen)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["permission"] == "order.bill"
    billed = await client.post(f"/api/orders/{order['id']}/print-bill", headers=waiter)
    assert billed.status_code == 201, billed.text

    me = {
        role: (await client.get("/api/me", headers=h)).json()
        for role, h in (("waiter", waiter), ("kitchen", kitchen))
    }
    assert "order.bill" in me["waiter"]["permissions"]
    assert "order.bill" not in me["kitchen"]["permissions"]
    assert "order.view" in me["kitchen"]["permissions"]

    roster = (await client.get("/api/staff/roster", headers=await device_header(client))).json()
    manager = next(m["id"] for m in roster if m["role"] == "manager")
    approved = {"reason": "spilt", "approval": {"staff_id": manager, "pin": PINS["manager"]}}
    line = order["lines"][0]["id"]
    void = await client.post(f"/api/order-lines/{line}/void", headers=kitchen, json=approved)
    assert void.status_code == 403 and void.json()["error"]["code"] == "forbidden", void.text
    drawer = await client.post("/api/drawer/open", headers=kitchen, json=approved)
    assert drawer.status_code == 403 and drawer.json()["error"]["code"] == "forbidden"
    # Refused before the PIN is checked: a kitchen screen is no place to try a manager's PIN.
    guess = {**approved, "approval": {"staff_id": manager, "pin": "0000"}}
    tried = await client.post(f"/api/order-lines/{line}/void", headers=kitchen, json=guess)
    assert tried.status_code == 403 and tried.json()["error"]["code"] == "forbidden"
    staff = (await client.get("/api/staff", headers=await sign_in(client, "owner"))).json()
    assert next(m for m in staff if m["id"] == manager)["failures"] == 0
    voided = await client.post(f"/api/order-lines/{line}/void", headers=waiter, json=approved)
    assert voided.status_code == 200, voided.text


async def test_only_who_may_edit_printers_sees_where_they_are(quiet):
    """A waiter saw every printer's host and port (and the errors naming them); now a printer's
    transport and error and a job's last error are the printer editors' only."""
    app, client = quiet
    box = app.state.box
    waiter, manager = await sign_in(client, "waiter"), await sign_in(client, "manager")
    printers = (await client.get("/api/printers", headers=manager)).json()
    kitchen = next(p["id"] for p in printers if p["role"] == "kitchen")
    error = "NetworkTransport('127.0.0.1', 9100): no answer to connect"
    await box.write(printer_status.record, kitchen, None, error)
    order = await open_order(client, waiter)  # its ticket waits on the kitchen printer
    job = next(
        j
        for j in (await client.get("/api/print-jobs", headers=manager)).json()
        if j["source_id"] == order["id"]
    )
    await box.write(
        lambda conn: print_queue.mark_failed(
            conn, job["id"], error, not_ready=False, config_error=False, maybe_printed=False
        )
    )

    for headers, shown in ((manager, True), (waiter, False)):
        listed = {p["id"]: p for p in (await client.get("/api/printers", headers=headers)).json()}
        assert ("transport" in listed[kitchen]) is shown
        assert (listed[kitchen].get("error") == error) is shown
        assert listed[kitchen]["online"] is False and listed[kitchen]["name"] == "Kitchen pass"
        jobs = (await client.get("/api/print-jobs", headers=headers)).json()
        assert (next(j for j in jobs if j["id"] == job["id"]).get("last_error") == error) is shown
    assert listed[kitchen]["stations"] == ["BAR", "KITCHEN"] and listed[kitchen]["failed"] == 0


async def test_printers_events_reach_a_waiter_without_transport_and_are_kept_whole(live_box):
    """The feed sent every subscriber of `printers` the same event, transport and all: now each
    gets the event as its role may see it, live and from the backlog, by websocket and by
    polling, while the stored event keeps the transport (printers' configuration syncs)."""
    base, http = live_box
    waiter, manager = await sign_in(http, "waiter"), await sign_in(http, "manager")
    printers = (await http.get("/api/printers", headers=manager)).json()
    kitchen = next(p for p in printers if p["role"] == "kitchen")
    path = f"/api/printers/{kitchen['id']}"
    start = (await http.get("/healthz")).json()["last_seq"]
    moved = {**kitchen["transport"], "port": kitchen["transport"]["port"] + 1}
    query = f"topics=printers&since={start}"
    async with (
        feed(base, _token(waiter), query) as waiter_ws,
        feed(base, _token(manager), query) as manager_ws,
    ):
        sockets = {"waiter": waiter_ws, "manager": manager_ws}
        renamed = await http.patch(path, headers=manager, json={"name": "Pass"})
        assert renamed.status_code == 200, renamed.text
        for ws in sockets.values():  # each is past its backlog once this came: the next is live
            assert (await _next(ws))["fields"] == {"name": "Pass"}
        moving = await http.patch(path, headers=manager, json={"transport": moved})
        assert moving.status_code == 200, moving.text
        live = {name: await _next(ws) for name, ws in sockets.items()}
    assert live["manager"]["fields"] == {"transport": moved}
    assert live["waiter"]["fields"] == {} and live["waiter"]["seq"] == live["manager"]["seq"]

    for headers, fields in ((waiter, {}), (manager, {"transport": moved})):
        polled = await http.get(f"/api/events?{query}", headers=headers)
        assert [e["fields"] for e in polled.json()["events"]] == [{"name": "Pass"}, fields]
        async with feed(base, _token(headers), query) as ws:
            assert [(await _next(ws))["fields"] for _ in range(2)] == [{"name": "Pass"}, fields]
    audit = await http.get(f"/api/audit?entity=printers&after={start}", headers=manager)
    assert [e["fields"] for e in audit.json()["events"]] == [{"transport": moved}, {"name": "Pass"}]


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def _next(ws) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


@pytest.fixture
async def live_box(quiet_settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    with serve(create_app(quiet_settings)) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            yield base, http
