"""The PostgreSQL backend: psycopg 3, a pool of connections per process, row-level security.

Each transaction borrows a connection, runs in a worker thread, and tells PostgreSQL which
tenant acts (`set_config('galley.tenant', ..., true)`, local to the transaction); the policies
of 0001_hub.postgresql.sql show it that tenant's rows only. The hub connects as a login role
granted `galley_hub_app`, which owns no table: a superuser, a role with BYPASSRLS or the
tables' owner would pass row-level security, so the hub refuses to serve as one.

Migrations run as the tables' owner (`migrate`, with its own URL), one at a time across every
process that starts together (an advisory lock).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import anyio.to_thread
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from hub.migrations import SCHEMA_TABLE, latest, migrations
from hub.storage.tx import Tx
from service.errors import StorageError
from sync.clock import now_iso

log = logging.getLogger(__name__)
T = TypeVar("T")
_MIGRATION_LOCK = 0x6761_6C6C_6579  # "galley": one migrator at a time on a server
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) (VALUES \((?:\?, )*\?\))")


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """`?` (the SQL both backends share) as psycopg's `%s`."""
    return sql.replace("?", "%s")


_UNNESTED: dict[tuple[str, tuple[bool, ...]], str] = {}  # an INSERT of one row, the columns
# given one value -> the INSERT of one array per column


class PostgresTx(Tx):
    FOR_UPDATE = " FOR UPDATE"

    def __init__(self, cursor: psycopg.Cursor[dict[str, Any]]) -> None:
        super().__init__()
        self.cursor = cursor

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.cursor.execute(_placeholders(sql), params)
        return self.cursor.fetchall()

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.cursor.connection.cursor() as cursor:
            cursor.execute(_placeholders(sql), params)
            return cursor.fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cursor.execute(_placeholders(sql), params)
        return self.cursor.rowcount

    def _many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Rows inserted in one statement whatever their number: an array per column, unnested.
        A row to a statement cost psycopg about 40 us and PostgreSQL a statement's overhead for
        each row; rows spelled out as VALUES made a statement text (and a parse) per count of
        rows, or, within the 50 parameters whose parsed form psycopg keeps, a statement per few
        rows (some 500 for a batch of 500 events). This one's text and parameters (one per
        column, well within those 50) are the same for every batch of the same shape: psycopg
        and PostgreSQL prepare it once. The arrays go in binary (`%b`): psycopg escaped text
        arrays value by value, five times the CPU. Measured with sync_reconcile (full, back to
        back): 22.9 and 25.7 s before, 21.1 and 22.2 s after.

        A column whose value is the same in every row (the store, the tenant, the time of a
        batch, an event's actor, a row's empty field revisions) goes as that one value: psycopg
        dumps an array value by value, and near half of a push's values were such repeats
        (the hub's CPU in this method, the reconcile's 48,032 events replayed into a fresh
        hub, two A/B pairs: 0.94 and 0.95 -> 0.73 and 0.80 s)."""
        rows = list(params)
        if not rows:
            return
        columns = [list(column) for column in zip(*rows, strict=True)]
        count = len(rows)
        same = [column.count(column[0]) == count for column in columns]
        if all(same):  # one array still: the statement inserts as many rows as it is given
            same[0] = False
        ones = [column[0] for column, one in zip(columns, same, strict=True) if one]
        arrays = [column for column, one in zip(columns, same, strict=True) if not one]
        self.cursor.execute(self._unnested(sql, tuple(same)), [*ones, *arrays])

    def _unnested(self, sql: str, same: tuple[bool, ...]) -> str:
        """`sql`, an INSERT of one row (`VALUES (?, ...)`), as the INSERT of the rows of one
        array per column, or one value for each column `same` marks (the values first, then the
        arrays, as in the statement), each cast to its column's type (read from the catalog)."""
        found = _UNNESTED.get((sql, same))
        if found is None:
            insert = _INSERT.search(sql)
            if insert is None:
                raise ValueError(f"not an INSERT of one row: {sql}")
            table, names = insert.group(1), [name.strip() for name in insert.group(2).split(",")]
            self.cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0",
                (table,),
            )
            types = {row["attname"]: row["type"] for row in self.cursor.fetchall()}
            pairs = list(zip(names, same, strict=True))
            picked = ", ".join(f"%s::{types[name]}" if one else f"u.{name}" for name, one in pairs)
            unnested = [name for name, one in pairs if not one]
            arrays = ", ".join(f"%b::{types[name]}[]" for name in unnested)
            found = _UNNESTED[(sql, same)] = _placeholders(
                f"{sql[: insert.start(3)]}SELECT {picked} FROM unnest({arrays})"
                f" AS u ({', '.join(unnested)}){sql[insert.end(3) :]}"
            )
        return found

    def _records_by_key(
        self, store_id: str, by_entity: dict[str, set[str]]
    ) -> Iterator[dict[str, Any]]:
        """One query whatever the entities and the count: each key looked up by the whole
        primary key (a LATERAL lookup per key; its LIMIT keeps the planner from flattening it
        into a join it may plan as a scan). `entity = ? AND id IN (...)` let the planner
        take the primary key's first two columns only and test each of the entity's rows against
        the list, as it did on a young table whose statistics (none yet: a new hub, or a new
        store's first push) made it look small: every batch of a backlog read all the store's
        orders so far, a push that grew with the square of its events (sync_reconcile, 20,000
        orders: PostgreSQL's CPU 12.4 s, most of it in that scan)."""
        entities = [entity for entity, ids in by_entity.items() for _ in ids]
        ids = [row_id for found in by_entity.values() for row_id in found]
        if not ids:
            return iter(())
        self.cursor.execute(
            "SELECT r.entity, r.id, r.rev, r.fields, r.field_revs, r.deleted"
            " FROM unnest(%b::text[], %b::text[]) AS k (entity, id) CROSS JOIN LATERAL"
            " (SELECT entity, id, rev, fields, field_revs, deleted FROM rows"
            "  WHERE tenant_id = %s AND store_id = %s AND entity = k.entity AND id = k.id"
            "  LIMIT 1) AS r",
            (entities, ids, self._who(), store_id),
        )
        return iter(self.cursor.fetchall())

    def _set(self, name: str, value: str) -> None:
        self.cursor.execute("SELECT set_config(%s, %s, true)", (name, value))

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        with self.cursor.connection.pipeline():
            yield

    def next_cursors(self, count: int) -> list[int]:
        if count == 0:
            return []
        self.cursor.execute(
            "SELECT nextval('changes_cursor_seq') AS cursor FROM generate_series(1, %s)", (count,)
        )
        return sorted(row["cursor"] for row in self.cursor.fetchall())


