"""Migrations that move a hub's data, run on a database holding some (SQLite, and PostgreSQL as
a plain tables' owner, whom row-level security holds)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from hub.migrations import SCHEMA_TABLE, latest, migrations
from hub.storage import postgresql
from hub.storage.sqlite import SqliteStorage
from sync.ids import uuid7
from tests import pg

AT = "2026-01-02T03:04:05.000Z"
Run = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def _before_streams(run: Run, tenant: Callable[[str], None]) -> dict[str, str]:
    """A hub at schema 2: a store whose first box pushed two events and was replaced by a
    second box (enrolled later), and a store that never pushed; their ids."""
    ids = {name: uuid7() for name in ("tenant", "pushed", "idle")}
    tenant(ids["tenant"])
    run("INSERT INTO tenants VALUES (?, 'T', ?)", (ids["tenant"], AT))
    for store, upto in (("pushed", 2), ("idle", 0)):
        run(
            "INSERT INTO stores (id, tenant_id, name, push_upto, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (ids[store], ids["tenant"], store, upto, AT),
        )
    for key, node, at in (("k-new", "n-new", "2026-02-01"), ("k-old", "n-old", "2026-01-01")):
        run(
            "INSERT INTO devices (key_id, tenant_id, store_id, public_key_pem, node,"
            " enrolled_at) VALUES (?, ?, ?, 'pem', ?, ?)",
            (key, ids["tenant"], ids["pushed"], node, at),
        )
    for seq in (1, 2):
        run(
            "INSERT INTO inbox (store_id, seq, tenant_id, event_id, status, event, verdict, at)"
            " VALUES (?, ?, ?, ?, 'applied', '{}', '{}', ?)",
            (ids["pushed"], seq, ids["tenant"], uuid7(), AT),
        )
    for cursor, source in ((1, "edge"), (2, "hub"), (3, "edge")):
        run(
            "INSERT INTO changes (cursor, tenant_id, store_id, id, hlc, at, entity, entity_id,"
            " op, fields, rev, actor, source, seq, kept)"
            " VALUES (?, ?, ?, ?, 'h', ?, 'orders', ?, 'create', '{}', ?, NULL, ?, NULL, '{}')",
            (cursor, ids["tenant"], ids["pushed"], uuid7(), AT, uuid7(), cursor, source),
        )
    return ids


def _check_streams(run: Run, ids: dict[str, str]) -> None:
    """The pushes so far are the first box's stream: its cursor, its inbox, its changes."""
    assert run("SELECT store_id, node, push_upto FROM streams", ()) == [(ids["pushed"], "n-old", 2)]
    assert run("SELECT node, seq FROM inbox ORDER BY seq", ()) == [("n-old", 1), ("n-old", 2)]
    assert run("SELECT source FROM changes ORDER BY cursor", ()) == [
        ("n-old",),
        ("hub",),
        ("n-old",),
    ]


def test_sqlite_pushes_before_streams_become_the_first_boxs(tmp_path):
    path = tmp_path / "hub.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(SCHEMA_TABLE)
    for migration in migrations("sqlite")[:2]:
        conn.executescript(f"BEGIN;\n{migration.sql}\nCOMMIT;")
        conn.execute(
            "INSERT INTO hub_schema VALUES (?, ?, ?)", (migration.version, migration.name, AT)
        )

    def run(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(statement, params).fetchall()

    ids = _before_streams(run, lambda _: None)
    conn.close()
    storage = SqliteStorage(path)
    try:
        assert storage.migrate() == latest()
    finally:
        storage.close()
    conn = sqlite3.connect(path)
    try:
        _check_streams(run, ids)
    finally:
        conn.close()


@pytest.fixture
def plain_owner(pg_urls) -> Iterator[str]:
    """A new database owned by a role that is no superuser (row-level security holds it)."""
    server_url, _ = pg_urls
    name = f"galley_owner_{uuid7().replace('-', '')[-12:]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(*[sql.Identifier(name)] * 2))
    try:
        yield pg.with_database(server_url, name, user=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_postgresql_pushes_before_streams_become_the_first_boxs(plain_owner):
    with psycopg.connect(plain_owner, autocommit=True) as conn:
        conn.execute(SCHEMA_TABLE)
        for migration in migrations("postgresql")[:2]:
            with conn.transaction():
                conn.execute(migration.sql.encode())
                conn.execute(
                    "INSERT INTO hub_schema VALUES (%s, %s, %s)",
                    (migration.version, migration.name, AT),
                )

        def run(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            found = conn.execute(statement.replace("?", "%s"), params)
            return found.fetchall() if found.description else []

        def tenant(tenant_id: str) -> None:
            conn.execute("SELECT set_config('galley.tenant', %s, false)", (tenant_id,))

        ids = _before_streams(run, tenant)
        assert postgresql.migrate(plain_owner) == latest()  # a connection with no tenant set
        _check_streams(run, ids)
