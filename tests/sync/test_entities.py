"""The one declaration of every entity, read against the edge's real schema."""

import json

import pytest

from edge.core import db
from sync.entities import ENTITIES, REQUIRED, split_parts, synced
from sync.errors import BadEvent

# Tables of the edge that hold no entity: the event log itself, the box's identity and where it
# stands with the hub, and the bookkeeping beside writes. Anything else the migrations make must
# be declared, and the reverse.
NOT_ENTITIES = {"events", "box", "idempotency_keys", "sync_state"}
SQL_TYPES = {"text": "TEXT", "json": "TEXT", "int": "INTEGER", "bool": "INTEGER", "blob": "BLOB"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """Every table's columns, as the edge's migrations leave them: name -> PRAGMA table_info."""
    conn = db.connect(tmp_path_factory.mktemp("schema") / "edge.db")
    db.migrate(conn)
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: {row["name"]: row for row in conn.execute(f"PRAGMA table_info({table})")}
        for table in tables
    }


def _sql_default(kind, text):
    """A column's DEFAULT as the protocol writes its value."""
    if text is None or text == "NULL":
        return None
    value = text[1:-1].replace("''", "'") if text.startswith("'") else int(text)
    if kind.name == "bool":
        return bool(value)
    return json.loads(value) if kind.name == "json" else value


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_each_entity_is_its_edge_table_column_by_column(schema, name):
    entity = ENTITIES[name]
    columns = dict(schema[name])
    assert columns.pop("id")["pk"] == 1
    assert columns.pop("hub_rev")["dflt_value"] == "0"
    assert list(entity.fields) == list(columns)
    for field, kind in entity.fields.items():
        column = columns[field]
        assert SQL_TYPES[kind.name] == column["type"], field
        assert kind.nullable == (not column["notnull"]), field
        expected = _sql_default(kind, column["dflt_value"])
        if kind.default is REQUIRED:
            assert column["dflt_value"] is None and column["notnull"], field
        else:
            assert kind.default == expected and type(kind.default) is type(expected), field


def test_every_table_the_migrations_make_is_declared_and_nothing_else(schema):
    assert set(ENTITIES) == set(schema) - NOT_ENTITIES


def test_owners_follow_the_design():
    owners = {
        owner: {e.name for e in ENTITIES.values() if e.owner == owner}
        for owner in ("hub", "edge", "local")
    }
    assert owners == {
        "hub": {
            "store",
            "tax_rates",
            "menu_categories",
            "menu_items",
            "modifier_groups",
            "modifiers",
            "item_modifier_groups",
            "areas",
            "tables",
            "staff",
            "printers",
            "pos_settings",
            "promo_codes",
            "stations",
            "kitchen_settings",
        },
        "edge": {
            "orders",
            "order_lines",
            "tickets",
            "ticket_items",
            "checks",
            "check_items",
            "check_discounts",
            "shifts",
            "drawer_moves",
            "payments",
            "refunds",
            "reports",
            "pay_links",
            "table_sessions",
            "session_members",
            "drafts",
            "draft_lines",
        },
        "local": {
            "staff_sessions",
            "daily_passes",  # read out in the room for a day: no use to the hub
            "box_time",  # the time a manager gave this box's clock: no other box's
            "devices",
            "pairing_codes",
            "pin_failures",
            "pin_lockouts",
            "print_jobs",
            "printer_status",
            "sync_conflicts",
            "sync_rejections",
            "provider_events",
        },
    }
    assert {e.name for e in synced()} == owners["hub"] | owners["edge"]


def test_nothing_synced_holds_bytes_and_parts_are_synced_entities():
    for entity in synced():
        assert all(kind.name != "blob" for kind in entity.fields.values()), entity.name
        assert entity.secret <= entity.fields.keys()
        if entity.parts:
            assert ENTITIES[entity.parts].owner == entity.owner
    assert ENTITIES["staff"].secret == {"pin_hash"}
    assert ENTITIES["devices"].secret == {"secret_hash"}
    assert ENTITIES["orders"].parts == "order_lines"


def test_nouns_are_what_the_audit_says():
    assert ENTITIES["order_lines"].noun == "order line"
    assert ENTITIES["menu_items"].noun == "menu item"


def test_a_create_is_completed_with_the_columns_defaults():
    item = ENTITIES["menu_items"]
    row = item.complete({"category_id": "c", "name": "Soup", "price": 450, "tax_rate_id": "t"})
    assert row == {
        "category_id": "c",
        "name": "Soup",
        "description": "",
        "price": 450,
        "tax_rate_id": "t",
        "station": "KITCHEN",
        "course": "MAINS",
        "position": 0,
        "available": True,
        "active": True,
        "plu": "",
        "barcode": "",
    }
    store = ENTITIES["store"].complete({"name": "Café"})
    store["holidays"].append({"date": "2026-12-25"})  # a default is never shared between rows
    assert ENTITIES["store"].complete({"name": "Café"})["holidays"] == []
    with pytest.raises(BadEvent) as refused:
        item.complete({"name": "Soup"})
    assert refused.value.code == "missing_field"
    assert "menu item needs category_id" in refused.value.message


def test_secrets_are_masked_for_showing_only():
    staff = ENTITIES["staff"]
    fields = {"name": "Ana", "pin_hash": "scrypt$..."}
    assert staff.masked(fields) == {"name": "Ana", "pin_hash": "***"}
    assert fields["pin_hash"] == "scrypt$..."
    assert ENTITIES["menu_items"].masked({"price": 1}) == {"price": 1}


def test_an_orders_event_carries_its_new_lines_as_part_rows():
    fields = {
        "total": 900,
        "order_lines": [{"id": "l1", "name": "Soup"}, {"id": "l2", "name": "Tea"}],
    }
    own, parts = split_parts("orders", fields)
    assert own == {"total": 900}
    assert parts == [
        ("order_lines", "l1", {"name": "Soup"}),
        ("order_lines", "l2", {"name": "Tea"}),
    ]
    assert "order_lines" in fields  # the event itself is left as it was
    assert split_parts("menu_items", {"price": 1}) == ({"price": 1}, [])
    assert split_parts("orders", {"status": "closed"}) == ({"status": "closed"}, [])
