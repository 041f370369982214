"""The storage contract: every operation the hub does, written once, run on SQLite and on
PostgreSQL (each test makes its own tenants; the PostgreSQL database is shared by the session).
"""

import threading

import psycopg
import pytest
from psycopg import sql

from hub.config import HubSettings
from hub.migrations import latest
from hub.storage import open_storage, postgresql
from hub.storage.sqlite import CHECKPOINT_ROWS, SqliteStorage
from hub.storage.tx import ChangeRow, InboxEntry, Row, Tx
from service.errors import GalleyError
from sync.ids import uuid7
from sync.merge import FieldRev
from tests import pg

AT = "2026-01-02T03:04:05.000Z"


def _tenant(storage, name="T"):
    tenant_id, store_id = uuid7(), uuid7()

    def make(tx: Tx):
        tx.add_tenant(tenant_id, name, AT)
        tx.add_store(store_id, f"{name} store", AT)

    storage.run_sync(make)
    return tenant_id, store_id


def _as(storage, tenant_id, fn, *args):
    def scoped(tx: Tx):
        tx.become(tenant_id)
        return fn(tx, *args)

    return storage.run_sync(scoped)


def _change(cursor, entity_id, **more):
    values = dict(
        cursor=cursor, id=uuid7(), hlc="1767225600000-0000-hub", at=AT, entity="menu_items",
        entity_id=entity_id, op="update", fields={"price": cursor}, rev=cursor, actor="a@b.c",
        source="hub", seq=None, kept={},
    )  # fmt: skip
    return ChangeRow(**{**values, **more})


def test_tenants_owners_and_sessions(storage):
    tenant_id, _ = _tenant(storage)
    email = f"{uuid7()}@example.com"
    owner_id = uuid7()
    assert _as(storage, tenant_id, Tx.add_owner, owner_id, email, "hash", AT)
    other, _ = _tenant(storage)
    assert not _as(storage, other, Tx.add_owner, uuid7(), email, "hash", AT)  # taken by anyone
    found = storage.run_sync(Tx.owner_by_email, email)
    assert found == {
        "id": owner_id,
        "tenant_id": tenant_id,
        "email": email,
        "password_hash": "hash",
    }
    assert storage.run_sync(Tx.owner_by_email, "nobody@example.com") is None
    assert _as(storage, tenant_id, Tx.owner, owner_id)["email"] == email
    assert _as(storage, other, Tx.owner, owner_id) is None
    assert _as(storage, tenant_id, Tx.tenant_row)["name"] == "T"

    _as(storage, tenant_id, Tx.add_session, "h1", owner_id, AT, "2026-01-03T00:00:00.000Z")
    session = storage.run_sync(Tx.session, "h1")
    assert session == {"tenant_id": tenant_id, "owner_id": owner_id,
                       "expires_at": "2026-01-03T00:00:00.000Z", "ended_at": None}  # fmt: skip
    _as(storage, other, Tx.end_session, "h1", AT)  # another tenant cannot end it
    assert storage.run_sync(Tx.session, "h1")["ended_at"] is None
    _as(storage, tenant_id, Tx.end_session, "h1", AT)
    assert storage.run_sync(Tx.session, "h1")["ended_at"] == AT


def test_stores_lock_and_push_cursor(storage):
    tenant_id, store_id = _tenant(storage, "A")
    other, other_store = _tenant(storage, "B")
    assert [s["id"] for s in _as(storage, tenant_id, Tx.stores)] == [store_id]
    assert _as(storage, tenant_id, Tx.store, other_store) is None
    locked = _as(storage, tenant_id, Tx.lock_stores, [other_store, store_id, store_id])
    assert [s["id"] for s in locked] == [store_id]
    _as(storage, tenant_id, Tx.set_push_upto, store_id, "box-1", 42)
    _as(storage, other, Tx.set_push_upto, store_id, "box-1", 99)  # not B's store: nothing
    _as(storage, tenant_id, Tx.set_push_upto, store_id, "box-2", 7)  # each box its own
    assert _as(storage, tenant_id, Tx.push_upto, store_id, "box-1") == 42
    assert _as(storage, tenant_id, Tx.push_upto, store_id, "box-2") == 7
    assert _as(storage, tenant_id, Tx.push_upto, store_id, "box-3") == 0
    assert _as(storage, other, Tx.push_upto, store_id, "box-1") == 0
    assert _as(storage, tenant_id, Tx.store, store_id)["push_upto"] == 7  # who pushed last


