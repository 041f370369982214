"""The schema itself: what its constraints cost each write, and upgrades that keep every row."""

import sqlite3
from pathlib import Path

import pytest

from edge import db, demo
from edge.box import prepare
from edge.domain import orders
from edge.events import _insert_sql
from edge.permissions import Actor
from edge.writer import Writer

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
        insert = _insert_sql(table, tuple(columns))  # as edge.events.commit writes
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


def test_migration_4_rebuilds_tables_keeping_every_row_index_and_reference(tmp_path):
    path = tmp_path / "edge.db"
    conn = db.connect(path)
    assert db.migrate(conn, target=3) == 3
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
    before, indexes = _contents(conn), _indexes(conn)
    assert before["print_jobs"] and before["order_lines"] and before["printers"]

    assert db.migrate(conn, target=4) == 4

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
