"""Every operation the hub does on its database, as methods of one transaction (`Tx`).

The SQL is written once, in what SQLite and PostgreSQL both speak, with `?` placeholders; a
backend supplies how a statement runs and the few things that differ (locking a store's row,
taking change cursors, telling PostgreSQL's row-level security which tenant is acting).

Tenant scoping: a transaction starts knowing no tenant. It may find one row by what a request
holds (`owner_by_email`, `session`, `code`, `device`), then `become(tenant)`; every other query
names `tenant_id` in its WHERE clause (and, on PostgreSQL, the policies hold it as well).

Locking: whatever appends to a store's change feed first locks the store's row
(`lock_stores`), then takes cursors. Within a store, changes therefore commit in cursor order,
and a pull that read up to cursor N can never later miss a change below N.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from sync.merge import FieldRev

_CHUNK = 500  # ids in one IN (...) list


@dataclass
class Row:
    """The hub's copy of one synced row of a store."""

    entity: str
    id: str
    rev: int
    fields: dict[str, Any]
    field_revs: dict[str, FieldRev] = field(default_factory=dict)
    deleted: bool = False


class ChangeRow(NamedTuple):
    """One entry of a store's change feed, as stored (`sync.envelope.Change` without `kept`
    parsed). A named tuple, as InboxEntry: a push makes one of each per event, and a frozen
    dataclass took three times as long to make (9.6 against 3.0 us for this one, measured)."""

    cursor: int
    id: str
    hlc: str
    at: str
    entity: str
    entity_id: str
    op: str
    fields: dict[str, Any]
    rev: int
    actor: str | None
    source: str
    seq: int | None
    kept: dict[str, Any]


class InboxEntry(NamedTuple):
    seq: int
    event_id: str
    status: str
    event: dict[str, Any]
    verdict: dict[str, Any]
    at: str