def migrate(owner_url: str) -> int:
    """Bring the schema up to date, connected as the tables' owner; the version it is at."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        for migration in migrations("postgresql"):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                conn.execute(SCHEMA_TABLE)
                done = conn.execute(
                    "SELECT 1 FROM hub_schema WHERE version = %s", (migration.version,)
                ).fetchone()
                if done:
                    continue
                log.info("applying hub migration %04d_%s", migration.version, migration.name)
                conn.execute(migration.sql.encode())  # no parameters: a script of statements
                conn.execute(
                    "INSERT INTO hub_schema (version, name, applied_at) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, now_iso()),
                )
    return latest()


class PostgresStorage:
    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url,
            min_size=min(2, pool_size),
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=False,
            name="galley-hub",
            timeout=10.0,
        )
        self.pool.open(wait=True, timeout=30.0)

    def check(self) -> None:
        """Refuse a schema other than this hub's, and a role that row-level security does not
        hold."""
        with self.pool.connection() as conn:
            found = conn.execute("SELECT to_regclass('hub_schema') IS NOT NULL").fetchone()
            version = 0
            if found and found[0]:
                row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM hub_schema").fetchone()
                version = row[0] if row else 0
            if version != latest():
                raise RuntimeError(
                    f"the hub's database is at schema version {version}, this hub needs"
                    f" {latest()}: run `galley hub migrate` with GALLEY_HUB_MIGRATE_URL set to"
                    " a URL of the tables' owner"
                )
            row = conn.execute(
                "SELECT r.rolsuper, r.rolbypassrls, pg_has_role(current_user, t.tableowner,"
                " 'MEMBER') FROM pg_roles r, pg_tables t WHERE r.rolname = current_user"
                " AND t.tablename = 'rows' AND t.schemaname = current_schema()"
            ).fetchone()
            if row is None or any(row):
                raise RuntimeError(
                    "the hub connects to PostgreSQL as a superuser, a role with BYPASSRLS or the"
                    " tables' owner, which row-level security does not hold: connect as a login"
                    " role granted galley_hub_app (README, Hub on PostgreSQL)"
                )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(tx, *args)` in one transaction, in a worker thread."""
        return await anyio.to_thread.run_sync(self._transact, fn, args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self._transact(fn, args)

    def _transact(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            with (
                self.pool.connection() as conn,
                conn.transaction(),
                conn.cursor(row_factory=dict_row) as cursor,
            ):
                return fn(PostgresTx(cursor), *args)
        except PoolTimeout:
            log.error("no PostgreSQL connection free in time")
            raise StorageError("the hub's database is busy; try again") from None
        except psycopg.Error as error:
            log.exception("PostgreSQL refused a transaction")
            raise StorageError(
                "the hub's database refused the change; nothing was written"
            ) from error

    def close(self) -> None:
        self.pool.close()
