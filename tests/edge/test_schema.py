"""The schema itself: what its constraints cost each write, and upgrades that keep every row."""

import re
import sqlite3
from pathlib import Path

import pytest

from edge.core import db
from edge.core.events import _insert_sql
from edge.core.identity import prepare
from edge.core.permissions import Actor
from edge.domain import orders
from edge.runtime.writer import Writer
from edge.setup import demo

REBUILT = ("events", "staff", "orders", "order_lines", "printers", "print_jobs")


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]


def _opcodes(conn: sqlite3.Connection, sql: str, parameters: int) -> list[str]:
    return [row[1] for row in conn.execute(f"EXPLAIN {sql}", [None] * parameters)]


def test_no_insert_or_update_builds_a_throwaway_table(tmp_path):
    # SQLite builds a b-tree on every run of a statement whose CHECK has `IN` with more than two
    # values: three per order once, about 12 % of the writer's work (migration 0004).
    path = tmp_path / "edge.db"
    prepare(path)
    conn = db.connect(path)
    tables = _tables(conn)
    assert "order_lines" in tables and "events" in tables
    for table in tables:
        columns = [row["name"] for row in conn.execute(f"PRAGMA table_info({table})")]
        insert = _insert_sql(table, tuple(columns))  # as edge.core.events.commit writes
        update = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE rowid = ?"
        assert "OpenEphemeral" not in _opcodes(conn, insert, len(columns)), table
        assert "OpenEphemeral" not in _opcodes(conn, update, len(columns) + 1), table


def _contents(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {
        table: [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
        for table in REBUILT
    }


def _indexes(conn: sqlite3.Connection) -> list[tuple]:
    return [
        tuple(row)
        for row in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name"
        )
    ]


STATUS_TABLE = next(
    re.search(r"CREATE TABLE printer_status \(.*?\n\);", sql, re.S).group(0)
    for version, _, sql in db.migrations()
    if version == 7
)
# The kitchen's tables, which today's code fires a sent order into.
KITCHEN_TABLES = next(sql for _, name, sql in db.migrations() if name.endswith("_kitchen.sql"))


PLU_COLUMNS = ("plu", "barcode")


def test_migration_4_rebuilds_tables_keeping_every_row_index_and_reference(tmp_path):
    path = tmp_path / "edge.db"
    conn = db.connect(path)
    assert db.migrate(conn, target=3) == 3
    # Today's code seeds it, and reads a printer's status from the table migration 7 makes and
    # fires a sent order into the kitchen's tables, and the store's daily pass setting of
    # QR ordering's migration: there for the seeding only.
    conn.execute(STATUS_TABLE)
    conn.executescript(KITCHEN_TABLES)
    conn.execute("ALTER TABLE store ADD COLUMN daily_pass INTEGER NOT NULL DEFAULT 0")
    for column in PLU_COLUMNS:  # today's demo gives its items PLUs (a later migration's)
        conn.execute(f"ALTER TABLE menu_items ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE order_lines ADD COLUMN void_day TEXT")  # a void's day (0023)
    writer = Writer(path, "n1")
    try:
        writer.run_sync(demo.seed, demo.pin_hashes(), "http://192.0.2.10:8000")
        waiter_id, name = conn.execute(
            "SELECT id, name FROM staff WHERE role = 'waiter'"
        ).fetchone()
        waiter = Actor(waiter_id, name, "waiter", "till")
        (item_id,) = conn.execute(
            "SELECT id FROM menu_items WHERE id NOT IN (SELECT item_id FROM item_modifier_groups)"
            " LIMIT 1"
        ).fetchone()
        for send in (False, True):
            writer.run_sync(
                orders.create,
                waiter,
                {"kind": "counter", "lines": [{"item_id": item_id}], "send": send},
            )
    finally:
        writer.close()
    conn.execute("DROP TABLE printer_status")
    for table in ("ticket_items", "tickets", "kitchen_settings", "stations"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE store DROP COLUMN daily_pass")
    for column in PLU_COLUMNS:
        conn.execute(f"ALTER TABLE menu_items DROP COLUMN {column}")
    conn.execute("ALTER TABLE order_lines DROP COLUMN void_day")
    before, indexes = _contents(conn), _indexes(conn)
    assert before["print_jobs"] and before["order_lines"] and before["printers"]

    assert db.migrate(conn, target=4) == 4  # later migrations may add tables and indexes

    assert _contents(conn) == before
    assert Path(f"{path}-wal").stat().st_size == 0  # folded in, not left as big as the tables
    assert _indexes(conn) == indexes
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # enforced again
    # The rules still hold: only the way SQLite checks them changed.
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE order_lines SET state = 'eaten'")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute("UPDATE order_lines SET order_id = 'no such order'")


def test_a_migration_that_breaks_a_reference_is_rolled_back(tmp_path, monkeypatch):
    path = tmp_path / "edge.db"
    prepare(path)
    conn = db.connect(path)
    good = db.migrations()
    orphan = "INSERT INTO tables (id, area_id, name) VALUES ('t1', 'gone', 'T1');"
    monkeypatch.setattr(db, "migrations", lambda: [*good, (len(good) + 1, "bad.sql", orphan)])
    with pytest.raises(sqlite3.IntegrityError, match="broken references"):
        db.migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(good)
    assert conn.execute("SELECT COUNT(*) FROM tables").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migration_7_moves_a_printers_status_to_a_table_of_its_own(tmp_path):
    conn = db.connect(tmp_path / "edge.db")
    assert db.migrate(conn, target=6) == 6
    conn.execute(
        "INSERT INTO printers (id, name, role, transport, online, paper_out, error, checked_at,"
        " created_at) VALUES"
        " ('p1', 'Bar', 'kitchen', '{}', 0, 1, 'paper out', '2026-01-02T03:04:05Z', '2026-01-01'),"
        " ('p2', 'Till', 'receipt', '{}', NULL, 0, '', NULL, '2026-01-01')"
    )
    assert db.migrate(conn, target=7) == 7
    status = [dict(row) for row in conn.execute("SELECT * FROM printer_status")]
    assert status == [
        {
            "id": "p1",
            "online": 0,
            "paper_near_end": 0,
            "paper_out": 1,
            "cover_open": 0,
            "error": "paper out",
            "checked_at": "2026-01-02T03:04:05Z",
            "hub_rev": 0,
        }
    ]  # a printer never read has no status yet
    columns = [row["name"] for row in conn.execute("PRAGMA table_info(printers)")]
    assert "online" not in columns and "checked_at" not in columns and "transport" in columns
    assert [row[0] for row in conn.execute("SELECT id FROM printers ORDER BY id")] == ["p1", "p2"]