def test_a_locked_store_waits_for_the_transaction_that_holds_it(storage):
    tenant_id, store_id = _tenant(storage)
    holding, order = threading.Event(), []

    def hold(tx: Tx):
        tx.become(tenant_id)
        tx.lock_stores([store_id])
        holding.set()
        order.append("first")
        threading.Event().wait(0.2)  # a lock held: the second waits (no assertion on time)
        tx.set_push_upto(store_id, "box-1", 1)
        order.append("first done")

    def second(tx: Tx):
        tx.become(tenant_id)
        [store] = tx.lock_stores([store_id])
        order.append(f"second saw {store['push_upto']}")

    first = threading.Thread(target=storage.run_sync, args=(hold,))
    first.start()
    holding.wait(10)
    storage.run_sync(second)
    first.join(10)
    assert order == ["first", "first done", "second saw 1"]


def test_codes_are_used_once(storage):
    tenant_id, store_id = _tenant(storage)
    _as(storage, tenant_id, Tx.add_code, "c1", store_id, AT, "2026-01-03T00:00:00.000Z")
    assert storage.run_sync(Tx.code, "c1")["store_id"] == store_id
    assert storage.run_sync(Tx.code, "nope") is None
    assert _as(storage, tenant_id, Tx.use_code, "c1", AT, "key1")
    assert not _as(storage, tenant_id, Tx.use_code, "c1", AT, "key2")
    assert storage.run_sync(Tx.code, "c1")["used_at"] == AT


def test_devices_are_found_by_key_listed_by_store_and_revoked(storage):
    tenant_id, store_id = _tenant(storage)
    other, _ = _tenant(storage)
    key = uuid7()[:16]
    _as(storage, tenant_id, Tx.add_device, key, store_id, "PEM", "box-1", AT)
    assert storage.run_sync(Tx.device, key)["store_id"] == store_id
    assert [d["key_id"] for d in _as(storage, tenant_id, Tx.devices, store_id)] == [key]
    assert _as(storage, other, Tx.devices, store_id) == []
    assert not _as(storage, other, Tx.revoke_device, store_id, key, AT)
    assert not _as(storage, tenant_id, Tx.revoke_device, store_id, "0" * 16, AT)
    assert _as(storage, tenant_id, Tx.revoke_device, store_id, key, AT)
    assert storage.run_sync(Tx.device, key)["revoked_at"] == AT


def test_a_nonce_is_spent_once_and_old_ones_are_forgotten(storage):
    tenant_id, _ = _tenant(storage)
    assert _as(storage, tenant_id, Tx.remember_nonce, "k1", "a1", 1000, 0)
    assert not _as(storage, tenant_id, Tx.remember_nonce, "k1", "a1", 1000, 0)
    assert _as(storage, tenant_id, Tx.remember_nonce, "k2", "a1", 1000, 0)  # another key's
    assert _as(storage, tenant_id, Tx.remember_nonce, "k1", "a2", 2000, 1500)  # keeps a1
    assert not _as(storage, tenant_id, Tx.remember_nonce, "k1", "a1", 2000, 1500)
    assert _as(storage, tenant_id, Tx.remember_nonce, "k1", "0b", 2000, 1500)  # forgets a1
    assert _as(storage, tenant_id, Tx.remember_nonce, "k1", "a1", 2000, 1500)