class Tx:
    """One transaction. Subclasses run the statements (`_all`, `_run`, `_many`)."""

    FOR_UPDATE = ""  # what locks the rows a SELECT reads, where the backend needs it said

    def __init__(self) -> None:
        self.tenant: str | None = None

    # ---- what a backend supplies --------------------------------------------------------

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """`_all` as plain tuples, for the queries that read many rows (a dict per row cost
        the hub's digest a quarter of its CPU)."""
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        raise NotImplementedError

    def _many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _set(self, name: str, value: str) -> None:
        """Set a setting for the rest of the transaction (PostgreSQL's row-level security)."""

    def next_cursors(self, count: int) -> list[int]:
        """`count` new change cursors, increasing (call with the store locked)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Writes sent one after the other without waiting for each answer (PostgreSQL's
        pipeline: a batch's rows, changes and inbox entries in one round trip); an error
        surfaces at the end of the block at the latest."""
        yield

    # ---- tenancy --------------------------------------------------------------------------

    def become(self, tenant_id: str) -> None:
        """Act as `tenant_id` for the rest of the transaction."""
        self.tenant = tenant_id
        self._set("galley.tenant", tenant_id)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self._all(sql, params)
        return found[0] if found else None

    def _who(self) -> str:
        if self.tenant is None:
            raise RuntimeError("a tenant's query before the transaction knows its tenant")
        return self.tenant

    def _find(self, sql: str, value: str) -> dict[str, Any] | None:
        """One row found by what a request holds, before the tenant is known."""
        self._set("galley.lookup", value)
        return self._one(sql, (value,))

    def ping(self) -> None:
        """A round trip to the database (health checks)."""
        self._all("SELECT 1 AS ok")

    # ---- tenants and owners ----------------------------------------------------------------

    def add_tenant(self, tenant_id: str, name: str, at: str) -> None:
        self.become(tenant_id)
        self._run(
            "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)", (tenant_id, name, at)
        )

    def tenant_row(self) -> dict[str, Any] | None:
        return self._one("SELECT id, name, created_at FROM tenants WHERE id = ?", (self._who(),))

    def add_owner(self, owner_id: str, email: str, password_hash: str, at: str) -> bool:
        """False if the email is taken (by any tenant)."""
        return (
            self._run(
                "INSERT INTO owners (id, tenant_id, email, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                (owner_id, self._who(), email, password_hash, at),
            )
            == 1
        )

    def owner_by_email(self, email: str) -> dict[str, Any] | None:
        return self._find(
            "SELECT id, tenant_id, email, password_hash FROM owners WHERE email = ?", email
        )

    def owner(self, owner_id: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT id, tenant_id, email, created_at FROM owners WHERE tenant_id = ? AND id = ?",
            (self._who(), owner_id),
        )

    def add_session(self, token_hash: str, owner_id: str, at: str, expires_at: str) -> None:
        self._run(
            "INSERT INTO owner_sessions (token_hash, tenant_id, owner_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash, self._who(), owner_id, at, expires_at),
        )

    def session(self, token_hash: str) -> dict[str, Any] | None:
        return self._find(
            "SELECT tenant_id, owner_id, expires_at, ended_at FROM owner_sessions"
            " WHERE token_hash = ?",
            token_hash,
        )

    def end_session(self, token_hash: str, at: str) -> None:
        self._run(
            "UPDATE owner_sessions SET ended_at = ?"
            " WHERE tenant_id = ? AND token_hash = ? AND ended_at IS NULL",
            (at, self._who(), token_hash),
        )

    def set_password(self, owner_id: str, password_hash: str) -> None:
        self._run(
            "UPDATE owners SET password_hash = ? WHERE tenant_id = ? AND id = ?",
            (password_hash, self._who(), owner_id),
        )

    def end_other_sessions(self, owner_id: str, kept_hash: str, at: str) -> int:
        """End every open session of the owner but the one `kept_hash` is; how many ended."""
        return self._run(
            "UPDATE owner_sessions SET ended_at = ? WHERE tenant_id = ? AND owner_id = ?"
            " AND token_hash != ? AND ended_at IS NULL",
            (at, self._who(), owner_id, kept_hash),
        )

    # ---- stores ------------------------------------------------------------------------------

    def add_store(self, store_id: str, name: str, at: str) -> None:
        self._run(
            "INSERT INTO stores (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
            (store_id, self._who(), name, at),
        )

    def stores(self) -> list[dict[str, Any]]:
        return self._all(
            "SELECT id, name, push_upto, created_at FROM stores WHERE tenant_id = ?"
            " ORDER BY name, id",
            (self._who(),),
        )

    def rename_store(self, store_id: str, name: str) -> bool:
        """False if the tenant has no such store."""
        return (
            self._run(
                "UPDATE stores SET name = ? WHERE tenant_id = ? AND id = ?",
                (name, self._who(), store_id),
            )
            == 1
        )

    def store(self, store_id: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT id, name, push_upto, created_at FROM stores WHERE tenant_id = ? AND id = ?",
            (self._who(), store_id),
        )

    def lock_stores(self, store_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The stores (of this tenant) among `store_ids`, locked until the transaction ends;
        locked in id order, so two transactions that lock several never wait on each other."""
        ids = sorted(set(store_ids))
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return self._all(
            f"SELECT id, name, push_upto, created_at FROM stores"
            f" WHERE tenant_id = ? AND id IN ({marks}) ORDER BY id{self.FOR_UPDATE}",
            (self._who(), *ids),
        )

    def push_upto(self, store_id: str, node: str) -> int:
        """The last seq of the box `node`'s stream of the store that the hub holds (0: none)."""
        found = self._one(
            "SELECT push_upto FROM streams WHERE tenant_id = ? AND store_id = ? AND node = ?",
            (self._who(), store_id, node),
        )
        return int(found["push_upto"]) if found else 0

    def set_push_upto(self, store_id: str, node: str, upto: int) -> None:
        """The box `node`'s stream of the store holds up to `upto`; so does the store's cursor
        (how far the box that pushed last has come)."""
        who = self._who()
        self._run(
            "INSERT INTO streams (store_id, node, tenant_id, push_upto)"
            " SELECT id, ?, tenant_id, ? FROM stores WHERE tenant_id = ? AND id = ?"
            " ON CONFLICT (store_id, node) DO UPDATE SET push_upto = excluded.push_upto",
            (node, upto, who, store_id),
        )
        self._run(
            "UPDATE stores SET push_upto = ? WHERE tenant_id = ? AND id = ?",
            (upto, who, store_id),
        )

    # ---- enrolment codes and devices -----------------------------------------------------

    def add_code(self, code_hash: str, store_id: str, at: str, expires_at: str) -> None:
        self._run(
            "INSERT INTO enrolment_codes (code_hash, tenant_id, store_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code_hash, self._who(), store_id, at, expires_at),
        )

    def code(self, code_hash: str) -> dict[str, Any] | None:
        return self._find(
            "SELECT tenant_id, store_id, expires_at, used_at, used_by FROM enrolment_codes"
            " WHERE code_hash = ?",
            code_hash,
        )

    def codes(self, store_id: str) -> list[dict[str, Any]]:
        """The store's enrolment codes, newest first: when made, until when, used when and by
        which key; never the code or its hash."""
        return self._all(
            "SELECT created_at, expires_at, used_at, used_by FROM enrolment_codes"
            " WHERE tenant_id = ? AND store_id = ? ORDER BY created_at DESC",
            (self._who(), store_id),
        )

    def end_open_codes(self, store_id: str, at: str) -> int:
        """Let the store's unused codes still valid at `at` expire then; how many."""
        return self._run(
            "UPDATE enrolment_codes SET expires_at = ? WHERE tenant_id = ? AND store_id = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (at, self._who(), store_id, at),
        )

    def use_code(self, code_hash: str, at: str, key_id: str) -> bool:
        """False if it was used meanwhile."""
        return (
            self._run(
                "UPDATE enrolment_codes SET used_at = ?, used_by = ?"
                " WHERE tenant_id = ? AND code_hash = ? AND used_at IS NULL",
                (at, key_id, self._who(), code_hash),
            )
            == 1
        )

    def add_device(
        self, key_id: str, store_id: str, public_key_pem: str, node: str, at: str
    ) -> bool:
        """False if the key is enrolled already (by a transaction that committed meanwhile)."""
        return (
            self._run(
                "INSERT INTO devices"
                " (key_id, tenant_id, store_id, public_key_pem, node, enrolled_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                (key_id, self._who(), store_id, public_key_pem, node, at),
            )
            == 1
        )

    def device(self, key_id: str) -> dict[str, Any] | None:
        return self._find(
            "SELECT key_id, tenant_id, store_id, public_key_pem, node, enrolled_at, revoked_at"
            " FROM devices WHERE key_id = ?",
            key_id,
        )

    def devices(self, store_id: str) -> list[dict[str, Any]]:
        return self._all(
            "SELECT key_id, store_id, node, enrolled_at, revoked_at FROM devices"
            " WHERE tenant_id = ? AND store_id = ? ORDER BY enrolled_at, key_id",
            (self._who(), store_id),
        )

    def revoke_device(self, store_id: str, key_id: str, at: str) -> bool:
        """False if there is no such device (a revoked one keeps its first revocation)."""
        self._run(
            "UPDATE devices SET revoked_at = ?"
            " WHERE tenant_id = ? AND store_id = ? AND key_id = ? AND revoked_at IS NULL",
            (at, self._who(), store_id, key_id),
        )
        return any(device["key_id"] == key_id for device in self.devices(store_id))

    def remember_nonce(self, key_id: str, nonce: str, at: int, forget_before: int) -> bool:
        """Record a signed request's nonce; False if the key used it before. About one request
        in sixteen (those whose random nonce starts with 0) also forgets the key's nonces older
        than `forget_before` (outside the signature window): a round trip saved on the others."""
        if nonce.startswith("0"):
            self._run(
                "DELETE FROM nonces WHERE tenant_id = ? AND key_id = ? AND at < ?",
                (self._who(), key_id, forget_before),
            )
        return (
            self._run(
                "INSERT INTO nonces (key_id, nonce, tenant_id, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key_id, nonce) DO NOTHING",
                (key_id, nonce, self._who(), at),
            )
            == 1
        )

    # ---- rows ----------------------------------------------------------------------------------

    def rows_by_id(
        self, store_id: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], Row]:
        """The store's rows (deleted ones too) with any of the (entity, id) `keys`, by (entity,
        id), each read by its primary key, however many rows the store holds."""
        by_entity: dict[str, set[str]] = {}
        for entity, row_id in keys:
            by_entity.setdefault(entity, set()).add(row_id)
        found: dict[tuple[str, str], Row] = {}
        for record in self._records_by_key(store_id, by_entity):
            row = _row(record)
            found[(row.entity, row.id)] = row
        return found

    def _records_by_key(
        self, store_id: str, by_entity: dict[str, set[str]]
    ) -> Iterator[dict[str, Any]]:
        """The records of `rows_by_id`: one query per entity (and per _CHUNK ids)."""
        for entity, ids in sorted(by_entity.items()):
            wanted = sorted(ids)
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                yield from self._all(
                    "SELECT entity, id, rev, fields, field_revs, deleted FROM rows"
                    " WHERE tenant_id = ? AND store_id = ? AND entity = ?"
                    f" AND id IN ({marks})",
                    (self._who(), store_id, entity, *chunk),
                )

    def entity_rows(
        self, store_id: str, entity: str, *, after: str = "", limit: int | None = None
    ) -> list[Row]:
        """The store's live rows of `entity`, by id, those after `after`."""
        sql = (
            "SELECT entity, id, rev, fields, field_revs, deleted FROM rows WHERE tenant_id = ?"
            " AND store_id = ? AND entity = ? AND id > ? AND NOT deleted ORDER BY id"
        )
        params: list[Any] = [self._who(), store_id, entity, after]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_row(record) for record in self._all(sql, params)]

    def row_naming(self, store_id: str, row_id: str) -> tuple[str, str] | None:
        """(entity, id) of one live row of the store whose fields hold `row_id` as a value
        (a table's `area_id`, an order line's `item_id`, an id in a JSON field), or None.
        Ids are UUIDs: no other value reads as one. It reads every live row of the store, so
        it is for an owner's rare removal, never for a push."""
        quoted = orjson.dumps(row_id).decode()
        pattern = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = self._one(
            "SELECT entity, id FROM rows WHERE tenant_id = ? AND store_id = ? AND NOT deleted"
            " AND fields LIKE ? ESCAPE '\\' LIMIT 1",
            (self._who(), store_id, f"%{pattern}%"),
        )
        return (found["entity"], found["id"]) if found else None

    def live_rows(self, store_id: str) -> Iterator[tuple[str, str, str]]:
        """(entity, id, fields as canonical JSON) of every live row of the store: what its
        digest covers."""
        yield from self._tuples(
            "SELECT entity, id, fields FROM rows"
            " WHERE tenant_id = ? AND store_id = ? AND NOT deleted",
            (self._who(), store_id),
        )

    def put_rows(self, store_id: str, rows: Iterable[Row]) -> None:
        """Insert or replace rows of the store; their fields (in the protocol's form) kept as
        canonical JSON (`sync.canonical.canonical_json`: sorted keys), so the store's digest
        reads them as they are (`live_rows`)."""
        who = self._who()
        self._many(
            "INSERT INTO rows (store_id, entity, id, tenant_id, rev, fields, field_revs, deleted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (store_id, entity, id) DO UPDATE SET"
            " rev = excluded.rev, fields = excluded.fields, field_revs = excluded.field_revs,"
            " deleted = excluded.deleted",
            [
                (
                    store_id,
                    row.entity,
                    row.id,
                    who,
                    row.rev,
                    orjson.dumps(row.fields, option=orjson.OPT_SORT_KEYS).decode(),
                    _revs_json(row.field_revs),
                    row.deleted,
                )
                for row in rows
            ],
        )

    # ---- inbox ---------------------------------------------------------------------------------

    def verdicts(self, store_id: str, node: str, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The stored verdicts of those of `seqs` (sorted) the box `node` pushed before."""
        if not seqs:
            return {}
        records = self._all(
            "SELECT seq, verdict FROM inbox WHERE tenant_id = ? AND store_id = ? AND node = ?"
            " AND seq >= ? AND seq <= ?",
            (self._who(), store_id, node, seqs[0], seqs[-1]),
        )
        wanted = set(seqs)
        return {r["seq"]: orjson.loads(r["verdict"]) for r in records if r["seq"] in wanted}

    def add_inbox(self, store_id: str, node: str, entries: Iterable[InboxEntry]) -> None:
        who = self._who()
        self._many(
            "INSERT INTO inbox"
            " (store_id, node, seq, tenant_id, event_id, status, event, verdict, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    store_id,
                    node,
                    entry.seq,
                    who,
                    entry.event_id,
                    entry.status,
                    orjson.dumps(entry.event).decode(),
                    orjson.dumps(entry.verdict).decode(),
                    entry.at,
                )
                for entry in entries
            ],
        )

    def inbox(
        self,
        store_id: str,
        *,
        after: int,
        limit: int,
        status: str | None = None,
        node: str | None = None,
    ) -> list[tuple[str, InboxEntry]]:
        """The store's pushed events after seq `after`, each with its box's node, by seq (and
        node: each box numbers its own); those of one box if `node` is given."""
        sql = (
            "SELECT node, seq, event_id, status, event, verdict, at FROM inbox"
            " WHERE tenant_id = ? AND store_id = ? AND seq > ?"
        )
        params: list[Any] = [self._who(), store_id, after]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if node is not None:
            sql += " AND node = ?"
            params.append(node)
        sql += " ORDER BY seq, node LIMIT ?"
        params.append(limit)
        return [
            (
                r["node"],
                InboxEntry(
                    seq=r["seq"],
                    event_id=r["event_id"],
                    status=r["status"],
                    event=orjson.loads(r["event"]),
                    verdict=orjson.loads(r["verdict"]),
                    at=r["at"],
                ),
            )
            for r in self._all(sql, params)
        ]

    # ---- changes -------------------------------------------------------------------------------

    def add_changes(self, store_id: str, changes: Iterable[ChangeRow]) -> None:
        who = self._who()
        self._many(
            "INSERT INTO changes (cursor, tenant_id, store_id, id, hlc, at, entity, entity_id,"
            " op, fields, rev, actor, source, seq, kept)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    change.cursor,
                    who,
                    store_id,
                    change.id,
                    change.hlc,
                    change.at,
                    change.entity,
                    change.entity_id,
                    change.op,
                    orjson.dumps(change.fields).decode(),
                    change.rev,
                    change.actor,
                    change.source,
                    change.seq,
                    orjson.dumps(change.kept).decode(),
                )
                for change in changes
            ],
        )

    def last_cursor(self, store_id: str) -> int:
        """The store's newest change's cursor (0: none). Every change of the store at or below
        it is committed (the store's changes commit in cursor order: see the locking above)."""
        found = self._one(
            "SELECT MAX(cursor) AS last FROM changes WHERE tenant_id = ? AND store_id = ?",
            (self._who(), store_id),
        )
        return int(found["last"] or 0) if found else 0

    def changes(
        self,
        store_id: str,
        *,
        after: int,
        limit: int,
        upto: int | None = None,
        unmerged_edge: Sequence[str] = (),
    ) -> list[ChangeRow]:
        """The store's changes with a cursor above `after` (and at most `upto`), oldest first;
        those a box pushed (source: the box's node) of the entities `unmerged_edge` that kept
        no hub value are left out."""
        sql = (
            "SELECT cursor, id, hlc, at, entity, entity_id, op, fields, rev, actor, source,"
            " seq, kept FROM changes WHERE tenant_id = ? AND store_id = ? AND cursor > ?"
        )
        params: list[Any] = [self._who(), store_id, after]
        if upto is not None:
            sql += " AND cursor <= ?"
            params.append(upto)
        if unmerged_edge:
            marks = ", ".join("?" * len(unmerged_edge))
            sql += f" AND NOT (source <> 'hub' AND kept = '{{}}' AND entity IN ({marks}))"
            params.extend(unmerged_edge)
        return [
            ChangeRow(
                **{
                    **record,
                    "fields": orjson.loads(record["fields"]),
                    "kept": orjson.loads(record["kept"]),
                }
            )
            for record in self._all(sql + " ORDER BY cursor LIMIT ?", [*params, limit])
        ]

    def change_authors(
        self, store_id: str, cursors: Iterable[int]
    ) -> dict[int, tuple[str | None, str]]:
        """(actor, at) of the store's changes at `cursors`."""
        wanted = sorted(set(cursors))
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        return {
            r["cursor"]: (r["actor"], r["at"])
            for r in self._all(
                "SELECT cursor, actor, at FROM changes"
                f" WHERE tenant_id = ? AND store_id = ? AND cursor IN ({marks})",
                (self._who(), store_id, *wanted),
            )
        }

    # ---- refused sync requests -------------------------------------------------------------

    def add_refusal(self, refusal: dict[str, Any]) -> None:
        """A refused sync request; of this transaction's tenant, or of none if it has none."""
        self._run(
            "INSERT INTO refusals (id, tenant_id, store_id, key_id, request, code, message,"
            " client, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                refusal["id"],
                self.tenant,
                refusal["store_id"],
                refusal["key_id"],
                refusal["request"],
                refusal["code"],
                refusal["message"],
                refusal["client"],
                refusal["at"],
            ),
        )

    def refusals(self, *, after: str, limit: int) -> list[dict[str, Any]]:
        """This tenant's refused sync requests, newest first, those before the id `after`
        (empty: from the newest)."""
        sql = (
            "SELECT id, store_id, key_id, request, code, message, client, at FROM refusals"
            " WHERE tenant_id = ?"
        )
        params: list[Any] = [self._who()]
        if after:
            sql += " AND id < ?"
            params.append(after)
        return self._all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])


def _revs_json(revs: dict[str, FieldRev]) -> str:
    """A row's field revisions as stored; most rows (the store's own) have none."""
    if not revs:
        return "{}"
    return orjson.dumps({name: list(rev) for name, rev in revs.items()}).decode()


def _row(record: dict[str, Any]) -> Row:
    return Row(
        entity=record["entity"],
        id=record["id"],
        rev=record["rev"],
        fields=orjson.loads(record["fields"]),
        field_revs={
            name: FieldRev(*pair) for name, pair in orjson.loads(record["field_revs"]).items()
        },
        deleted=bool(record["deleted"]),
    )
