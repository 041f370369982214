"""Canonical JSON, canonical fields and the store digest."""

import dataclasses
import hashlib
import json
import random
import shutil

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core import db
from edge.core.events import Event
from edge.core.permissions import SYSTEM, Actor
from edge.domain import (
    check_splits,
    checks,
    discounts,
    drafts,
    menu,
    orders,
    pay_at_table,
    payments,
    pos_config,
    reports,
    shifts,
    staff,
    stations,
    store,
    table_sessions,
    tables,
)
from edge.runtime.writer import Writer
from sync.canonical import (
    MAX_DEPTH,
    canonical_fields,
    canonical_json,
    columns_digest,
    kept_rows,
    ordered_digest,
    same,
    store_digest,
    stored_digest,
)
from sync.clock import utcnow
from sync.entities import ENTITIES, split_parts, synced
from sync.errors import BadEvent

# ---- canonical_json ------------------------------------------------------------------------


def test_keys_are_sorted_at_every_depth_with_no_spaces():
    assert canonical_json({"b": 1, "a": [{"d": None, "c": True}]}) == (
        b'{"a":[{"c":true,"d":null}],"b":1}'
    )


def test_text_is_utf8_and_keys_sort_by_code_point():
    value = {"é": "Padrón", "z": "😀", "Z": "\u2028", "a\n": "tab\t"}
    out = canonical_json(value)
    assert out.decode("utf-8") == '{"Z":"\u2028","a\\n":"tab\\t","z":"😀","é":"Padrón"}'
    assert json.loads(out) == value
    assert list(json.loads(out)) == sorted(value)