def test_rows_are_put_found_listed_and_digested(storage):
    tenant_id, store_id = _tenant(storage)
    other, other_store = _tenant(storage)
    ids = sorted(uuid7() for _ in range(5))
    rows = [
        Row("menu_items", i, n + 1, {"name": f"n{n}"}, {"name": FieldRev(n + 1, "hub")})
        for n, i in enumerate(ids)
    ]
    rows[4].deleted = True
    _as(storage, tenant_id, Tx.put_rows, store_id, rows)
    found = _as(
        storage,
        tenant_id,
        Tx.rows_by_id,
        store_id,
        [("menu_items", i) for i in (ids[0], ids[4], uuid7())],
    )
    assert found == {("menu_items", ids[0]): rows[0], ("menu_items", ids[4]): rows[4]}
    page = _as(storage, tenant_id, lambda tx: tx.entity_rows(store_id, "menu_items", limit=2))
    assert [r.id for r in page] == ids[:2]
    rest = _as(storage, tenant_id, lambda tx: tx.entity_rows(store_id, "menu_items", after=ids[1]))
    assert [r.id for r in rest] == ids[2:4]  # the deleted one is not listed
    live = _as(storage, tenant_id, lambda tx: sorted(tx.live_rows(store_id)))
    assert [row_id for _, row_id, _ in live] == ids[:4]
    replaced = Row("menu_items", ids[0], 9, {"name": "new"}, {"name": FieldRev(9, other_store)})
    _as(storage, tenant_id, Tx.put_rows, store_id, [replaced])
    assert _as(storage, tenant_id, Tx.rows_by_id, store_id, [("menu_items", ids[0])])[
        ("menu_items", ids[0])
    ] == (replaced)
    assert _as(storage, other, Tx.rows_by_id, store_id, [("menu_items", i) for i in ids]) == {}
    _as(storage, other, Tx.put_rows, other_store, rows[:1])  # same ids, another store: apart
    assert (
        _as(storage, tenant_id, Tx.rows_by_id, store_id, [("menu_items", ids[0])])[
            ("menu_items", ids[0])
        ].rev
        == 9
    )


def test_inbox_keeps_each_seq_once_with_its_verdict(storage):
    tenant_id, store_id = _tenant(storage)
    entries = [
        InboxEntry(seq, uuid7(), status, {"seq": seq}, {"status": status}, AT)
        for seq, status in ((1, "applied"), (3, "rejected"), (4, "merged"))
    ]
    _as(storage, tenant_id, Tx.add_inbox, store_id, "box-1", entries)
    other = InboxEntry(3, uuid7(), "applied", {"seq": 3}, {"status": "applied"}, AT)
    _as(storage, tenant_id, Tx.add_inbox, store_id, "box-2", [other])  # another box's seq 3
    verdicts = _as(storage, tenant_id, Tx.verdicts, store_id, "box-1", [2, 3, 4, 5])
    assert verdicts == {3: {"status": "rejected"}, 4: {"status": "merged"}}
    assert _as(storage, tenant_id, Tx.verdicts, store_id, "box-1", []) == {}
    assert _as(storage, tenant_id, Tx.verdicts, store_id, "box-2", [3]) == {
        3: {"status": "applied"}
    }
    listed = _as(storage, tenant_id, lambda tx: tx.inbox(store_id, after=1, limit=10))
    assert listed == [("box-1", entries[1]), ("box-2", other), ("box-1", entries[2])]
    rejected = _as(
        storage, tenant_id, lambda tx: tx.inbox(store_id, after=0, limit=9, status="rejected")
    )
    assert [e.seq for _, e in rejected] == [3]
    one_box = _as(storage, tenant_id, lambda tx: tx.inbox(store_id, after=0, limit=9, node="box-2"))
    assert one_box == [("box-2", other)]
    with pytest.raises(GalleyError):  # the primary key is the exactly-once
        _as(storage, tenant_id, Tx.add_inbox, store_id, "box-1", entries[:1])


