"""A realistic demo store: 5 categories, 34 items with modifier groups, 12 tables in 2 areas,
one staff member per role, a kitchen and a bar station. Used by `galley demo`, by tests that
want a real-sized store, and by the benchmarks.

A demo store outlives the address it was seeded at: `point_at` keeps its QR codes and printers
pointing where the demo runs now, and `pins` tells which demo PINs still sign in.
"""

from __future__ import annotations

import ipaddress
import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from edge.core.events import WriteConnection
from edge.core.permissions import SYSTEM
from edge.domain import menu, qrsheet, staff, stations, store, tables
from edge.domain import store_printers as printers
from edge.setup.provision import set_up
from sync import hashing

STORE = {
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_rounding": "half_up",
    "opening_hours": {day: [["11:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "sun")}
    | {"fri": [["11:00", "01:00"]], "sat": [["11:00", "01:00"]]},
    "holidays": [{"date": "2026-12-25", "hours": [], "note": "Christmas"}],
}
STAFF = [  # name, role, PIN
    ("Olivia Santos", "owner", "1111"),
    ("Marco Ferreira", "manager", "2222"),
    ("Carla Mendes", "cashier", "3333"),
    ("Walter Costa", "waiter", "4444"),
    ("Kim Oliveira", "kitchen", "5555"),
]
GROUPS = {
    "doneness": (
        "How cooked",
        1,
        1,
        [("Rare", 0), ("Medium rare", 0), ("Medium", 0), ("Well done", 0)],
    ),
    "side": ("Side", 1, 1, [("Fries", 0), ("Salad", 0), ("Rice", 0), ("Sweet potato", 150)]),
    "extras": (
        "Extras",
        0,
        3,
        [("Extra cheese", 150), ("Bacon", 200), ("Fried egg", 120), ("Avocado", 180)],
    ),
    "size": ("Size", 1, 1, [("Regular", 0), ("Large", 100)]),
    "milk": ("Milk", 0, 1, [("Oat milk", 50), ("Soy milk", 50), ("Lactose-free", 30)]),
    "ice": ("Ice & lemon", 0, 2, [("No ice", 0), ("Lemon", 0)]),
}
# category: [(name, price in cents, station, course, rate, groups, description)]
MENU: dict[str, list[tuple[str, int, str, str, str, tuple[str, ...], str]]] = {
    "Starters": [
        ("Garlic prawns", 950, "KITCHEN", "STARTERS", "food", (), "Tiger prawns, chilli, parsley"),
        ("Padrón peppers", 650, "KITCHEN", "STARTERS", "food", (), "Blistered, sea salt"),
        ("Burrata", 1050, "KITCHEN", "STARTERS", "food", (), "Heritage tomatoes, basil oil"),
        ("Octopus salad", 1150, "KITCHEN", "STARTERS", "food", (), "Potato, paprika, olive oil"),
        ("Soup of the day", 550, "KITCHEN", "STARTERS", "food", (), "Ask your server"),
        ("Bread & olives", 350, "KITCHEN", "STARTERS", "food", (), "Sourdough, marinated olives"),
        ("Chicken wings", 850, "KITCHEN", "STARTERS", "food", ("extras",), "Piri-piri glaze"),
    ],
    "Mains": [
        (
            "Ribeye steak 300g",
            2650,
            "KITCHEN",
            "MAINS",
            "food",
            ("doneness", "side"),
            "Dry-aged, herb butter",
        ),
        (
            "Beef burger",
            1450,
            "KITCHEN",
            "MAINS",
            "food",
            ("doneness", "side", "extras"),
            "Brioche bun, cheddar, pickles",
        ),
        ("Grilled sea bass", 1950, "KITCHEN", "MAINS", "food", ("side",), "Lemon, capers"),
        ("Mushroom risotto", 1450, "KITCHEN", "MAINS", "food", ("extras",), "Parmesan, truffle"),
        ("Chicken piri-piri", 1550, "KITCHEN", "MAINS", "food", ("side",), "Half chicken"),
        ("Bacalhau à Brás", 1650, "KITCHEN", "MAINS", "food", (), "Salt cod, egg, olives"),
        ("Vegan curry", 1350, "KITCHEN", "MAINS", "food", (), "Chickpea, coconut, rice"),
        ("Caesar salad", 1250, "KITCHEN", "MAINS", "food", ("extras",), "Romaine, anchovy"),
    ],
    "Desserts": [
        ("Pastel de nata", 250, "KITCHEN", "DESSERTS", "food", (), "Warm, cinnamon"),
        ("Chocolate mousse", 550, "KITCHEN", "DESSERTS", "food", (), "Sea salt, olive oil"),
        ("Cheesecake", 600, "KITCHEN", "DESSERTS", "food", (), "Passion fruit"),
        ("Ice cream (2 scoops)", 450, "KITCHEN", "DESSERTS", "food", (), "Vanilla, chocolate"),
        ("Cheese board", 1100, "KITCHEN", "DESSERTS", "food", (), "Three Portuguese cheeses"),
        ("Seasonal fruit", 500, "KITCHEN", "DESSERTS", "food", (), "Ask your server"),
    ],
    "Drinks": [
        ("Still water", 250, "BAR", "DRINKS", "drinks", ("size",), "Luso"),
        ("Sparkling water", 280, "BAR", "DRINKS", "drinks", ("size",), "Pedras"),
        ("Cola", 300, "BAR", "DRINKS", "drinks", ("ice",), "Glass bottle"),
        (
            "Fresh orange juice",
            400,
            "BAR",
            "DRINKS",
            "drinks",
            ("size", "ice"),
            "Squeezed to order",
        ),
        ("Draft beer", 350, "BAR", "DRINKS", "drinks", ("size",), "Super Bock"),
        ("House red wine", 450, "BAR", "DRINKS", "drinks", (), "Douro, glass"),
        ("House white wine", 450, "BAR", "DRINKS", "drinks", (), "Vinho verde, glass"),
        ("Gin & tonic", 850, "BAR", "DRINKS", "drinks", ("ice",), "Local gin"),
    ],
    "Coffee & tea": [
        ("Espresso", 120, "BAR", "DESSERTS", "drinks", (), "Bica"),
        ("Cappuccino", 280, "BAR", "DESSERTS", "drinks", ("milk", "size"), ""),
        ("Latte", 300, "BAR", "DESSERTS", "drinks", ("milk", "size"), "Galão"),
        ("Black tea", 200, "BAR", "DESSERTS", "drinks", (), "Gorreana, Azores"),
        ("Herbal tea", 200, "BAR", "DESSERTS", "drinks", (), "Lemon verbena"),
    ],
}
# The demo's printers: both on the emulator `galley demo` starts on this machine (port 9100
# unless another is asked for or it is taken).
EMULATOR_HOST, EMULATOR_PORT = "127.0.0.1", 9100
PRINTERS: list[dict[str, Any]] = [
    {"name": "Counter receipt", "role": "receipt", "device": ""},
    {"name": "Kitchen pass", "role": "kitchen", "stations": ["KITCHEN", "BAR"]},
]
STATIONS = [{"code": "KITCHEN", "name": "Kitchen"}, {"code": "BAR", "name": "Bar"}]
AREAS = {"Dining room": [f"{n}" for n in range(1, 9)], "Terrace": ["T1", "T2", "T3", "T4"]}


def seed(
    conn: WriteConnection,
    pin_hashes: dict[str, str],
    guest_base_url: str = "",
    printer_port: int = EMULATOR_PORT,
) -> None:
    """The whole demo store in one transaction. `pin_hashes` maps PIN -> hash (hashed outside
    the writer because scrypt is slow on purpose)."""
    owner_name, _, owner_pin = STAFF[0]
    settings: dict[str, Any] = {**STORE, "guest_base_url": guest_base_url}
    set_up(conn, "Harbour Kitchen", owner_name, pin_hashes[owner_pin], settings)
    for name, role, pin in STAFF[1:]:
        staff.create(conn, SYSTEM, name, role, pin_hashes[pin])
    rates = {
        "food": menu.create_tax_rate(conn, SYSTEM, {"name": "IVA 13%", "rate_bp": 1300}),
        "drinks": menu.create_tax_rate(conn, SYSTEM, {"name": "IVA 23%", "rate_bp": 2300}),
    }
    groups = {
        key: menu.create_group(
            conn,
            SYSTEM,
            {
                "name": name,
                "min_choices": low,
                "max_choices": high,
                "modifiers": [{"name": m, "price_delta": delta} for m, delta in modifiers],
            },
        )
        for key, (name, low, high, modifiers) in GROUPS.items()
    }
    plu = 100  # the till's short codes: 101, 102 ...
    for category, items in MENU.items():
        category_id = menu.create_category(conn, SYSTEM, {"name": category})
        for name, price, station, course, rate, item_groups, description in items:
            plu += 1
            menu.create_item(
                conn,
                SYSTEM,
                {
                    "category_id": category_id,
                    "name": name,
                    "price": price,
                    "tax_rate_id": rates[rate],
                    "station": station,
                    "course": course,
                    "description": description,
                    "modifier_group_ids": [groups[g] for g in item_groups],
                    "plu": str(plu),
                },
            )
    for area, names in AREAS.items():
        area_id = tables.create_area(conn, SYSTEM, {"name": area})
        for name in names:
            tables.create_table(
                conn,
                SYSTEM,
                {"area_id": area_id, "name": name, "seats": 2 if name.startswith("T") else 4},
            )
    for kitchen_station in STATIONS:
        stations.create_station(conn, SYSTEM, kitchen_station)
    emulator = {"kind": "network", "host": EMULATOR_HOST, "port": printer_port}
    for printer in PRINTERS:
        printers.create(conn, SYSTEM, {**printer, "transport": emulator, "profile": "TM-T20II"})


def pin_hashes() -> dict[str, str]:
    return {pin: staff.hash_pin(pin) for _, _, pin in STAFF}


@dataclass(frozen=True)
class Pointing:
    """Where a started demo sends guests and print jobs, and what `point_at` changed for it."""

    guest_base_url: str  # what the table QR codes hold now
    replaced_url: str = ""  # the older URL the demo replaced, if it did
    owners_url: bool = False  # a person set the URL on the admin page: the demo left it
    printers_moved: tuple[str, ...] = ()  # printers that now print on the emulator's port


def point_at(conn: WriteConnection, guest_base_url: str, printer_port: int) -> Pointing:
    """Point a seeded demo at where it runs now. The guest base URL follows this machine's
    address and the demo's port, unless a person set it on the admin page (a name the store
    owns, say): theirs stays, but not a loopback one, which no phone can open. Printers on
    this machine are the demo's emulator and follow its port."""
    current = store.get(conn)["guest_base_url"]
    replaced, owners = "", False
    if current != guest_base_url:
        owners = bool(current) and _set_by_a_person(conn) and not _is_loopback(current)
        if not owners:
            store.update(conn, SYSTEM, {"guest_base_url": guest_base_url})
            replaced = current
    moved = []
    for printer in printers.list_printers(conn):
        transport = printer["transport"]
        if transport.get("host") == EMULATOR_HOST and transport.get("port") != printer_port:
            changes = {"transport": {**transport, "port": printer_port}}
            printers.update(conn, SYSTEM, printer["id"], changes)
            moved.append(printer["name"])
    return Pointing(current if owners else guest_base_url, replaced, owners, tuple(moved))


def _set_by_a_person(conn: sqlite3.Connection) -> bool:
    """Whether the last change of the guest base URL was someone's, not the box's own."""
    row = conn.execute(
        "SELECT actor FROM events WHERE entity = 'store'"
        " AND json_type(fields, '$.guest_base_url') IS NOT NULL ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return row is not None and row["actor"] != SYSTEM.id


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pins(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(role, name, PIN) of each demo staff member, where the PIN is the demo's only if it
    still signs them in ("changed" or "gone" otherwise): checked against the stored hash, a few
    tens of milliseconds each, so the demo never shows a PIN that stopped working."""
    rows = {
        (row["name"], row["role"]): row
        for row in conn.execute("SELECT name, role, pin_hash FROM staff WHERE active")
    }
    shown = []
    for name, role, pin in STAFF:
        row = rows.get((name, role))
        if row is None:
            shown.append((role, name, "gone"))
        else:
            shown.append((role, name, pin if hashing.matches(pin, row["pin_hash"]) else "changed"))
    return shown


def first_table_url(conn: sqlite3.Connection, qr_secret: bytes) -> tuple[str, str] | None:
    """(name, guest URL) of the first table in use: what its QR code opens on a phone."""
    settings = store.get(conn)
    for area in tables.floor(conn):
        for table in area["tables"]:
            if table["enabled"]:
                token = tables.qr_token(
                    qr_secret, table["id"], table["qr_version"], settings["qr_epoch"]
                )
                return table["name"], qrsheet.guest_url(settings["guest_base_url"], token)
    return None