@pytest.mark.parametrize(
    "value",
    [1.5, 0.0, float("nan"), float("inf"), {"price": 4.5}, [1, [2.0]], {1: "x"}, b"x", {"x"}],
)
def test_anything_but_plain_json_with_whole_numbers_raises(value):
    with pytest.raises(TypeError):
        canonical_json(value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_reads_back_as_the_same_value_and_is_the_same_bytes_again(value):
    out = canonical_json(value)
    assert json.loads(out) == value
    assert canonical_json(json.loads(out)) == out


def test_same_is_json_equality():
    assert same([1, {"a": True}], [1, {"a": True}])
    assert not same(1, True) and not same([1], [True]) and not same({"a": 0}, {"a": False})
    assert same(None, None) and not same(None, 0) and not same("", None)


# ---- canonical_fields ----------------------------------------------------------------------


def test_fields_take_the_protocols_form_whatever_sqlite_or_an_event_held():
    from_sqlite = {
        "id": "s1",
        "hub_rev": 4,
        "name": "Café",
        "prices_include_tax": 1,
        "qr_kill_switch": 0,
        "opening_hours": '{"mon": [["11:00", "22:00"]]}',
        "holidays": "[]",
        "qr_epoch": 2,
    }
    from_event = {
        "name": "Café",
        "prices_include_tax": True,
        "qr_kill_switch": False,
        "opening_hours": {"mon": [["11:00", "22:00"]]},
        "holidays": [],
        "qr_epoch": 2,
    }
    assert canonical_fields("store", from_sqlite) == from_event
    assert canonical_fields("store", from_event) == from_event


def test_an_orders_lines_are_brought_to_form_each():
    fields = {
        "total": 900,
        "hub_rev": 0,
        "order_lines": [{"id": "l1", "modifiers": "[]", "seat": None, "hub_rev": 0}],
    }
    assert canonical_fields("orders", fields) == {
        "total": 900,
        "order_lines": [{"id": "l1", "modifiers": [], "seat": None}],
    }


@pytest.mark.parametrize(
    ("entity", "fields", "code", "words"),
    [
        ("nachos", {}, "unknown_entity", "'nachos' is no entity"),
        ("print_jobs", {"state": "printed"}, "local_entity", "a print job stays on the box"),
        ("staff_sessions", {}, "local_entity", "a sign-in stays on the box"),
        ("menu_items", {"colour": "red"}, "unknown_field", "a menu item has no field 'colour'"),
        ("orders", {"online": True}, "unknown_field", "an order has no field"),
        ("menu_items", {"price": 4.5}, "bad_value", "menu item price should be a whole number"),
        ("menu_items", {"price": "450"}, "bad_value", "not '450'"),
        ("menu_items", {"price": True}, "bad_value", "whole number, not True"),
        ("menu_items", {"price": None}, "bad_value", "not null"),
        ("menu_items", {"available": 2}, "bad_value", "available should be true or false"),
        ("menu_items", {"available": "yes"}, "bad_value", "true or false"),
        ("menu_items", {"name": 7}, "bad_value", "name should be text"),
        ("store", {"holidays": "not json"}, "bad_value", "a list or an object"),
        ("store", {"holidays": "5"}, "bad_value", "a list or an object"),
        ("store", {"opening_hours": {"mon": [[11.5, 22]]}}, "bad_value", "float"),
        ("store", {"holidays": '[{"rate": 0.5}]'}, "bad_value", "float"),
        ("orders", {"order_lines": {"id": "l1"}}, "bad_value", "new order lines should be a list"),
        ("orders", {"order_lines": [{"name": "Soup"}]}, "missing_field", "order line needs its id"),
        ("orders", {"order_lines": [{"id": "l1", "quantity": "2"}]}, "bad_value", "quantity"),
    ],
)
def test_fields_that_do_not_fit_their_entity_are_refused_with_a_reason(entity, fields, code, words):
    with pytest.raises(BadEvent) as refused:
        canonical_fields(entity, fields)
    assert refused.value.code == code
    assert words in refused.value.message
    assert refused.value.reason.to_json() == {"code": code, "message": refused.value.message}


def test_a_json_value_nests_at_most_max_depth_levels():
    """orjson reads 1024 levels and writes 254: a value the hub could read and never write (nor
    send, wrapped in a page of changes) is refused as the value it is."""
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert canonical_fields("store", {"holidays": deepest})["holidays"] == json.loads(deepest)
    with pytest.raises(BadEvent, match=f"at most {MAX_DEPTH} levels") as refused:
        canonical_fields("store", {"holidays": f"[{deepest}]"})
    assert refused.value.code == "bad_value"


def test_null_where_the_column_allows_it():
    assert canonical_fields("orders", {"table_id": None}) == {"table_id": None}
    assert canonical_fields("printers", {"backup_printer_id": None}) == {"backup_printer_id": None}


# ---- store_digest --------------------------------------------------------------------------

ITEM = {
    "category_id": "c1",
    "name": "Soup",
    "description": "",
    "price": 450,
    "tax_rate_id": "t1",
    "station": "KITCHEN",
    "course": "MAINS",
    "position": 0,
    "available": True,
    "active": True,
}
ROWS = [
    ("menu_items", "i1", ITEM),
    ("menu_items", "i2", {**ITEM, "name": "Tea", "price": 200}),
    ("tax_rates", "t1", {"name": "IVA 13%", "rate_bp": 1300, "position": 0}),
    ("staff", "s1", {"name": "Ana", "role": "owner", "pin_hash": "h1", "active": True}),
]


def test_the_digest_is_sha256_of_each_canonical_row_on_its_line_in_order():
    lines = sorted(canonical_json([e, i, canonical_fields(e, f)]) + b"\n" for e, i, f in ROWS)
    assert store_digest(ROWS) == hashlib.sha256(b"".join(lines)).hexdigest()
    assert store_digest([]) == hashlib.sha256(b"").hexdigest()


@settings(max_examples=100, deadline=None)
@given(st.permutations(ROWS))
def test_the_digest_does_not_depend_on_the_order_rows_come_in(rows):
    assert store_digest(rows) == store_digest(ROWS)


def test_the_hubs_rows_leave_out_the_tickets_fired_before_the_boxs_cutoff_and_their_items():
    old, new = "2026-01-01T12:00:00.000Z", "2026-03-01T12:00:00.000Z"
    rows = [
        ("tickets", "t1", canonical_json({"fired_at": old}).decode()),
        ("tickets", "t2", canonical_json({"fired_at": new}).decode()),
        ("ticket_items", "i1", canonical_json({"ticket_id": "t1"}).decode()),
        ("ticket_items", "i2", canonical_json({"ticket_id": "t2"}).decode()),
        ("tax_rates", "r1", canonical_json({"name": "IVA"}).decode()),
    ]
    assert list(kept_rows(rows, None)) == rows
    assert [row[1] for row in kept_rows(rows, "2026-02-01T00:00:00.000Z")] == ["t2", "i2", "r1"]


def test_the_digest_reads_sqlite_rows_and_protocol_rows_alike():
    as_sqlite = [(e, i, {**f, "id": i, "hub_rev": 3}) for e, i, f in ROWS]
    as_sqlite[0][2]["available"] = 1
    assert store_digest(as_sqlite) == store_digest(ROWS)


CHANGES = st.sampled_from(
    [(row, field) for row in range(len(ROWS)) for field in ROWS[row][2]]
    + [(row, None) for row in range(len(ROWS))]
)


@settings(max_examples=200, deadline=None)
@given(CHANGES, st.data())
def test_the_digest_changes_with_any_one_field_or_id(change, data):
    index, field = change
    entity, row_id, fields = ROWS[index]
    rows = list(ROWS)
    if field is None:
        rows[index] = (entity, row_id + "x", fields)
    else:
        value = fields[field]
        kind = ENTITIES[entity].fields[field].name
        other = {"text": st.text(), "int": st.integers(0, 10**6), "bool": st.booleans()}[kind]
        new = data.draw(other.filter(lambda v: v != value))
        rows[index] = (entity, row_id, {**fields, field: new})
    assert store_digest(rows) != store_digest(ROWS)


def test_secrets_count_in_the_digest():
    changed = [*ROWS[:3], ("staff", "s1", {**ROWS[3][2], "pin_hash": "h2"})]
    assert store_digest(changed) != store_digest(ROWS)


def test_rows_in_order_are_hashed_as_they_come_and_out_of_order_refused():
    ordered = sorted(ROWS, key=lambda row: (row[0], row[1]))
    assert ordered_digest(iter(ordered)) == store_digest(ROWS)
    with pytest.raises(ValueError, match="comes after"):
        ordered_digest(reversed(ordered))


def test_rows_read_as_columns_hash_as_the_rows_themselves():
    """As a box's tables hold them: bools as 0/1, JSON as text, the id last."""

    def as_stored(entity, fields):
        kinds = ENTITIES[entity].fields
        return {
            name: int(value) if kinds[name].name == "bool" else
            json.dumps(value) if kinds[name].name == "json" else value
            for name, value in fields.items()
        }  # fmt: skip

    ordered = sorted(ROWS, key=lambda row: (row[0], row[1]))
    tables = {}
    for entity, row_id, fields in ordered:
        names, rows = tables.setdefault(entity, (tuple(fields), []))
        rows.append((*as_stored(entity, fields).values(), row_id))
    listed = [(entity, names, rows) for entity, (names, rows) in tables.items()]
    assert columns_digest(listed) == (store_digest(ROWS), len(ROWS))
    with pytest.raises(ValueError, match="comes after"):
        columns_digest([(entity, names, reversed(rows)) for entity, names, rows in listed])
    with pytest.raises(ValueError, match="not synced"):
        columns_digest([("sync_state", ("name",), [("x", "r1")])])


def test_rows_kept_as_canonical_json_hash_as_the_rows_themselves():
    stored = [(e, i, canonical_json(canonical_fields(e, f)).decode()) for e, i, f in ROWS]
    assert stored_digest(stored) == store_digest(ROWS)


def test_a_local_row_or_the_same_row_twice_is_a_bug_of_the_caller():
    with pytest.raises(ValueError, match="not synced"):
        store_digest([*ROWS, ("print_jobs", "j1", {"state": "queued"})])
    with pytest.raises(ValueError, match="twice"):
        store_digest([*ROWS, ROWS[0]])


# ---- the contract on a real store ----------------------------------------------------------


def _tables(conn):
    """Every synced row of the edge's database, as the edge would list them for its digest."""
    rows = []
    for entity in synced():
        columns = ", ".join(["id", *entity.fields])
        for row in conn.execute(f"SELECT {columns} FROM {entity.name}"):
            rows.append((entity.name, row["id"], dict(row)))
    return rows


def _replayed(conn):
    """The store rebuilt from nothing but its pushed events and the declarations, as the hub
    rebuilds it: creates completed with the columns' defaults, parts split off."""
    rows = {}
    synced_names = {entity.name for entity in synced()}
    for row in conn.execute("SELECT * FROM events WHERE origin = 'local' ORDER BY seq"):
        event = Event.from_row(row)
        if event.entity not in synced_names:
            continue
        own, parts = split_parts(event.entity, canonical_fields(event.entity, event.fields))
        key = (event.entity, event.entity_id)
        if event.op == "create":
            rows[key] = ENTITIES[event.entity].complete(own)
        elif event.op == "update":
            rows[key].update(own)
        else:
            del rows[key]
        for part, part_id, fields in parts:
            rows[(part, part_id)] = ENTITIES[part].complete(fields)
    return [(entity, row_id, fields) for (entity, row_id), fields in rows.items()]


@pytest.fixture
def busy_store(tmp_path, demo_template):
    """The demo store after a service: orders with lines added, sent, voided and taken back;
    an item 86'd, a price and the opening hours changed, a PIN reset, the kitchen's options
    changed."""
    path = tmp_path / "edge.db"
    shutil.copy(demo_template, path)
    conn = db.connect(path)
    writer = Writer(path, "n1")
    try:
        (waiter_id,) = conn.execute("SELECT id FROM staff WHERE role = 'waiter'").fetchone()
        waiter = Actor(waiter_id, "Wendy", "waiter", "till")
        plain = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM menu_items"
                " WHERE id NOT IN (SELECT item_id FROM item_modifier_groups)"
            )
        ]
        (table_id,) = conn.execute("SELECT id FROM tables LIMIT 1").fetchone()
        chosen = random.Random(7)
        for number in range(6):
            kind = {"kind": "table", "table_id": table_id} if number % 2 else {"kind": "counter"}
            lines = [
                {"item_id": chosen.choice(plain), "quantity": 2, "seat": 1},
                {"item_id": plain[0]},
            ]
            order = writer.run_sync(
                orders.create, waiter, {**kind, "lines": lines, "send": number > 2}
            )
            more = writer.run_sync(
                orders.add_lines, waiter, order["id"], {"lines": [{"item_id": plain[1]}]}
            )
            pending = [line for line in more["lines"] if line["state"] == "pending"]
            writer.run_sync(orders.remove_line, waiter, pending[-1]["id"])
            if number > 2:
                writer.run_sync(
                    orders.void_line, SYSTEM, more["lines"][0]["id"], "dropped on the floor"
                )
        writer.run_sync(menu.set_available, SYSTEM, plain[2], False)
        writer.run_sync(menu.update_item, SYSTEM, plain[3], {"price": 1234, "description": "new"})
        writer.run_sync(store.update, SYSTEM, {"opening_hours": {"mon": [["12:00", "15:00"]]}})
        writer.run_sync(staff.update, SYSTEM, waiter_id, {"pin_hash": staff.hash_pin("9090")})
        writer.run_sync(stations.update_settings, SYSTEM, {"warn_minutes": 6})
        with freeze_time("2026-11-23 13:00:00"):  # a guest orders, Monday in the hours above
            token = tables.qr_token(b"secret", table_id, 1, 1)
            joined = writer.run_sync(table_sessions.scan, b"secret", {"token": token})[1]
            guest = table_sessions.guest(conn, b"secret", joined["guest_token"], utcnow())
            writer.run_sync(table_sessions.join, guest, {"nickname": "Ana"})
            writer.run_sync(drafts.add_line, guest, {"item_id": plain[0], "quantity": 2})
            sent = writer.run_sync(drafts.send, guest)
            writer.run_sync(drafts.confirm, waiter, sent["id"])
        _pos_service(writer, conn, plain)
    finally:
        writer.close()
    yield conn
    conn.close()