def test_a_stores_inbox_is_listed_and_looked_up_along_its_primary_key(tmp_path):
    """The owner's inbox pages by seq over every box of the store, and a push looks up its box's
    seqs: both walk a range of the primary key (store, seq, node), neither sorts nor reads the
    store's whole inbox (EXPLAIN QUERY PLAN of the statements as they ran)."""
    storage = SqliteStorage(tmp_path / "hub.db")
    try:
        storage.migrate()
        tenant_id, store_id = _tenant(storage)
        ran: list[str] = []

        def plans(tx: Tx) -> list[str]:
            tx.become(tenant_id)
            conn = tx.conn  # type: ignore[attr-defined]
            conn.set_trace_callback(ran.append)
            tx.inbox(store_id, after=10, limit=100)
            tx.inbox(store_id, after=10, limit=100, node="box-1")
            tx.verdicts(store_id, "box-1", [11, 12, 500])
            conn.set_trace_callback(None)
            return [
                " / ".join(row["detail"] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
                for sql in ran
            ]

        for plan in storage.run_sync(plans):
            assert plan.startswith("SEARCH inbox USING INDEX"), plan
            assert "(store_id=? AND seq>" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        storage.close()


def test_cursors_increase_and_changes_page_in_order(storage):
    tenant_id, store_id = _tenant(storage)
    other, other_store = _tenant(storage)
    item = uuid7()

    def appended(tx: Tx, store: str, count: int) -> list[ChangeRow]:
        made = [_change(cursor, item) for cursor in tx.next_cursors(count)]
        tx.add_changes(store, made)
        return made

    changes = _as(storage, tenant_id, appended, store_id, 3)
    [theirs] = _as(storage, other, appended, other_store, 1)
    cursors = [change.cursor for change in changes]
    assert cursors == sorted(cursors) and theirs.cursor > cursors[-1]
    assert _as(storage, tenant_id, lambda tx: tx.next_cursors(0)) == []
    assert _as(storage, tenant_id, lambda tx: tx.next_cursors(1))[0] > theirs.cursor
    page = _as(storage, tenant_id, lambda tx: tx.changes(store_id, after=cursors[0], limit=1))
    assert page == [changes[1]]
    everything = _as(storage, tenant_id, lambda tx: tx.changes(store_id, after=0, limit=100))
    assert everything == changes
    authors = _as(storage, tenant_id, Tx.change_authors, store_id, [cursors[1], theirs.cursor])
    assert authors == {cursors[1]: ("a@b.c", AT)}


def test_refusals_belong_to_their_tenant_or_to_none(storage):
    tenant_id, store_id = _tenant(storage)
    refusal = {"store_id": store_id, "key_id": "k", "request": "POST /sync/v1/push",
               "code": "stale", "message": "late", "client": "127.0.0.1", "at": AT}  # fmt: skip
    ids = [uuid7() for _ in range(3)]
    _as(storage, tenant_id, Tx.add_refusal, {**refusal, "id": ids[0]})
    _as(storage, tenant_id, Tx.add_refusal, {**refusal, "id": ids[1]})
    storage.run_sync(Tx.add_refusal, {**refusal, "id": ids[2], "store_id": None})  # no tenant
    listed = _as(storage, tenant_id, lambda tx: tx.refusals(after="", limit=10))
    assert [r["id"] for r in listed] == [ids[1], ids[0]]
    older = _as(storage, tenant_id, lambda tx: tx.refusals(after=ids[1], limit=10))
    assert [r["id"] for r in older] == [ids[0]]


def test_a_transaction_that_fails_writes_nothing(storage):
    tenant_id, store_id = _tenant(storage)

    def half(tx: Tx):
        tx.become(tenant_id)
        tx.set_push_upto(store_id, "box-1", 7)
        raise GalleyError("changed my mind")

    with pytest.raises(GalleyError):
        storage.run_sync(half)
    assert _as(storage, tenant_id, Tx.store, store_id)["push_upto"] == 0


# ---- PostgreSQL: row-level security holds the app role, whatever its SQL says ------------


def test_the_app_role_sees_no_other_tenants_rows_even_without_a_where(pg_urls):
    owner_url, app_url = pg_urls
    storage = open_storage(HubSettings(database_url=app_url, pool_size=2))
    try:
        a, a_store = _tenant(storage, "A")
        b, _ = _tenant(storage, "B")
        _as(storage, a, Tx.put_rows, a_store, [Row("areas", uuid7(), 1, {"name": "Bar"})])
        tables = ["tenants", "stores", "rows"]
        with psycopg.connect(app_url, autocommit=True) as conn:
            for table in tables:  # no tenant set: nothing
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
            with conn.transaction():
                conn.execute("SELECT set_config('galley.tenant', %s, true)", (b,))
                for table in tables:
                    rows = conn.execute(f"SELECT * FROM {table}").fetchall()
                    assert all(a not in str(row) for row in rows), table
                assert conn.execute("SELECT count(*) FROM stores").fetchone() == (1,)
                # Writing into another tenant is refused by the policy, not only unseen.
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(
                        "INSERT INTO stores (id, tenant_id, name, created_at)"
                        " VALUES (%s, %s, 'x', 'now')",
                        (uuid7(), a),
                    )
        with psycopg.connect(owner_url, autocommit=True) as conn:  # as the owner: FORCE holds
            assert conn.execute("SELECT count(*) FROM rows").fetchone()[0] >= 0
    finally:
        storage.close()


def test_the_hub_refuses_to_serve_as_a_role_that_passes_row_level_security(pg_urls):
    owner_url, _ = pg_urls  # the test server's superuser, who made the tables
    with pytest.raises(RuntimeError, match="galley_hub_app"):
        open_storage(HubSettings(database_url=owner_url, pool_size=1))


def test_rows_are_read_by_their_key_however_many_the_store_holds(storage):
    """On PostgreSQL, rows_by_id reads the rows it is asked for, not every row of their entity
    (as `id IN (...)` was planned on a table whose statistics were not gathered yet: a new
    hub's push then grew with the square of the store's backlog). Counted as PostgreSQL counts
    the tuples the transaction fetched through `rows`' primary key."""
    if storage.dialect != "postgresql":
        pytest.skip("PostgreSQL's planner")
    tenant_id, store_id = _tenant(storage)
    ids = sorted(uuid7() for _ in range(2000))
    _as(storage, tenant_id, Tx.put_rows, store_id, [Row("orders", i, 1, {}) for i in ids])

    def fetched(tx: Tx) -> tuple[int, int]:
        tx.become(tenant_id)
        count = "SELECT pg_stat_get_xact_tuples_fetched('rows_pkey'::regclass) AS n"
        before = tx._all(count)[0]["n"]
        found = tx.rows_by_id(store_id, [("orders", ids[7]), ("orders", ids[1500]), ("x", "y")])
        return len(found), tx._all(count)[0]["n"] - before

    assert storage.run_sync(fetched) == (2, 2)


def test_a_row_of_a_store_names_the_store_s_tenant(storage):
    """On PostgreSQL one foreign key holds a store's rows, inbox entries and changes to their
    store and its tenant together: a tenant cannot write into another tenant's store."""
    if storage.dialect != "postgresql":
        pytest.skip("PostgreSQL's foreign key on (store, tenant)")
    tenant_id, _ = _tenant(storage)
    _, other_store = _tenant(storage)
    with pytest.raises(GalleyError):
        _as(storage, tenant_id, Tx.put_rows, other_store, [Row("orders", uuid7(), 1, {})])
    with pytest.raises(GalleyError):
        _as(
            storage,
            tenant_id,
            Tx.add_inbox,
            other_store,
            "box-1",
            [InboxEntry(1, uuid7(), "applied", {}, {}, AT)],
        )
    with pytest.raises(GalleyError):
        _as(storage, tenant_id, Tx.add_changes, other_store, [_change(10**12, uuid7())])


# ---- SQLite: checkpoints beside the transactions ----------------------------------------------


def test_sqlite_checkpoints_beside_the_transactions_once_enough_rows_changed(tmp_path):
    """A transaction that changed CHECKPOINT_ROWS rows since the last checkpoint has the WAL
    copied into the database file by the checkpointer, after it answered; fewer ask for none
    (SQLite's own waits for BACKSTOP_PAGES)."""
    storage = SqliteStorage(tmp_path / "hub.db")
    try:
        storage.migrate()
        tenant_id, store_id = _tenant(storage)
        assert storage.checkpointer.checkpoints == 0
        before = (tmp_path / "hub.db").stat().st_size
        rows = [Row("menu_items", uuid7(), 1, {"name": "x" * 200}) for _ in range(CHECKPOINT_ROWS)]
        _as(storage, tenant_id, Tx.put_rows, store_id, rows)
        assert storage.checkpointer.wait(10)
        assert storage.checkpointer.checkpoints == 1
        assert (tmp_path / "hub.db").stat().st_size > before + CHECKPOINT_ROWS * 200
    finally:
        storage.close()


def test_the_tables_owner_migrates_without_the_right_to_make_roles(pg_urls):
    """README, Hub on PostgreSQL: the tables' owner is a plain role; galley_hub_app is made
    once per server (here by the session's first migration, as an operator's would be)."""
    server_url, _ = pg_urls  # the test server's superuser
    name = f"galley_owner_{uuid7().replace('-', '')[-12:]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(*[sql.Identifier(name)] * 2))
    try:
        assert postgresql.migrate(pg.with_database(server_url, name, user=name)) == latest()
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