SYSTEM_AT_TILL = dataclasses.replace(SYSTEM, device="till")  # an owner at the till's shift


def _pos_service(writer: Writer, conn, plain: list[str]) -> None:
    """At the till: the rules and a promo code, a shift, a check with the promo split in two
    and paid (cash, then card), a refund, a pay-in, the close, an X report, a pay link."""
    (cashier_id,) = conn.execute("SELECT id FROM staff WHERE role = 'cashier'").fetchone()
    till = Actor(cashier_id, "Carla", "cashier", "till")
    writer.run_sync(pos_config.update, SYSTEM, {"service_bp": 500})
    writer.run_sync(
        pos_config.create_promo, SYSTEM, {"code": "TEN", "kind": "percent", "value": 1000}
    )
    writer.run_sync(shifts.open_shift, till, {"float": 5000})
    lines = [{"item_id": plain[4], "quantity": 3}, {"item_id": plain[5]}]
    order = writer.run_sync(orders.create, till, {"kind": "counter", "lines": lines})
    check = writer.run_sync(checks.open_check, till, {"order_id": order["id"]})
    writer.run_sync(discounts.add_discount, till, check["id"], {"promo_code": "TEN"})
    parts = writer.run_sync(check_splits.split, till, check["id"], {"by": "even", "ways": 2})[
        "parts"
    ]
    cash = writer.run_sync(payments.take, till, parts[0]["id"], {"method": "cash", "given": 10_000})
    writer.run_sync(payments.take, till, parts[1]["id"], {"method": "card", "reference": "T1"})
    writer.run_sync(
        payments.refund, SYSTEM_AT_TILL, cash["payment"]["id"], {"amount": 50, "reason": "r"}
    )
    writer.run_sync(shifts.move, till, {"kind": "pay_in", "amount": 500, "reason": "coins"})
    writer.run_sync(shifts.close, till, {"counted": {"5000": 2}})
    writer.run_sync(reports.make, SYSTEM_AT_TILL, {"kind": "x"})
    other = writer.run_sync(orders.create, till, {"kind": "counter", "lines": lines})
    open_check = writer.run_sync(checks.open_check, till, {"order_id": other["id"]})
    intent = {"id": "pi_1", "amount": open_check["total"], "url": "http://127.0.0.1:9/pay/pi_1"}
    writer.run_sync(pay_at_table.record, till, open_check["id"], intent)


def test_a_real_stores_events_rebuild_its_tables_to_the_same_digest(busy_store):
    """Secrets included: the events carry the PIN reset's hash, so that it syncs."""
    tables = _tables(busy_store)
    assert {entity for entity, _, _ in tables} == {entity.name for entity in synced()}
    # 4 at the till, 1 a guest's
    assert sum(entity == "order_lines" for entity, _, _ in tables) == 12 + 4 + 1
    assert store_digest(_replayed(busy_store)) == store_digest(tables)
